//! Long polling: `POST /poll` opens a connection, `GET /poll/{id}?cursor=N` answers the
//! frames after the `N` the client already has (held until one comes, or
//! [`HttpTransports::poll_wait`](super::HttpTransports) passes), `POST /poll/{id}` sends, and
//! `DELETE /poll/{id}` ends the connection.
//!
//! Frames stay with the connection until a later `GET` names a cursor past them, so an
//! answer lost on the way is sent again on the next `GET` with the same cursor. `wait=0`
//! answers at once, which is short polling.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use tokio::sync::{mpsc, Notify};
use tokio::time::{timeout_at, Instant};
use wirechat_protocol::close_code;

use super::Sessions;
use super::{close_json, inbound_channel, post_frames, spawn_connection, unknown_connection};
use crate::connection::close_reason;
use crate::metrics::Metrics;
use crate::opening::{check_origin, Opening, Refusal};
use crate::peer::lock;
use crate::state::AppState;

/// Path that opens a polling connection; it is then polled and posted to at `{POLL_PATH}/{id}`.
pub const POLL_PATH: &str = "/poll";

/// The open polling connections.
pub(crate) type PollSessions = Sessions<Arc<PollSession>>;

/// One polling connection: where its client's frames go, and the frames it has not yet
/// been told the client has.
#[derive(Debug)]
pub(crate) struct PollSession {
    /// Where the client's frames go; taken away to end the connection.
    inbound: Mutex<Option<mpsc::Sender<Message>>>,
    downstream: Mutex<Downstream>,
    /// Woken when a frame or the close arrives.
    arrived: Notify,
    /// Woken when an answer told the close.
    close_told: Notify,
    /// When the client last asked for frames.
    liveness: Mutex<Liveness>,
}

#[derive(Debug)]
struct Liveness {
    /// When the last `GET` came or was answered.
    last_get: Instant,
    /// `GET`s being held now: a client waiting for frames is not idle.
    held: usize,
}

#[derive(Debug, Default)]
struct Downstream {
    /// The cursor of the frame before `frames[0]`: how many frames were let go.
    base: u64,
    frames: VecDeque<String>,
    bytes: usize,
    /// The close code and reason, once the connection closed.
    close: Option<(u16, String)>,
    /// Whether an answer told the close.
    told: bool,
}

/// The query of a polling `GET`.
#[derive(Debug, Deserialize)]
pub(crate) struct PollQuery {
    /// How many frames the client has: it gets the ones after.
    cursor: u64,
    /// Seconds to hold the request when nothing is there; at most the server's wait.
    wait: Option<u64>,
}

/// `POST /poll`: opens a connection and answers as a `GET` with cursor 0 would, with the
/// connection's `id` added: `{"id", "cursor", "frames": [hello, …]}`.
pub(crate) async fn open(
    State(state): State<AppState>,
    Extension(sessions): Extension<Arc<PollSessions>>,
    opening: Opening,
) -> Response {
    let (inbound, inbound_rx) = inbound_channel();
    let session = Arc::new(PollSession {
        inbound: Mutex::new(Some(inbound)),
        downstream: Mutex::default(),
        arrived: Notify::new(),
        close_told: Notify::new(),
        liveness: Mutex::new(Liveness {
            last_get: Instant::now(),
            held: 0,
        }),
    });
    let id = sessions.insert(session.clone());
    let queue_limit = state.config().flow.queue_bytes;
    let metrics = Arc::clone(state.metrics());
    let outbound = Box::pin(frame_sink(session.clone(), queue_limit, metrics));
    let ended = {
        let (sessions, id, session) = (sessions.clone(), id.clone(), session.clone());
        let linger = state.config().transports.poll_idle;
        // Kept a while after the close, so the client's next `GET` learns why.
        move || {
            tokio::spawn(async move {
                let _ = timeout_at(Instant::now() + linger, session.closed_and_told()).await;
                sessions.remove(&id);
            });
        }
    };
    spawn_connection(state.clone(), opening, outbound, inbound_rx, ended);
    tokio::spawn(expire_when_idle(
        sessions,
        id.clone(),
        session.clone(),
        state.config().transports.poll_idle,
    ));
    // The hello is queued as the connection starts: wait for it, not the full poll.
    let hello_wait = Duration::from_secs(5);
    answer(&session, 0, Instant::now() + hello_wait, Some(&id)).await
}

