//! The frame types of wire format v1, and the names of its features, error codes and close
//! codes. Field names here are the JSON keys.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// One WebSocket text frame, tagged by its `"type"` key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame {
    /// Server → client, first frame after the handshake: who the server is and what it can do.
    Hello(Hello),
    /// Client → server: sign in with a token (first frame), or renew the identity on an
    /// open connection before it expires.
    Auth(Auth),
    /// Server → client: who the connection is, after `auth`, a cookie or as a guest.
    Authed(Authed),
    /// Client → server: enter a room, optionally resuming after the last `seq` seen.
    Join(Join),
    /// Client → server: leave a room.
    Leave(Leave),
    /// Either way: a chat message. The core frame every implementation must read and write.
    Msg(ChatMessage),
    /// Server → sender: the message with this id is stored (sent for retried duplicates).
    Ack(Ack),
    /// Client → server: ask for stored messages before or after a `seq`.
    Fetch(Fetch),
    /// Server → client: stored messages of a room, oldest first.
    History(History),
    /// Server → client: everyone currently in a room.
    Presence(Presence),
    /// Either way: "I am here" for peer-to-peer presence on servers without presence.
    Here(Here),
    /// Either way: someone is typing in a room.
    Typing(Typing),
    /// Either way: liveness probe; the peer answers with `pong`.
    Ping(Ping),
    /// Either way: answer to `ping`, echoing its `ts`.
    Pong(Ping),
    /// Server → client: a request was refused.
    Error(ErrorFrame),
    /// Server → client that joined with `deltas`: someone entered a room.
    Joined(PresenceChange),
    /// Server → client that joined with `deltas`: someone left a room.
    Left(PresenceChange),
    /// Client → peers on a relay: a (re)joining client asks for the messages it missed.
    Catchup(crate::Catchup),
    /// Client → peers on a relay: one peer's answer to a `catchup`.
    Missed(crate::Missed),
    /// Either way: the author changed a message's text.
    #[cfg(feature = "actions")]
    Edit(crate::Edit),
    /// Either way: the author took a message back.
    #[cfg(feature = "actions")]
    Delete(crate::Delete),
    /// Either way: someone added or took back an emoji reaction.
    #[cfg(feature = "actions")]
    React(crate::React),
    /// Client → server: how far the user has read a room; relayed to the user's other
    /// connections.
    #[cfg(feature = "actions")]
    Read(crate::Read),
    /// Client → server: find messages of a room by their words.
    #[cfg(feature = "actions")]
    Search(crate::Search),
    /// Server → client: what a `search` found.
    #[cfg(feature = "actions")]
    Results(crate::Results),
    /// Any `type` this version does not know. Receivers ignore it.
    #[serde(other)]
    Unknown,
}

/// The chat message: `{"type":"msg","id":…,"room":…,"from":…,"text":…,"ts":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Unique id made by the sender when the message was created; retries reuse it.
    pub id: String,
    /// Room the message belongs to.
    pub room: String,
    /// Display name of the sender.
    pub from: String,
    /// The text, shown verbatim as plain text.
    pub text: String,
    /// When the sender created it. A reader that got an unrepresentable time holds the time
    /// of arrival here instead (see [`crate::decode_received`]).
    pub ts: Timestamp,
    /// Per-room sequence number, added by servers that store history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The sender's user id, set by servers that know who sent it (see [`Authed::uid`]).
    /// Absent on relays and from servers that predate identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// The id of the message this one answers, so receivers can quote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// In history: when the text was last changed by an `edit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<Timestamp>,
    /// In history: when the message was deleted. Such a tombstone has an empty `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Timestamp>,
    /// In history: the emoji people reacted with, in the order first used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<crate::Reaction>,
}

/// `{"type":"auth","token":"eyJ…"}`
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auth {
    /// A signed token (a JWT) from the site the user is signed in to.
    pub token: String,
}

// A token is a credential: debug output, and so logs, never show it.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .finish()
    }
}

/// `{"type":"authed","uid":"u42","name":"Alice","exp":1764003600000}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authed {
    /// The user id: the token's `sub`, or an id the server made up for a guest. Messages
    /// this user sends carry it in [`ChatMessage::uid`].
    pub uid: String,
    /// The display name: the token's `name`, or empty for a guest, who picks one per `join`.
    #[serde(default)]
    pub name: String,
    /// When the identity expires, in milliseconds since the Unix epoch; absent for guests,
    /// whose identity lasts as long as the connection. Send a new `auth` before then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// For a guest: an opaque token that signs the same guest in again. A client keeps it
    /// (shared by its tabs) and sends it as its `auth` on later connections, so that a
    /// reconnecting or second tab keeps its `uid` and with it its name in each room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<String>,
}

