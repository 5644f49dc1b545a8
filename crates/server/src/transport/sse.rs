//! Server-sent events: `GET /sse` opens a connection and streams its frames, one event per
//! frame; `POST /sse/{id}` sends the client's frames.
//!
//! The stream is the connection: when it drops, the connection ends as a closed socket
//! does, and the client opens a new one and resumes each room with `join.after`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::Stream;
use tokio::sync::mpsc;

use super::{close_json, inbound_channel, post_frames, spawn_connection, Sessions};
use crate::opening::Opening;
use crate::state::AppState;

/// Path that opens an event stream; frames are posted to `{SSE_PATH}/{id}`.
pub const SSE_PATH: &str = "/sse";

/// Events written but not yet sent to the client. The connection's own queue, bounded in
/// bytes, holds the rest, so a client that stops reading is closed with 4000.
const STREAM_EVENTS: usize = 16;

/// The open event-stream connections: where to post each one's frames.
pub(crate) type SseSessions = Sessions<mpsc::Sender<Message>>;

/// `GET /sse`: the first event (type `link`) names the connection's id, then every frame the
/// server sends is one event (type `message`), and a closing connection ends the stream with
/// an event of type `close` holding its code and reason.
pub(crate) async fn open(
    State(state): State<AppState>,
    Extension(sessions): Extension<Arc<SseSessions>>,
    opening: Opening,
) -> Response {
    let (inbound, inbound_rx) = inbound_channel();
    let (events, events_rx) = mpsc::channel(STREAM_EVENTS);
    let outbound = Box::pin(event_sink(events.clone(), inbound.downgrade()));
    let id = sessions.insert(inbound);
    let link = serde_json::json!({ "id": id, "post": format!("{SSE_PATH}/{id}") });
    // Cannot fail: the receiver is right here and the channel is empty.
    let _ = events.try_send(Event::default().event("link").data(link.to_string()));
    drop(events);
    let ended = {
        let (sessions, id) = (sessions.clone(), id.clone());
        move || drop(sessions.remove(&id))
    };
    spawn_connection(state, opening, outbound, inbound_rx, ended);
    let forget = Forget { sessions, id };
    // A buffering proxy (nginx) would hold events back until its buffer fills.
    let unbuffered = [("x-accel-buffering", "no")];
    (unbuffered, Sse::new(event_stream(events_rx, forget))).into_response()
}

/// `POST /sse/{id}`: one frame, or a JSON array of frames, for the connection `id`.
pub(crate) async fn post(
    State(state): State<AppState>,
    Extension(sessions): Extension<Arc<SseSessions>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    post_frames(&state, &headers, sessions.get(&id), body).await
}

/// Writes the connection's frames as events. A heartbeat ping becomes a comment, which
/// keeps proxies from timing the stream out; when it is handed on, the stream is still
/// open, and that counts as the pong a WebSocket client would have sent.
fn event_sink(
    events: mpsc::Sender<Event>,
    inbound: mpsc::WeakSender<Message>,
) -> impl futures_util::Sink<Message, Error = ()> + Send {
    futures_util::sink::unfold(
        (events, inbound),
        |(events, inbound), message: Message| async move {
            let event = match &message {
                Message::Text(text) => Event::default().data(text.as_str()),
                Message::Ping(_) => Event::default().comment(""),
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .as_ref()
                        .map_or((1005, ""), |CloseFrame { code, reason }| {
                            (*code, reason.as_str())
                        });
                    let close = Event::default()
                        .event("close")
                        .data(close_json(code, reason));
                    let _ = events.send(close).await;
                    // Ends the stream: nothing follows a close.
                    return Err(());
                }
                Message::Binary(_) | Message::Pong(_) => return Ok((events, inbound)),
            };
            events.send(event).await.map_err(|_| ())?;
            if matches!(message, Message::Ping(_)) {
                if let Some(inbound) = inbound.upgrade() {
                    let _ = inbound.try_send(Message::Pong(Bytes::new()));
                }
            }
            Ok((events, inbound))
        },
    )
}

/// The events for the response body. Holding `forget`, it ends the connection when the
/// client drops the stream.
fn event_stream(
    events: mpsc::Receiver<Event>,
    forget: Forget,
) -> impl Stream<Item = Result<Event, Infallible>> + Send {
    futures_util::stream::unfold((events, forget), |(mut events, forget)| async move {
        let event = events.recv().await?;
        Some((Ok(event), (events, forget)))
    })
}

/// Removes a connection's id when its stream is dropped. That drops the last sender of its
/// inbound frames, which ends the connection as a closed socket would.
struct Forget {
    sessions: Arc<SseSessions>,
    id: String,
}

impl Drop for Forget {
    fn drop(&mut self) {
        self.sessions.remove(&self.id);
    }
}
