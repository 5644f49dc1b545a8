//! One connection: a writer task draining its queue into the link, a reader task turning
//! frames into room operations, and the cleanup when either ends.
//!
//! Both halves are generic over `Sink`/`Stream` of axum WebSocket messages, and that is the
//! one seam every transport drives: a text message in is a client frame, a text message out
//! a server frame, a ping out asks for a sign of life and any message in gives one, and a
//! close message out carries the close code. A WebSocket is such a link as it stands; the
//! HTTP transports and the tests feed channels instead of a socket.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::{interval_at, timeout, timeout_at, Instant, MissedTickBehavior};
use wirechat_protocol::{
    close_code, decode_with_limit, error_code, validate_name, validate_room, ChatMessage,
    DecodeError, ErrorFrame, Fetch, Frame, Handshake, Join, Search, MAX_ID_BYTES,
    MAX_REACTION_KINDS,
};

use crate::flow::{ROOM_FULL, TOO_MANY_ROOMS};
use crate::history::ActionRefused;
use crate::identity::Identity;
use crate::peer::{text, Outgoing, Peer};
use crate::rate::{Meter, Metered, Verdict};
use crate::refusal::Regarding;
use crate::rooms::{Action, ActionError, Hub, Posted, Refused};
use crate::state::AppState;
use in_order::InOrder;

/// How often the writer pings an otherwise quiet socket.
pub const HEARTBEAT: Duration = Duration::from_secs(20);
/// A socket that sends nothing, not even a pong, for this long is closed.
pub const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// How long writing the close frame may take; a client that does not read gets no longer.
const CLOSE_WRITE_LIMIT: Duration = Duration::from_secs(5);
/// How long to wait for the other side of the close handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Serves one connection until it closes: sends `hello`, answers frames read from `rx`, and
/// writes queued frames to `tx`. When either side ends, the other is stopped and the
/// connection leaves every room it joined.
pub async fn serve_connection<Tx, Rx>(state: AppState, tx: Tx, rx: Rx)
where
    Tx: Sink<Message> + Unpin + Send + 'static,
    Rx: Stream<Item = Result<Message, axum::Error>> + Unpin + Send + 'static,
{
    serve_connection_as(state, tx, rx, None).await;
}

/// As [`serve_connection`], for a connection whose upgrade request carried `cookie_token`
/// in the sign-in cookie: when it verifies, the client is signed in without an `auth`
/// frame; when it does not, the client is told so and closed with 4001.
pub async fn serve_connection_as<Tx, Rx>(
    state: AppState,
    tx: Tx,
    rx: Rx,
    cookie_token: Option<String>,
) where
    Tx: Sink<Message> + Unpin + Send + 'static,
    Rx: Stream<Item = Result<Message, axum::Error>> + Unpin + Send + 'static,
{
    serve_opened(state, tx, rx, cookie_token, None).await;
}

