//! One WebSocket connection: a writer task draining its queue into the socket, a reader task
//! turning frames into room operations, and the cleanup when either ends.
//!
//! Both halves are generic over `Sink`/`Stream` of axum WebSocket messages, so tests can
//! drive a connection with plain channels instead of a socket.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::{interval_at, timeout, timeout_at, Instant, MissedTickBehavior};
use wirechat_protocol::{
    close_code, decode_with_limit, error_code, validate_name, validate_room, ChatMessage,
    DecodeError, ErrorFrame, Fetch, Frame, Join, MAX_ID_BYTES,
};

use crate::flow::{ROOM_FULL, TOO_MANY_ROOMS};
use crate::peer::{Outgoing, Peer};
use crate::rate::{Meter, Metered, Verdict};
use crate::rooms::{Hub, Refused};
use crate::state::AppState;

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
    let (id, _counted) = state.open_connection();
    let flow = &state.config().flow;
    let peer = Peer::new(id, flow.queue_bytes, state.counters());
    peer.deliver(state.hello());

    let mut writer = tokio::spawn(write_frames(tx, peer.clone(), state.clone()));
    let reader_session = Session {
        peer: peer.clone(),
        meter: Meter::new(flow, Instant::now()),
        state: state.clone(),
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
            say_goodbye(tx, code).await;
            // The reader ends when the client answers the close frame.
            let _ = timeout(CLOSE_GRACE, &mut reader).await;
        }
        Ended::Writer(None) | Ended::Reader(None) => {}
        Ended::Reader(Some(code)) => {
            peer.close(code);
            if let Ok(Ok(Some((tx, code)))) = timeout(CLOSE_GRACE, &mut writer).await {
                say_goodbye(tx, code).await;
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

async fn say_goodbye<Tx: Sink<Message> + Unpin>(mut tx: Tx, code: u16) {
    let frame = CloseFrame {
        code,
        reason: close_reason(code).into(),
    };
    let _ = timeout(CLOSE_WRITE_LIMIT, tx.send(Message::Close(Some(frame)))).await;
}

fn close_reason(code: u16) -> &'static str {
    match code {
        close_code::GOING_AWAY => "shutting down, or idle for too long",
        close_code::TOO_BIG => "frame too large",
        close_code::SLOW_CONSUMER => "too slow to keep up",
        close_code::NORMAL => "no sign of life",
        close_code::POLICY => "over the rate limits for too long",
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
        let Ok(next) = timeout_at(idle_at.min(silent_at), rx.next()).await else {
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
                    None,
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
        match frame {
            Frame::Join(join) => self.join(join).await,
            Frame::Leave(leave) => {
                if let Some(room) = self.valid_room(leave.room, None) {
                    self.state.hub().leave(&self.peer, &room);
                }
            }
            Frame::Msg(msg) => self.post(msg).await,
            Frame::Fetch(fetch) => self.fetch(fetch).await,
            Frame::Typing(typing) => {
                if let Some(room) = self.valid_room(typing.room, None) {
                    self.state.hub().typing(&self.peer, &room);
                }
            }
            Frame::Ping(ping) => self.peer.send(&Frame::Pong(ping)),
            // `here` is for servers without presence; the rest are frames only a server sends,
            // or types this version does not know.
            _ => {}
        }
        None
    }

    /// Refuses a frame over its rate limit. A refused `msg` names its id, so the client
    /// keeps it and sends it again later.
    fn rate_limited(&self, frame: &Frame, wait: Duration) {
        let id = match frame {
            Frame::Msg(msg) => Some(msg.id.clone()),
            _ => None,
        };
        let retry_after = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
        self.peer.send(&Frame::Error(ErrorFrame {
            code: error_code::RATE_LIMITED.to_owned(),
            message: format!("Too many frames of this kind; try again in {retry_after} ms."),
            id,
            retry_after: Some(retry_after),
        }));
    }

    /// The room, if its name is acceptable; otherwise refuses the frame with `bad_name`.
    fn valid_room(&self, room: String, id: Option<String>) -> Option<String> {
        match validate_room(&room) {
            Ok(()) => Some(room),
            Err(reason) => {
                self.refuse(error_code::BAD_NAME, reason, id);
                None
            }
        }
    }

    async fn join(&self, join: Join) {
        if let Err(reason) = validate_room(&join.room).and_then(|()| validate_name(&join.name)) {
            return self.refuse(error_code::BAD_NAME, reason, None);
        }
        let room = join.room.clone();
        let joined = self.with_store(move |hub, peer| hub.join(peer, join)).await;
        if let Some(Err(refused)) = joined {
            self.refused(refused, &room, None);
        }
    }

    async fn post(&self, msg: ChatMessage) {
        if msg.id.is_empty() || msg.id.len() > MAX_ID_BYTES {
            let reason = format!("A message id must be 1 to {MAX_ID_BYTES} bytes long.");
            return self.refuse(error_code::BAD_FRAME, reason, None);
        }
        let max = self.state.config().max_text_bytes;
        if msg.text.len() > max {
            let reason = format!(
                "The text is {} bytes long; this server accepts at most {max}.",
                msg.text.len()
            );
            return self.refuse(error_code::TOO_LARGE, reason, Some(msg.id));
        }
        if self
            .valid_room(msg.room.clone(), Some(msg.id.clone()))
            .is_none()
        {
            return;
        }
        let (id, room) = (msg.id.clone(), msg.room.clone());
        let posted = self.with_store(move |hub, peer| hub.post(peer, msg)).await;
        if let Some(Err(refused)) = posted {
            self.refused(refused, &room, Some(id));
        }
    }

    async fn fetch(&self, fetch: Fetch) {
        let Some(room) = self.valid_room(fetch.room.clone(), None) else {
            return;
        };
        let fetched = self
            .with_store(move |hub, peer| hub.fetch(peer, &fetch))
            .await;
        if let Some(Err(refused)) = fetched {
            self.refused(refused, &room, None);
        }
    }

    /// Tells the client why the hub did not act on its frame about `room`.
    fn refused(&self, refused: Refused, room: &str, id: Option<String>) {
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
        self.refuse(code, reason, id);
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

    fn refuse(&self, code: &str, message: String, id: Option<String>) {
        self.peer.send(&Frame::Error(ErrorFrame {
            code: code.to_owned(),
            message,
            id,
            retry_after: None,
        }));
    }
}

/// The rate limit a frame counts against, if any.
fn metered(frame: &Frame) -> Option<Metered> {
    match frame {
        Frame::Msg(_) => Some(Metered::Msg),
        Frame::Typing(_) => Some(Metered::Typing),
        Frame::Join(_) | Frame::Leave(_) => Some(Metered::Membership),
        Frame::Fetch(_) => Some(Metered::Fetch),
        Frame::Here(_) => Some(Metered::Here),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
