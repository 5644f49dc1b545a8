//! HTTP: the WebSocket endpoint, its Origin check and the static frontend.

use axum::extract::{State, WebSocketUpgrade};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;
use tower_http::services::ServeDir;
use wirechat_protocol::SUBPROTOCOL;

use crate::connection::serve_connection;
use crate::origin::origin_allowed;
use crate::state::AppState;

/// Path of the WebSocket endpoint.
pub const WS_PATH: &str = "/ws";

/// The server's routes: `GET /ws` upgrades to the chat protocol; with a static directory
/// configured, every other path is a file from it (`index.html` for `/`).
pub fn app(state: AppState) -> Router {
    let router = Router::new().route(WS_PATH, get(upgrade));
    let router = match &state.config().static_dir {
        Some(dir) => router.fallback_service(ServeDir::new(dir)),
        None => router.route("/", get(about)),
    };
    router.with_state(state)
}

async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        let host = headers.get(HOST).and_then(|h| h.to_str().ok());
        if !origin_allowed(&origin, host, &state.config().allowed_origins) {
            let body = format!("Origin {origin} is not allowed on this server\n");
            return (StatusCode::FORBIDDEN, body).into_response();
        }
    }
    // Without an Origin the client is not a browser page, so no other site can be acting
    // through it.
    let limit = state.config().max_frame_bytes;
    ws.protocols([SUBPROTOCOL])
        .max_frame_size(limit)
        .max_message_size(limit)
        .on_upgrade(move |socket| {
            let (tx, rx) = socket.split();
            serve_connection(state, tx, rx)
        })
}

async fn about() -> &'static str {
    "wirechat server: open a WebSocket to /ws\n"
}