/// As [`serve_connection_as`], for a WebSocket whose opening `handshake` is reported in
/// `hello`.
pub(crate) async fn serve_opened<Tx, Rx>(
    state: AppState,
    mut tx: Tx,
    rx: Rx,
    cookie_token: Option<String>,
    handshake: Option<Handshake>,
) where
    Tx: Sink<Message> + Unpin + Send + 'static,
    Rx: Stream<Item = Result<Message, axum::Error>> + Unpin + Send + 'static,
{
    let hello = state.hello(handshake);
    let (id, _counted) = state.open_connection();
    let identity = match first_identity(&state, cookie_token) {
        Ok(identity) => identity,
        Err(reason) => {
            state.metrics().closed(close_code::UNAUTHORIZED);
            let _ = timeout(CLOSE_WRITE_LIMIT, tx.send(hello)).await;
            let last_words = text(&unauthorized(reason));
            say_goodbye(tx, close_code::UNAUTHORIZED, Some(last_words)).await;
            return;
        }
    };
    let flow = &state.config().flow;
    let peer = Peer::new(id, flow.queue_bytes, state.counters());
    peer.deliver(hello);
    if let Some(identity) = &identity {
        peer.send(&Frame::Authed(state.authed(identity)));
    }
    let signed_out_at = match &identity {
        Some(identity) => expiry(&state, identity),
        None => state
            .config()
            .auth
            .as_ref()
            .map(|auth| Instant::now() + auth.sign_in_timeout),
    };

    let mut writer = tokio::spawn(write_frames(tx, peer.clone(), state.clone()));
    let reader_session = Session {
        peer: peer.clone(),
        meter: Meter::new(flow, Instant::now()),
        state: state.clone(),
        identity,
        signed_out_at,
        joined: false,
        in_order: InOrder::default(),
    };
    let mut reader = tokio::spawn(read_frames(rx, reader_session));
    let _teardown = Teardown {
        state: state.clone(),
        peer: peer.clone(),
        tasks: [writer.abort_handle(), reader.abort_handle()],
    };

    let ended = tokio::select! {
        closing = &mut writer => Ended::Writer(closing.ok().flatten()),
        close = &mut reader => Ended::Reader(close.ok().flatten()),
    };
    // Leave before the close handshake: the rooms stop queueing for this socket and see the
    // new presence at once, however long the goodbye takes.
    state.hub().leave_all(&peer);
    if let Ended::Writer(Some((_, code))) | Ended::Reader(Some(code)) = &ended {
        state.metrics().closed(*code);
    }
    match ended {
        Ended::Writer(Some((tx, code))) => {
            say_goodbye(tx, code, peer.take_last_words()).await;
            // The reader ends when the client answers the close frame.
            let _ = timeout(CLOSE_GRACE, &mut reader).await;
        }
        Ended::Writer(None) | Ended::Reader(None) => {}
        Ended::Reader(Some(code)) => {
            peer.close(code);
            if let Ok(Ok(Some((tx, code)))) = timeout(CLOSE_GRACE, &mut writer).await {
                say_goodbye(tx, code, peer.take_last_words()).await;
            }
        }
    }
}

/// Stops both tasks and leaves every room when the connection ends, also when the future
/// serving it is dropped halfway.
struct Teardown {
    state: AppState,
    peer: Peer,
    tasks: [AbortHandle; 2],
}

impl Drop for Teardown {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.state.hub().leave_all(&self.peer);
    }
}

enum Ended<Tx> {
    /// The writer stopped: with the sink and a close code to send, or because the socket failed.
    Writer(Option<(Tx, u16)>),
    /// The reader stopped: with a close code to send, or because the client closed or vanished.
    Reader(Option<u16>),
}

/// Who the connection is before its first frame: a guest when the server takes guests, the
/// cookie's user, or nobody yet (`None`: an `auth` frame must come). `Err` when the cookie
/// does not verify.
fn first_identity(
    state: &AppState,
    cookie_token: Option<String>,
) -> Result<Option<Identity>, String> {
    if state.config().auth.is_none() {
        return Ok(Some(Identity::guest()));
    }
    cookie_token.map(|token| state.verify(&token)).transpose()
}

/// When a signed-in identity stops counting, leeway included; `None` for guests.
fn expiry(state: &AppState, identity: &Identity) -> Option<Instant> {
    let leeway = state.config().auth.as_ref()?.leeway;
    identity.remaining(leeway).map(|left| Instant::now() + left)
}

fn unauthorized(reason: String) -> Frame {
    Frame::Error(ErrorFrame {
        code: error_code::UNAUTHORIZED.to_owned(),
        message: reason,
        id: None,
        retry_after: None,
        req: None,
    })
}

/// Writes the close frame, after `last_words` when there are any, all within one time limit.
async fn say_goodbye<Tx: Sink<Message> + Unpin>(
    mut tx: Tx,
    code: u16,
    last_words: Option<Message>,
) {
    let frame = CloseFrame {
        code,
        reason: close_reason(code).into(),
    };
    let _ = timeout(CLOSE_WRITE_LIMIT, async {
        if let Some(message) = last_words {
            tx.send(message).await?;
        }
        tx.send(Message::Close(Some(frame))).await
    })
    .await;
}