/// `GET /poll/{id}?cursor=N[&wait=S]`: the frames after cursor `N`, as
/// `{"cursor": M, "frames": […]}` with `M` the cursor to ask with next, and `"close":
/// {"code", "reason"}` once the connection closed.
pub(crate) async fn poll(
    State(state): State<AppState>,
    Extension(sessions): Extension<Arc<PollSessions>>,
    Path(id): Path<String>,
    Query(query): Query<PollQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = check_origin(&state, &headers) {
        return refusal.into_response();
    }
    let Some(session) = sessions.get(&id) else {
        return unknown_connection();
    };
    let most = state.config().transports.poll_wait;
    let wait = query
        .wait
        .map_or(most, |s| Duration::from_secs(s).min(most));
    session.asking(1);
    // Asking counts as a sign of life, as a pong does on a WebSocket.
    if let Some(inbound) = session.sender() {
        let _ = inbound.try_send(Message::Pong(Bytes::new()));
    }
    let answered = answer(&session, query.cursor, Instant::now() + wait, None).await;
    session.asking(-1);
    answered
}

/// `POST /poll/{id}`: one frame, or a JSON array of frames, for the connection `id`.
pub(crate) async fn post(
    State(state): State<AppState>,
    Extension(sessions): Extension<Arc<PollSessions>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inbound = sessions.get(&id).and_then(|session| session.sender());
    post_frames(&state, &headers, inbound, body).await
}

/// `DELETE /poll/{id}`: the client is done with the connection (it moved to a WebSocket, or
/// dropped it for another), so it ends now, as a closed socket would: its rooms see the
/// client leave, and it stops counting against the connection limits, instead of lingering
/// until [`HttpTransports::poll_idle`](super::HttpTransports) passes without a `GET`.
pub(crate) async fn close(
    State(state): State<AppState>,
    Extension(sessions): Extension<Arc<PollSessions>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = check_origin(&state, &headers) {
        return refusal.into_response();
    }
    let Some(session) = sessions.remove(&id) else {
        return unknown_connection();
    };
    session.hang_up();
    StatusCode::NO_CONTENT.into_response()
}

/// Lets go of the frames up to `cursor`, then answers those after it, waiting until
/// `deadline` for one when there are none.
async fn answer(
    session: &PollSession,
    cursor: u64,
    deadline: Instant,
    id: Option<&str>,
) -> Response {
    loop {
        let arrived = session.arrived.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        match session.take_after(cursor) {
            Err(refusal) => return refusal.into_response(),
            Ok(Some(body)) => return json(body, id),
            Ok(None) => {}
        }
        if timeout_at(deadline, arrived).await.is_err() {
            return match session.take_after(cursor) {
                Err(refusal) => refusal.into_response(),
                Ok(body) => json(body.unwrap_or_else(|| empty(cursor)), id),
            };
        }
    }
}