/// Features a server can announce in [`Hello::features`].
pub mod feature {
    /// The server stores messages and answers `join.after` and `fetch`.
    pub const HISTORY: &str = "history";
    /// The server sends `presence` lists.
    pub const PRESENCE: &str = "presence";
    /// The server relays `typing` frames to the room.
    pub const TYPING: &str = "typing";
    /// The server confirms messages by echoing them with a `seq`, or with `ack` for duplicates.
    pub const ACK: &str = "ack";
    /// The server answers `ping` with `pong`.
    pub const PING: &str = "ping";
    /// The server sends `joined`/`left` changes after one `presence` snapshot to clients
    /// that join with `deltas: true`.
    pub const PRESENCE_DELTAS: &str = "presence_deltas";
    /// The server requires a signed-in user: the client's first frame must be `auth`.
    pub const AUTH: &str = "auth";
    /// The server stores and relays `edit`, `delete`, `react` and `read`.
    pub const ACTIONS: &str = "actions";
    /// The server answers `search` with `results`.
    pub const SEARCH: &str = "search";
}

/// `{"type":"hello","server":"wirechat-server/0.1.0","epoch":"…","features":[…],"max_text":4000,"handshake":{…}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Free-form server name and version.
    #[serde(default)]
    pub server: String,
    /// Changes whenever the server's `seq` numbering restarts; clients then forget old cursors.
    pub epoch: String,
    /// Names from [`feature`]; unknown names are ignored.
    #[serde(default)]
    pub features: Vec<String>,
    /// Longest accepted message text in bytes, when the server limits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_text: Option<usize>,
    /// The opening handshake of this connection, when it is a WebSocket and the server
    /// reports it. Clients must not require it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<Handshake>,
}

/// `{"key":"dGhlIHNhbXBsZSBub25jZQ==","accept":"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}`: the
/// `Sec-WebSocket-Key` a server received and the `Sec-WebSocket-Accept` it answered. Scripts
/// cannot read handshake headers, so this lets a client recompute the accept value
/// (RFC 6455 §1.3) and see the handshake it made. Neither value is a secret: the key is a
/// nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handshake {
    /// The `Sec-WebSocket-Key` of the upgrade request, as received.
    pub key: String,
    /// The `Sec-WebSocket-Accept` of the server's answer.
    pub accept: String,
}

impl Hello {
    /// Whether the server announced `feature`.
    pub fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

/// `{"type":"join","room":"lobby","name":"alice","after":41,"epoch":"…","req":7}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Join {
    /// Room to enter.
    pub room: String,
    /// Display name shown in presence.
    pub name: String,
    /// Last `seq` the client already has; the server replies with what came after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// The epoch `after` belongs to; a server with another epoch ignores `after`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// Asks for presence as one snapshot followed by `joined`/`left` changes instead of a
    /// full list on every change (servers announcing `presence_deltas`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub deltas: bool,
    /// A number the client picks to recognise the answer: the `history` frame answering
    /// this join echoes it in [`History::req`]. Servers that predate it send none back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req: Option<u64>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// `{"type":"leave","room":"lobby"}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leave {
    /// Room to leave.
    pub room: String,
}

/// `{"type":"ack","id":"m1","room":"lobby","seq":43}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Id of the confirmed message.
    pub id: String,
    /// Its room.
    pub room: String,
    /// The `seq` it was stored under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

/// `{"type":"fetch","room":"lobby","before":120,"limit":50,"req":8}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fetch {
    /// Room to read.
    pub room: String,
    /// Only messages with a smaller `seq` (older history, newest of them first in the cut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    /// Only messages with a larger `seq` (filling a gap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// At most this many messages; the server may cap it lower.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// A number the client picks to recognise the answer: the `history` frame answering
    /// this fetch echoes it in [`History::req`]. Servers that predate it send none back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req: Option<u64>,
}

/// `{"type":"history","room":"lobby","msgs":[…],"more":false,"req":7}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Room the messages belong to.
    pub room: String,
    /// Messages in ascending `seq` order.
    pub msgs: Vec<ChatMessage>,
    /// Whether older messages exist beyond the first one here.
    #[serde(default)]
    pub more: bool,
    /// The room's newest `seq` when the server answered, so a client whose page stopped
    /// short knows more came after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<u64>,
    /// In the page answering a `join`: the display name the server gave this connection in
    /// the room, which differs from the asked one when another user has it ("alice (2)")
    /// or when the name comes from a token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The `req` of the `join` or `fetch` this page answers; absent when that request
    /// carried none, and from servers that predate request ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req: Option<u64>,
    /// In the page answering a `join`: the newest `seq` this user marked as read in the
    /// room with `read`, on any of its connections; absent when it never did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<u64>,
}