/// The reason sent with a close code, for people reading it.
pub(crate) fn close_reason(code: u16) -> &'static str {
    match code {
        close_code::GOING_AWAY => "shutting down, or idle for too long",
        close_code::TOO_BIG => "frame too large",
        close_code::SLOW_CONSUMER => "too slow to keep up",
        close_code::NORMAL => "no sign of life",
        close_code::POLICY => "over the rate limits for too long",
        close_code::UNAUTHORIZED => "unauthorized",
        _ => "",
    }
}

/// Writes queued frames and heartbeat pings until a close is asked for (returning the sink
/// and the code) or the socket fails (returning nothing).
async fn write_frames<Tx>(mut tx: Tx, peer: Peer, state: AppState) -> Option<(Tx, u16)>
where
    Tx: Sink<Message> + Unpin,
{
    let mut close = peer.close_requests();
    let mut going_away = state.going_away();
    let mut heartbeat = interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let outgoing = tokio::select! {
            biased;
            code = close_requested(&mut close, &mut going_away) => return Some((tx, code)),
            outgoing = peer.next_outgoing() => outgoing,
            _ = heartbeat.tick() => Outgoing::Frame(Message::Ping(Bytes::new())),
        };
        let message = match outgoing {
            Outgoing::Frame(message) => message,
            // Made now, so it shows every change since it was queued.
            Outgoing::Presence(room) => match state.hub().presence_for(&peer, &room) {
                Some(message) => message,
                None => continue,
            },
        };
        let protocol_frame = matches!(message, Message::Text(_));
        // A client that stopped reading blocks this send; the close request must still win.
        tokio::select! {
            biased;
            code = close_requested(&mut close, &mut going_away) => return Some((tx, code)),
            sent = tx.send(message) => {
                if sent.is_err() {
                    return None;
                }
            }
        }
        if protocol_frame {
            peer.wrote();
        }
    }
}

async fn close_requested(
    close: &mut watch::Receiver<Option<u16>>,
    going_away: &mut watch::Receiver<bool>,
) -> u16 {
    // The watch guards are dropped inside these blocks: holding one across an await would
    // block the sender and make the future not `Send`.
    let asked = async {
        close
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|code| *code)
    };
    let away = async { going_away.wait_for(|away| *away).await.is_ok() };
    tokio::select! {
        Some(code) = asked => code,
        true = away => close_code::GOING_AWAY,
        else => std::future::pending().await,
    }
}

/// Reads frames until the client closes or vanishes (returning nothing) or the connection
/// must be closed with a code.
async fn read_frames<Rx>(mut rx: Rx, mut session: Session) -> Option<u16>
where
    Rx: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let idle_timeout = session.state.config().flow.idle_timeout;
    let mut last_read = Instant::now();
    let mut last_text = last_read;
    loop {
        let now = Instant::now();
        // Idle: no protocol frame either way. A reader of a busy room is not idle, and
        // neither is a client that pings a quiet one.
        let last_written = now - session.peer.since_written();
        let idle_at = last_text.max(last_written) + idle_timeout;
        // Silent: not even a pong to the heartbeat, so the client is gone or stuck.
        let silent_at = last_read + IDLE_LIMIT;
        if now >= idle_at {
            return Some(close_code::GOING_AWAY);
        }
        if now >= silent_at {
            return Some(close_code::NORMAL);
        }
        let signed_out_at = session.signed_out_at;
        if signed_out_at.is_some_and(|at| now >= at) {
            return Some(session.signed_out());
        }
        let wake_at = idle_at
            .min(silent_at)
            .min(signed_out_at.unwrap_or(silent_at));
        let Ok(next) = timeout_at(wake_at, rx.next()).await else {
            continue;
        };
        last_read = Instant::now();
        match next {
            None => return None,
            Some(Err(err)) => return close_code_for(err),
            Some(Ok(Message::Text(text))) => {
                last_text = last_read;
                if let Some(code) = session.handle(&text).await {
                    return Some(code);
                }
            }
            Some(Ok(Message::Close(_))) => {
                // Keep reading so the socket sends its answering close frame, then ends.
                let _ = timeout(CLOSE_GRACE, async { while rx.next().await.is_some() {} }).await;
                return None;
            }
            // Binary frames carry nothing in this protocol; pings are answered by the socket.
            Some(Ok(_)) => {}
        }
    }
}

