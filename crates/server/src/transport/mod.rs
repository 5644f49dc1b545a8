//! The chat over plain HTTP, for clients whose network will not carry a WebSocket: an event
//! stream (SSE) or long polling downstream, and `POST` upstream.
//!
//! Both run the very connection a WebSocket runs ([`serve_connection_as`]): the frames a
//! client posts are fed to it as if read from a socket, and what it writes is carried to the
//! client by the transport. So `seq`, acks, resume, presence, identity, rate limits and flow
//! control are the same on every transport. A connection is found by an id that the
//! opening request hands out; the id is random and is all it takes to post as that
//! connection, so it is kept as secret as a cookie.

mod cors;
pub(crate) mod poll;
pub(crate) mod sse;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::Message;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Extension, Router};
use futures_util::{Sink, Stream};
use tokio::sync::mpsc;

use crate::connection::serve_connection_as;
use crate::opening::{check_origin, Opening};
use crate::peer::lock;
use crate::state::AppState;

/// In `hello.features` when the server offers the SSE transport.
pub const FEATURE_SSE: &str = "sse";
/// In `hello.features` when the server offers long (and short) polling.
pub const FEATURE_LONG_POLLING: &str = "long-polling";

/// Frames posted but not yet read by the connection. Small: a client that posts faster than
/// its connection handles frames waits for its `POST` to be answered.
const INBOUND_FRAMES: usize = 32;

/// Timings of the HTTP transports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTransports {
    /// Longest a long-polling `GET` is held before it is answered with no frames.
    pub poll_wait: Duration,
    /// A polling session with no `GET` for this long is closed, as a dead socket is.
    pub poll_idle: Duration,
}

impl Default for HttpTransports {
    fn default() -> Self {
        Self {
            poll_wait: Duration::from_secs(25),
            poll_idle: Duration::from_secs(60),
        }
    }
}

/// The SSE and polling endpoints, with their sessions, the body limit and cross-origin
/// answers for the origins the server allows.
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    use poll::{PollSessions, POLL_PATH};
    use sse::{SseSessions, SSE_PATH};
    Router::new()
        .route(SSE_PATH, get(sse::open))
        .route(&format!("{SSE_PATH}/{{id}}"), post(sse::post))
        .route(POLL_PATH, post(poll::open))
        .route(
            &format!("{POLL_PATH}/{{id}}"),
            get(poll::poll).post(poll::post).delete(poll::close),
        )
        .layer(Extension(SseSessions::new()))
        .layer(Extension(PollSessions::new()))
        // Posted frames are refused with 413 past one frame's size, before they are read.
        .layer(DefaultBodyLimit::max(state.config().max_frame_bytes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            cors::allow_allowed_origins,
        ))
}

/// The open connections of one HTTP transport, by id.
#[derive(Debug)]
pub(crate) struct Sessions<T> {
    by_id: Mutex<HashMap<String, T>>,
}

impl<T: Clone> Sessions<T> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            by_id: Mutex::new(HashMap::new()),
        })
    }

    /// Files `session` under a fresh random id, which is returned.
    pub(crate) fn insert(&self, session: T) -> String {
        let id = random_id();
        lock(&self.by_id).insert(id.clone(), session);
        id
    }

    pub(crate) fn get(&self, id: &str) -> Option<T> {
        lock(&self.by_id).get(id).cloned()
    }

    pub(crate) fn remove(&self, id: &str) -> Option<T> {
        lock(&self.by_id).remove(id)
    }
}

/// 128 random bits, in hex: nobody can guess another client's id.
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // Without an entropy source no id could be secret; that is a broken host.
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs a connection in the background whose client frames come from the returned sender
/// and whose frames go to `outbound`. It ends when the sender and all its clones are
/// dropped (the client is gone), or when the connection closes itself; then `ended` runs.
pub(crate) fn spawn_connection<Tx>(
    state: AppState,
    opening: Opening,
    outbound: Tx,
    inbound_rx: mpsc::Receiver<Message>,
    ended: impl FnOnce() + Send + 'static,
) where
    Tx: Sink<Message> + Unpin + Send + 'static,
{
    let inbound = Box::pin(inbound_stream(inbound_rx));
    tokio::spawn(async move {
        serve_connection_as(state, outbound, inbound, opening.cookie_token).await;
        drop(opening.admitted);
        ended();
    });
}

/// The client's frames, as the connection reads them from a socket.
fn inbound_stream(
    rx: mpsc::Receiver<Message>,
) -> impl Stream<Item = Result<Message, axum::Error>> + Send {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|message| (Ok(message), rx))
    })
}

/// A fresh inbound channel for one connection.
pub(crate) fn inbound_channel() -> (mpsc::Sender<Message>, mpsc::Receiver<Message>) {
    mpsc::channel(INBOUND_FRAMES)
}

/// Answers a `POST` of client frames: one frame, or a JSON array of frames, handed to the
/// connection in order. The body may be as large as one frame may be (413 beyond); a frame
/// the connection cannot read is answered downstream with `bad_frame`, as on a WebSocket.
pub(crate) async fn post_frames(
    state: &AppState,
    headers: &HeaderMap,
    inbound: Option<mpsc::Sender<Message>>,
    body: Bytes,
) -> Response {
    if let Err(refusal) = check_origin(state, headers) {
        return refusal.into_response();
    }
    let Some(inbound) = inbound else {
        return unknown_connection();
    };
    let limit = state.config().max_frame_bytes;
    if body.len() > limit {
        let answer = format!("A request body may be at most {limit} bytes long\n");
        return (StatusCode::PAYLOAD_TOO_LARGE, answer).into_response();
    }
    let frames = match split_frames(&body) {
        Ok(frames) => frames,
        Err(reason) => return (StatusCode::BAD_REQUEST, reason).into_response(),
    };
    for frame in frames {
        if inbound.send(Message::Text(frame.into())).await.is_err() {
            return unknown_connection();
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

/// The frames in a `POST` body: the body itself, or each element of a JSON array.
fn split_frames(body: &[u8]) -> Result<Vec<String>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "The body is not UTF-8\n".to_owned())?;
    if !text.trim_start().starts_with('[') {
        return Ok(vec![text.to_owned()]);
    }
    let frames: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|err| format!("Unreadable array of frames: {err}\n"))?;
    Ok(frames.iter().map(serde_json::Value::to_string).collect())
}

/// 404 for an id that names no open connection: never opened, guessed, or closed since.
pub(crate) fn unknown_connection() -> Response {
    (StatusCode::NOT_FOUND, "No such connection\n").into_response()
}

/// The JSON object telling an HTTP client its connection closed, and why.
pub(crate) fn close_json(code: u16, reason: &str) -> String {
    serde_json::json!({ "code": code, "reason": reason }).to_string()
}
