//! The public face of the session: what the glue feeds it ([`Input`]), what it asks the glue
//! to do ([`Command`]), how it is configured ([`SessionConfig`]) and what it reports
//! ([`Status`], [`ServerMode`], [`Stats`]).

pub use super::auth::SignInProblem;
use super::carriage::{RememberedTransport, TransportKind};
use crate::backoff::BackoffConfig;
use wirechat_protocol::Hello;

/// Timing and identity settings of a [`Session`]. All times are milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// Display name sent in `join` and as `from`.
    pub name: String,
    /// Rooms to join on every connection; the first is the one [`Input::Compose`] writes to
    /// unless [`Session::set_current_room`] picks another.
    pub rooms: Vec<String>,
    /// Reconnect delay bounds.
    pub backoff: BackoffConfig,
    /// Give up on a socket that has not opened after this long. Default 10 s.
    pub connect_timeout_ms: u64,
    /// Without a `hello` this long after opening, treat the server as a plain relay. Default 2.5 s.
    pub hello_timeout_ms: u64,
    /// On servers that answer pings, probe after this much silence. Default 10 s.
    pub ping_after_ms: u64,
    /// On servers that answer pings, a link silent this long is dead: its ping has gone
    /// unanswered for the time past `ping_after_ms`. Counted from the ping, so a tick that
    /// comes late (a throttled background tab) probes first instead. Default 25 s.
    pub dead_after_ms: u64,
    /// An unconfirmed message becomes failed this long after it was created. Default 60 s.
    pub fail_after_ms: u64,
    /// On relays, announce `here` this often. Default 15 s.
    pub here_every_ms: u64,
    /// How long a `here` keeps its sender online (sent as `ttl`, and the most honoured from
    /// others). Default 40 s.
    pub here_ttl_ms: u64,
    /// Send at most one `typing` frame per room this often. Default 3 s.
    pub typing_every_ms: u64,
    /// How long a `typing` frame shows its indicator. Default 6 s.
    pub typing_shown_ms: u64,
    /// The app answers [`Command::NeedToken`] (it has a token or a way to get one). Without
    /// it, a server that requires a token is not retried. Default `false`.
    pub has_tokens: bool,
    /// How long the app may take to answer [`Command::NeedToken`]. Default 15 s.
    pub token_timeout_ms: u64,
    /// The guest `resume` token kept from an earlier connection (see
    /// [`Command::KeepResume`]). Default none.
    pub resume: Option<String>,
    /// The servers to connect to, in order of preference, each given to the glue in
    /// [`Command::Connect`]; later ones are used after failures (see `servers.rs`). Default
    /// none: the glue connects where it knows.
    pub servers: Vec<String>,
    /// The transports to try, in order. Default: WebSocket, SSE, long polling.
    pub transports: Vec<TransportKind>,
    /// The transport that last reached `hello` with this server (see
    /// [`Command::RememberTransport`]). Default none.
    pub remembered_transport: Option<RememberedTransport>,
    /// A remembered transport is used this long after it worked. Default 1 hour.
    pub remember_transport_ms: u64,
    /// While on a fallback, open a WebSocket beside it this often to see whether one gets
    /// through now. Default 3 minutes.
    pub upgrade_every_ms: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            name: "guest".into(),
            rooms: vec![wirechat_protocol::DEFAULT_ROOM.into()],
            backoff: BackoffConfig::default(),
            connect_timeout_ms: 10_000,
            hello_timeout_ms: 2_500,
            ping_after_ms: 10_000,
            dead_after_ms: 25_000,
            fail_after_ms: 60_000,
            here_every_ms: 15_000,
            here_ttl_ms: 40_000,
            typing_every_ms: 3_000,
            typing_shown_ms: 6_000,
            has_tokens: false,
            token_timeout_ms: 15_000,
            resume: None,
            servers: Vec::new(),
            transports: TransportKind::ALL.to_vec(),
            remembered_transport: None,
            remember_transport_ms: 60 * 60 * 1000,
            upgrade_every_ms: 3 * 60 * 1000,
        }
    }
}