/// The close code for a failed read, when the socket can still carry one.
fn close_code_for(err: axum::Error) -> Option<u16> {
    use tungstenite::error::{Error, ProtocolError};
    let err = err.into_inner().downcast::<Error>().ok()?;
    match *err {
        Error::Capacity(_) => Some(close_code::TOO_BIG),
        Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        Error::Protocol(_) => Some(close_code::PROTOCOL_ERROR),
        Error::Utf8(_) => Some(close_code::INVALID_DATA),
        _ => None,
    }
}

/// The reader's view of its connection.
struct Session {
    peer: Peer,
    meter: Meter,
    state: AppState,
    /// Who the connection is; `None` until a required `auth` frame came.
    identity: Option<Identity>,
    /// When the connection is closed with 4001 unless it signs in (again) before.
    signed_out_at: Option<Instant>,
    /// Whether a `join` came: from then on the uid is part of rooms, and a guest's resume
    /// token no longer changes it.
    joined: bool,
    /// Messages refused `unavailable` that must be stored before later ones (`in_order.rs`).
    in_order: InOrder,
}

impl Session {
    /// Acts on one text frame; returns a close code when the connection must end. Frames
    /// are handled one at a time, so the client's frames take effect in the order sent.
    async fn handle(&mut self, text: &str) -> Option<u16> {
        let frame = match decode_with_limit(text, self.state.config().max_frame_bytes) {
            Ok(frame) => frame,
            Err(DecodeError::TooLarge { .. }) => return Some(close_code::TOO_BIG),
            Err(DecodeError::Invalid(reason)) => {
                self.refuse(
                    error_code::BAD_FRAME,
                    format!("Unreadable frame: {reason}"),
                    Regarding::NOTHING,
                );
                return None;
            }
        };
        if let Some(kind) = metered(&frame) {
            match self.meter.check(kind, Instant::now()) {
                Verdict::Pass => {}
                Verdict::Wait(wait) => {
                    self.state.counters().refused();
                    self.rate_limited(&frame, wait);
                    return None;
                }
                Verdict::Abuse => return Some(close_code::POLICY),
            }
        }
        if self.state.config().auth.is_some() {
            if let Frame::Auth(auth) = &frame {
                return self.sign_in(&auth.token);
            }
            if self.identity.is_none() {
                return Some(self.refuse_sign_in("Sign in with an auth frame first.".to_owned()));
            }
        }
        match frame {
            Frame::Auth(auth) => self.resume_guest(&auth.token),
            Frame::Join(join) => {
                self.joined = true;
                self.join(join).await;
            }
            Frame::Leave(leave) => {
                if let Some(room) = self.valid_room(leave.room, Regarding::NOTHING) {
                    self.state.hub().leave(&self.peer, &room);
                }
            }
            Frame::Msg(msg) => self.post(msg).await,
            Frame::Fetch(fetch) => self.fetch(fetch).await,
            Frame::Typing(typing) => {
                if let Some(room) = self.valid_room(typing.room, Regarding::NOTHING) {
                    self.state.hub().typing(&self.peer, &room);
                }
            }
            Frame::Ping(ping) => self.peer.send(&Frame::Pong(ping)),
            Frame::Edit(edit) => self.act(Action::Edit(edit)).await,
            Frame::Delete(delete) => self.act(Action::Delete(delete)).await,
            Frame::React(react) => self.act(Action::React(react)).await,
            Frame::Read(read) => {
                let room = read.room.clone();
                let done = self.with_store(move |hub, peer| hub.read(peer, read)).await;
                if let Some(Err(err)) = done {
                    self.action_failed(err, &room, Regarding::NOTHING);
                }
            }
            Frame::Search(search) => self.search(search).await,
            // `here` is for servers without presence; the rest are frames only a server sends,
            // or types this version does not know.
            _ => {}
        }
        None
    }