fn empty(cursor: u64) -> String {
    format!(r#""cursor":{cursor},"frames":[]"#)
}

fn json(fields: String, id: Option<&str>) -> Response {
    let body = match id {
        Some(id) => format!(r#"{{"id":"{id}",{fields}}}"#),
        None => format!("{{{fields}}}"),
    };
    let headers = [
        (CONTENT_TYPE, "application/json"),
        // Each answer is for one request; a cache must never give it to another.
        (CACHE_CONTROL, "no-store"),
    ];
    (headers, body).into_response()
}

impl PollSession {
    fn sender(&self) -> Option<mpsc::Sender<Message>> {
        lock(&self.inbound).clone()
    }

    /// After the close: wakes the `GET`s waiting to tell it, and takes no more frames, so
    /// the connection need not wait for the client.
    fn hang_up(&self) {
        self.arrived.notify_waiters();
        lock(&self.inbound).take();
    }

    /// Notes a `GET` starting (`1`) or answered (`-1`).
    fn asking(&self, change: isize) {
        let mut liveness = lock(&self.liveness);
        liveness.last_get = Instant::now();
        liveness.held = liveness.held.saturating_add_signed(change);
    }

    /// When the client counts as gone if it does not ask again; `None` while it waits.
    fn idle_from(&self, idle: Duration) -> Option<Instant> {
        let liveness = lock(&self.liveness);
        (liveness.held == 0).then(|| liveness.last_get + idle)
    }

    /// The answer's fields for a client that has `cursor` frames, or `None` when there is
    /// nothing to say yet.
    fn take_after(&self, cursor: u64) -> Result<Option<String>, Refusal> {
        let mut down = lock(&self.downstream);
        let end = down.base + down.frames.len() as u64;
        if cursor < down.base {
            let answer = "Those frames were let go: a later cursor was asked for already\n";
            return Err(Refusal::new(StatusCode::GONE, answer));
        }
        if cursor > end {
            let answer = "The cursor is past the last frame\n";
            return Err(Refusal::new(StatusCode::BAD_REQUEST, answer));
        }
        while down.base < cursor {
            if let Some(frame) = down.frames.pop_front() {
                down.bytes -= frame.len();
            }
            down.base += 1;
        }
        if down.frames.is_empty() && down.close.is_none() {
            return Ok(None);
        }
        // Each frame was encoded by this server, so it is valid JSON as it stands.
        let frames = down
            .frames
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(",");
        let mut fields = format!(r#""cursor":{end},"frames":[{frames}]"#);
        if let Some((code, reason)) = &down.close {
            fields.push_str(&format!(r#","close":{}"#, close_json(*code, reason)));
            // The last word is said: the id may go.
            down.told = true;
            self.close_told.notify_waiters();
        }
        Ok(Some(fields))
    }

    /// Waits until an answer told the close; at once for a connection that ended without
    /// one (its client was gone).
    async fn closed_and_told(&self) {
        loop {
            let told = self.close_told.notified();
            tokio::pin!(told);
            told.as_mut().enable();
            {
                let down = lock(&self.downstream);
                if down.close.is_none() || down.told {
                    return;
                }
            }
            told.await;
        }
    }
}

/// Keeps the connection's frames for the client's `GET`s. A client that lets more than
/// `queue_limit` bytes of them wait is closed with 4000, as one that stopped reading a
/// socket is; the close is told after the frames it has, so its next `GET`s learn why.
fn frame_sink(
    session: Arc<PollSession>,
    queue_limit: usize,
    metrics: Arc<Metrics>,
) -> impl futures_util::Sink<Message, Error = ()> + Send {
    futures_util::sink::unfold(session, move |session, message: Message| {
        let metrics = Arc::clone(&metrics);
        async move { carry(&session, queue_limit, &metrics, message).map(|()| session) }
    })
}

/// Keeps one frame for the client, or the close; `Err` once nothing more may follow.
fn carry(
    session: &PollSession,
    queue_limit: usize,
    metrics: &Metrics,
    message: Message,
) -> Result<(), ()> {
    match message {
        Message::Text(text) => {
            let mut down = lock(&session.downstream);
            // Never waiting here: a sink that waited would hold the close back too.
            if down.bytes + text.len() > queue_limit && !down.frames.is_empty() {
                let code = close_code::SLOW_CONSUMER;
                // The connection sees its sink fail, not a close, so it is counted here.
                metrics.closed(code);
                down.close = Some((code, close_reason(code).to_owned()));
                drop(down);
                session.hang_up();
                return Err(());
            }
            down.bytes += text.len();
            down.frames.push_back(text.as_str().to_owned());
            drop(down);
            session.arrived.notify_waiters();
            Ok(())
        }
        Message::Close(frame) => {
            let (code, reason) = frame
                .map_or((1005, String::new()), |CloseFrame { code, reason }| {
                    (code, reason.as_str().to_owned())
                });
            lock(&session.downstream).close = Some((code, reason));
            session.hang_up();
            // Nothing follows a close.
            Err(())
        }
        // Liveness comes from the client's `GET`s; pings have nowhere to go.
        Message::Ping(_) | Message::Pong(_) | Message::Binary(_) => Ok(()),
    }
}

/// Closes the connection once its client has not asked for frames for `idle`, as a socket
/// that went silent is closed: the connection leaves its rooms and others see it go.
async fn expire_when_idle(
    sessions: Arc<PollSessions>,
    id: String,
    session: Arc<PollSession>,
    idle: Duration,
) {
    // Checked at least this often, so a `GET` held when the last check ran is not missed.
    let recheck = idle.min(Duration::from_secs(1));
    loop {
        if lock(&session.downstream).close.is_some() {
            return;
        }
        let now = Instant::now();
        match session.idle_from(idle) {
            Some(at) if at <= now => break,
            Some(at) => tokio::time::sleep_until(at.min(now + recheck)).await,
            None => tokio::time::sleep(recheck).await,
        }
    }
    // Dropping the last sender of its inbound frames ends the connection as a closed
    // socket would.
    lock(&session.inbound).take();
    sessions.remove(&id);
}