/// Something that happened, reported by the glue.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Begin connecting (once, after creating the session).
    Start,
    /// The socket opened; `protocol` is the negotiated subprotocol ("" for none).
    Opened {
        /// Negotiated subprotocol.
        protocol: String,
    },
    /// The socket closed or failed to open.
    Closed {
        /// Close code (1006 when the link dropped without a close frame).
        code: u16,
        /// Close reason, possibly empty.
        reason: String,
    },
    /// A text frame arrived.
    Text(String),
    /// A binary frame arrived; the protocol has none, so it is dropped and counted.
    Binary,
    /// A timer requested by [`Command::WakeAt`] fired (or any time the glue likes). The
    /// glue holds no timer after it: the session answers with a new [`Command::WakeAt`]
    /// whenever a deadline is still ahead, also when the tick came early.
    Tick,
    /// The user sends `text` in the current room as a message with id `id`.
    Compose {
        /// Fresh unique id made by the glue.
        id: String,
        /// The text as typed.
        text: String,
    },
    /// The user asked to reconnect now.
    RetryNow,
    /// The browser went online.
    Online,
    /// The browser went offline (`navigator.onLine` is false).
    Offline,
    /// The page became visible again.
    Visible,
    /// A deliberate close: no reconnect follows.
    Stop,
    /// The user answers message `reply_to` of the current room with `text`, as a new
    /// message with id `id` (see [`Input::Compose`]).
    Reply {
        /// Fresh unique id made by the glue.
        id: String,
        /// The text as typed.
        text: String,
        /// The id of the message answered.
        reply_to: String,
    },
    /// The user changes the text of their own sent message `id` of the current room.
    Edit {
        /// The message.
        id: String,
        /// Its new text.
        text: String,
    },
    /// The user adds (`on`) or takes back a reaction to message `id` of the current room.
    React {
        /// The message.
        id: String,
        /// One emoji.
        emoji: String,
        /// Added or taken back.
        on: bool,
    },
    /// The reader has seen `room` up to the message numbered `seq`; the position goes to
    /// the server once the reader pauses (see `READ_AFTER_MS`), and only forward.
    Seen {
        /// The room.
        room: String,
        /// The `seq` of the newest message seen.
        seq: u64,
    },
    /// Search the current room for messages holding every word of this text.
    Search(String),
    /// Resend a failed message.
    RetryMessage(String),
    /// Delete a message: a failed or pending one is dropped here; one that was sent is
    /// deleted for everyone with `delete`, if it is this user's.
    DeleteMessage(String),
    /// The user is typing in the current room.
    Typing,
    /// Join another room (on this same connection).
    JoinRoom(String),
    /// Leave a room; the last room cannot be left.
    LeaveRoom(String),
    /// Show this (joined) room: new messages go there and its unread count resets.
    SwitchRoom(String),
    /// Load older history of the current room, from servers that keep it.
    LoadOlder,
    /// Load older history of the current room until the message numbered `seq` is held,
    /// to show it in context (a search result, the original of a reply).
    LoadUntil(u64),
    /// The app's answer to [`Command::NeedToken`]: a token, or why there is none.
    Token(Result<String, String>),
    /// The first frame of the WebSocket opened by [`Command::Probe`].
    ProbeFrame(String),
    /// The WebSocket opened by [`Command::Probe`] closed (or never opened) before its first
    /// frame.
    ProbeClosed,
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Open a new connection over `transport` (closing any previous one, and any probe,
    /// first).
    Connect {
        /// The server to connect to: an entry of [`SessionConfig::servers`] ("" when that
        /// list is empty).
        url: String,
        /// The transport to open it with.
        transport: TransportKind,
        /// Whether to offer the configured subprotocols. Browsers fail the handshake when a
        /// server picks none of those offered, so after an attempt that never opened the
        /// session asks for the next one without them (and then with them again, in case
        /// the server needs them).
        offer_protocols: bool,
    },
    /// Send this text frame on the open socket.
    Send(String),
    /// Close the socket with this code and reason.
    Close {
        /// Close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
    /// Call back with [`Input::Tick`] at this time (replaces any earlier request).
    WakeAt(u64),
    /// Get a token for the server (a fresh one: never one the server refused) and answer
    /// with [`Input::Token`].
    NeedToken,
    /// Keep this guest `resume` token for later connections (shared by the app's tabs), and
    /// start the next session with it in [`SessionConfig::resume`].
    KeepResume(String),
    /// Open a WebSocket beside the current connection, to see whether one gets through now:
    /// report its first frame with [`Input::ProbeFrame`], or its end before that with
    /// [`Input::ProbeClosed`]. It sends nothing.
    Probe,
    /// Close the WebSocket opened by [`Command::Probe`].
    EndProbe,
    /// This transport reached `hello` with the server: keep it (per server, with the time)
    /// and start the next session with it in [`SessionConfig::remembered_transport`].
    RememberTransport(TransportKind),
}

/// The connection as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Opening the first socket, or one after a retry fired.
    Connecting,
    /// The socket is open.
    Connected,
    /// Waiting to reconnect at this time.
    Reconnecting {
        /// When the next attempt starts.
        at: u64,
    },
    /// The browser is offline; reconnecting waits for it.
    Offline,
    /// Signing in failed; waiting to try again at this time.
    SignInFailed {
        /// What went wrong.
        problem: SignInProblem,
        /// When the next attempt starts.
        at: u64,
    },
    /// Closed for good (deliberately, or the server said not to retry).
    Closed {
        /// Why; the UI words it in the user's language.
        reason: ClosedReason,
    },
}

/// Why the connection closed for good. The session words nothing itself: the UI turns this
/// into a sentence in the user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosedReason {
    /// This client closed it ([`Input::Stop`]).
    Deliberate,
    /// The server closed it with a code that says not to retry, and gave no reason.
    ServerRefused {
        /// The close code.
        code: u16,
    },
    /// The server closed it with a code that says not to retry, and this reason, in its
    /// own words.
    ServerSaid(String),
    /// The server requires a token and the app has no way to get one.
    SignInRequired,
}

/// What kind of server is on the other end, learned after opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMode {
    /// Not known yet: waiting for a `hello`.
    Unknown,
    /// The server announced itself and its features.
    Full(Hello),
    /// No `hello` came: a plain relay or echo server. Chat works; history does not.
    Relay,
}

/// Counters a developer looks at when something is off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames that were not a valid object of a known type.
    pub dropped: u64,
    /// Frames kept after a value in them was repaired (PROTOCOL.md, "Limits"): a message
    /// shown with its time of arrival, say. Counted apart from `dropped`, because their
    /// content was shown.
    pub repaired: u64,
    /// Valid frames of a type this client does not know.
    pub ignored: u64,
    /// The last `error` frame from the server.
    pub last_server_error: Option<String>,
}