    /// Signs the connection in with `token`, or renews its identity: answered with `authed`.
    /// A refused token, or one for another user, closes the connection with 4001.
    fn sign_in(&mut self, token: &str) -> Option<u16> {
        let identity = match self.state.verify(token) {
            Ok(identity) => identity,
            Err(reason) => return Some(self.refuse_sign_in(reason)),
        };
        if let Some(current) = &self.identity {
            if current.uid != identity.uid {
                let reason = "The token is for another user; reconnect to switch users.";
                return Some(self.refuse_sign_in(reason.to_owned()));
            }
        }
        self.signed_out_at = expiry(&self.state, &identity);
        self.peer.send(&Frame::Authed(identity.authed()));
        self.identity = Some(identity);
        None
    }

    /// A guest's `auth`: a resume token makes the connection the guest it was issued to,
    /// answered with a second `authed`. Ignored after the first `join`, and when the token is
    /// not a valid resume token of this server: the guest keeps its fresh uid.
    fn resume_guest(&mut self, token: &str) {
        if self.joined {
            return;
        }
        if let Some(guest) = self.state.resume_guest(token) {
            self.peer.send(&Frame::Authed(self.state.authed(&guest)));
            self.identity = Some(guest);
        }
    }

    /// Tells the client why it is not (or no longer) signed in; returns the close code.
    fn refuse_sign_in(&self, reason: String) -> u16 {
        self.peer
            .close_with(close_code::UNAUTHORIZED, &unauthorized(reason));
        close_code::UNAUTHORIZED
    }

    /// The sign-in deadline passed: no `auth` came, or the identity expired.
    fn signed_out(&self) -> u16 {
        let reason = match self.identity {
            None => "No auth frame came in time.",
            Some(_) => "The token expired; send a fresh one before exp to stay connected.",
        };
        self.refuse_sign_in(reason.to_owned())
    }

    /// Refuses a frame over its rate limit. A refused `msg` names its id, so the client
    /// keeps it and sends it again later; a refused `join` or `fetch` its `req`.
    fn rate_limited(&self, frame: &Frame, wait: Duration) {
        let retry_after = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
        self.peer.send(&Regarding::frame(frame).error(
            error_code::RATE_LIMITED,
            format!("Too many frames of this kind; try again in {retry_after} ms."),
            Some(retry_after),
        ));
    }

    /// The room, if its name is acceptable; otherwise refuses the frame with `bad_name`.
    fn valid_room(&self, room: String, regarding: Regarding) -> Option<String> {
        match validate_room(&room) {
            Ok(()) => Some(room),
            Err(reason) => {
                self.refuse(error_code::BAD_NAME, reason, regarding);
                None
            }
        }
    }

    /// The signed-in identity, if it may use `room`; otherwise refuses with `forbidden`.
    fn allowed_in(&self, room: &str, regarding: Regarding) -> Option<&Identity> {
        let identity = self.identity.as_ref()?;
        if identity.may_use(room) {
            return Some(identity);
        }
        let reason = format!("You may not use the room {room:?}.");
        self.refuse(error_code::FORBIDDEN, reason, regarding);
        None
    }