/// `{"type":"presence","room":"lobby","users":["alice","bob"]}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// Room the list describes.
    pub room: String,
    /// Display names of everyone in the room now (possibly cut short in large rooms).
    pub users: Vec<String>,
    /// How many are in the room when `users` was cut short; absent when it is complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// `{"type":"joined","room":"lobby","user":"carol"}`, also the body of `left`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceChange {
    /// Room the change is about.
    pub room: String,
    /// Display name of who entered or left.
    pub user: String,
}

/// `{"type":"here","room":"lobby","from":"alice","ttl":30000}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Here {
    /// Room the sender is in.
    pub room: String,
    /// Display name of the sender.
    pub from: String,
    /// How long, in milliseconds, to show the sender as online unless another `here` comes.
    pub ttl: u64,
}

/// `{"type":"typing","room":"lobby","from":"alice"}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    /// Room the sender is typing in.
    pub room: String,
    /// Display name of the sender.
    pub from: String,
}

/// `{"type":"ping","ts":1764000000000}`, also the body of `pong`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ping {
    /// Sender's clock, echoed back in the `pong` so it can measure the round trip. An opaque
    /// number to everyone but the sender, so any `u64` is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<u64>,
}

/// Error codes a server sends in [`ErrorFrame::code`].
pub mod error_code {
    /// The frame or its `text` exceeds the server's limit.
    pub const TOO_LARGE: &str = "too_large";
    /// The frame is not valid JSON of a known shape.
    pub const BAD_FRAME: &str = "bad_frame";
    /// The room or name is not acceptable.
    pub const BAD_NAME: &str = "bad_name";
    /// A message was sent to a room the connection has not joined.
    pub const NOT_JOINED: &str = "not_joined";
    /// The server could not store or read history just now; the request may be retried.
    pub const UNAVAILABLE: &str = "unavailable";
    /// The sender is over its rate limit; it may try again after `retry_after` ms.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The token is missing, invalid or expired; the server closes with 4001 next.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// The signed-in user may not use this room; the connection stays open.
    pub const FORBIDDEN: &str = "forbidden";
    /// An action names a message the server does not have (or no longer has).
    pub const NOT_FOUND: &str = "not_found";
    /// The server does not do this kind of request (for example `search` on an engine
    /// without a text index).
    pub const UNSUPPORTED: &str = "unsupported";
}

/// `{"type":"error","code":"too_large","message":"…","id":"m1"}`, or for a refused
/// request `{"type":"error","code":"not_joined","message":"…","req":8}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFrame {
    /// Machine-readable code from [`error_code`].
    pub code: String,
    /// A sentence for humans.
    #[serde(default)]
    pub message: String,
    /// The message id the error is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// For `rate_limited`: milliseconds to wait before sending that kind of frame again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The `req` of the `join` or `fetch` this error refuses, when that request carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req: Option<u64>,
}

/// WebSocket close codes with a meaning in this protocol, by name, so that no code spells
/// them as bare numbers. RFC 6455 section 7.4.1 defines those below 4000.
pub mod close_code {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down or restarting; reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// The peer broke the WebSocket protocol itself (a bad frame header, say).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// The peer sent a kind of data the endpoint does not accept.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// The link was lost without a close frame. Never sent on the wire: browsers report it
    /// to the page when a socket drops, so clients meet it as any other code.
    pub const ABNORMAL: u16 = 1006;
    /// A text frame was not valid UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// Policy violation (for example a refused Origin); do not retry.
    pub const POLICY: u16 = 1008;
    /// A frame was larger than the server accepts.
    pub const TOO_BIG: u16 = 1009;
    /// The server met an error it did not expect.
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The client read too slowly and its queue overflowed; reconnect and resume.
    pub const SLOW_CONSUMER: u16 = 4000;
    /// The token was missing, invalid or expired; get a fresh token and reconnect with it.
    /// Never reconnect with the token that was refused.
    pub const UNAUTHORIZED: u16 = 4001;
    /// The client is not allowed to use this server; do not retry.
    pub const FORBIDDEN: u16 = 4003;

    /// Whether a client should reconnect after the server closed with `code`.
    pub fn should_retry(code: u16) -> bool {
        !matches!(code, POLICY | FORBIDDEN)
    }
}