    async fn join(&self, mut join: Join) {
        let Some(identity) = self.allowed_in(&join.room, Regarding::request(join.req)) else {
            return;
        };
        // A signed-in user is known by the token's name, whatever the join asks for.
        if let Some(name) = &identity.name {
            join.name.clone_from(name);
        }
        let uid = identity.uid.clone();
        if let Err(reason) = validate_room(&join.room).and_then(|()| validate_name(&join.name)) {
            return self.refuse(error_code::BAD_NAME, reason, Regarding::request(join.req));
        }
        let (room, req) = (join.room.clone(), join.req);
        let joined = self
            .with_store(move |hub, peer| hub.join(peer, join, &uid))
            .await;
        if let Some(Err(refused)) = joined {
            self.refused(refused, &room, Regarding::request(req));
        }
    }

    async fn post(&mut self, msg: ChatMessage) {
        if msg.id.is_empty() || msg.id.len() > MAX_ID_BYTES {
            let reason = format!("A message id must be 1 to {MAX_ID_BYTES} bytes long.");
            return self.refuse(error_code::BAD_FRAME, reason, Regarding::NOTHING);
        }
        let max = self.state.config().max_text_bytes;
        if msg.text.len() > max {
            let reason = format!(
                "The text is {} bytes long; this server accepts at most {max}.",
                msg.text.len()
            );
            return self.refuse(error_code::TOO_LARGE, reason, Regarding::message(msg.id));
        }
        if self
            .valid_room(msg.room.clone(), Regarding::message(msg.id.clone()))
            .is_none()
        {
            return;
        }
        let (id, room) = (msg.id.clone(), msg.room.clone());
        if self.in_order.must_wait(&room, &id, Instant::now()) {
            let reason = "An earlier message of yours in this room could not be stored yet; \
                          it must be stored first.";
            return self.refuse(
                error_code::UNAVAILABLE,
                reason.to_owned(),
                Regarding::message(id),
            );
        }
        let posted = self.with_store(move |hub, peer| hub.post(peer, msg)).await;
        match posted {
            Some(Ok(Posted::Stored)) => self.in_order.stored(&room, &id),
            Some(Ok(Posted::NotStored)) => self.in_order.not_stored(&room, &id, Instant::now()),
            Some(Err(refused)) => self.refused(refused, &room, Regarding::message(id)),
            None => {}
        }
    }

    async fn fetch(&self, fetch: Fetch) {
        let regarding = Regarding::request(fetch.req);
        let Some(room) = self.valid_room(fetch.room.clone(), regarding.clone()) else {
            return;
        };
        if self.allowed_in(&room, regarding.clone()).is_none() {
            return;
        }
        let fetched = self
            .with_store(move |hub, peer| hub.fetch(peer, &fetch))
            .await;
        if let Some(Err(refused)) = fetched {
            self.refused(refused, &room, regarding);
        }
    }

    /// An edit, delete or reaction: the edited text is held to the limit of a message's.
    async fn act(&self, action: Action) {
        let (room, id) = match &action {
            Action::Edit(edit) => (edit.room.clone(), edit.id.clone()),
            Action::Delete(delete) => (delete.room.clone(), delete.id.clone()),
            Action::React(react) => (react.room.clone(), react.id.clone()),
        };
        let regarding = Regarding::message(id);
        if let Action::Edit(edit) = &action {
            let max = self.state.config().max_text_bytes;
            if edit.text.len() > max {
                let reason = format!(
                    "The text is {} bytes long; this server accepts at most {max}.",
                    edit.text.len()
                );
                return self.refuse(error_code::TOO_LARGE, reason, regarding);
            }
        }
        if self.allowed_in(&room, regarding.clone()).is_none() {
            return;
        }
        let done = self
            .with_store(move |hub, peer| hub.act(peer, action))
            .await;
        if let Some(Err(err)) = done {
            self.action_failed(err, &room, regarding);
        }
    }

    async fn search(&self, search: Search) {
        let regarding = Regarding::request(search.req);
        if self.allowed_in(&search.room, regarding.clone()).is_none() {
            return;
        }
        let room = search.room.clone();
        let done = self
            .with_store(move |hub, peer| hub.search(peer, &search))
            .await;
        if let Some(Err(err)) = done {
            self.action_failed(err, &room, regarding);
        }
    }

    /// Tells the client why an action, read position or search about `room` was refused.
    fn action_failed(&self, err: ActionError, room: &str, regarding: Regarding) {
        let (code, reason) = match err {
            ActionError::Refused(refused) => return self.refused(refused, room, regarding),
            ActionError::Store(ActionRefused::NotFound) => (
                error_code::NOT_FOUND,
                "No such message in this room, or it was deleted.".to_owned(),
            ),
            ActionError::Store(ActionRefused::NotAuthor) => (
                error_code::FORBIDDEN,
                "Only the author of a message may edit or delete it.".to_owned(),
            ),
            ActionError::Store(ActionRefused::TooManyReactions) => (
                error_code::TOO_LARGE,
                format!("A message carries at most {MAX_REACTION_KINDS} kinds of reaction."),
            ),
            ActionError::Store(ActionRefused::Unsupported) => (
                error_code::UNSUPPORTED,
                "This server does not keep this kind of request.".to_owned(),
            ),
            ActionError::Store(ActionRefused::Failed(err)) => {
                tracing::error!(%err, "a message action could not be stored");
                (
                    error_code::UNAVAILABLE,
                    "The request could not be carried out now.".to_owned(),
                )
            }
        };
        self.refuse(code, reason, regarding);
    }

    /// Tells the client why the hub did not act on its frame about `room`.
    fn refused(&self, refused: Refused, room: &str, regarding: Regarding) {
        let (code, reason) = match refused {
            Refused::NotJoined => (
                error_code::NOT_JOINED,
                format!("Join the room {room:?} before using it."),
            ),
            Refused::TooManyRooms => (
                TOO_MANY_ROOMS,
                format!(
                    "This connection is in {} rooms, the most this server allows; leave one \
                     before joining {room:?}.",
                    self.state.config().flow.rooms_per_connection
                ),
            ),
            Refused::RoomFull => (
                ROOM_FULL,
                format!(
                    "The room {room:?} has {} members, the most this server allows.",
                    self.state.config().flow.members_per_room
                ),
            ),
        };
        self.refuse(code, reason, regarding);
    }

    /// Runs a room operation that calls the history store on tokio's blocking pool: a store
    /// may wait for the disk, which must not hold up the other sockets of a runtime worker.
    /// Once started, the operation runs to its end even if this connection is dropped
    /// meanwhile, so a stored message is always broadcast too. `None` means the runtime is
    /// shutting down and the operation never ran.
    async fn with_store<R, F>(&self, work: F) -> Option<R>
    where
        R: Send + 'static,
        F: FnOnce(&Hub, &Peer) -> R + Send + 'static,
    {
        let state = self.state.clone();
        let peer = self.peer.clone();
        match tokio::task::spawn_blocking(move || work(state.hub(), &peer)).await {
            Ok(result) => Some(result),
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => None,
        }
    }

    fn refuse(&self, code: &str, message: String, regarding: Regarding) {
        self.peer.send(&regarding.error(code, message, None));
    }
}

/// The rate limit a frame counts against, if any.
fn metered(frame: &Frame) -> Option<Metered> {
    match frame {
        // Every action on a message costs as much as a message.
        Frame::Msg(_) | Frame::Edit(_) | Frame::Delete(_) | Frame::React(_) | Frame::Read(_) => {
            Some(Metered::Msg)
        }
        Frame::Search(_) => Some(Metered::Fetch),
        Frame::Typing(_) => Some(Metered::Typing),
        Frame::Join(_) | Frame::Leave(_) => Some(Metered::Membership),
        Frame::Fetch(_) => Some(Metered::Fetch),
        // Checking a signature costs more than any other frame.
        Frame::Auth(_) => Some(Metered::Membership),
        Frame::Here(_) => Some(Metered::Here),
        _ => None,
    }
}

mod in_order;
#[cfg(test)]
mod tests;
