//! HTTP: the Host check, the WebSocket, SSE and polling endpoints with their Origin check
//! and connection caps, and the static frontend.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::StreamExt;
use tower_http::services::ServeDir;
use wirechat_protocol::SUBPROTOCOL;

use crate::connection::serve_opened;
use crate::handshake::handshake_of;
use crate::host::refuse_unknown_hosts;
use crate::limits::ConnectionLimits;
use crate::metrics::Gauges;
use crate::opening;
use crate::state::AppState;
use crate::transport;

/// Path of the WebSocket endpoint.
pub const WS_PATH: &str = "/ws";
/// Bytes each socket reads at a time. The WebSocket library fills its whole read buffer
/// with zeros before every read, so its default of 128 KiB made every idle connection cost
/// 128 KiB of memory; larger frames are simply read in several steps.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Path that answers 200 `ok` while the server serves, for load balancers and supervisors.
pub const HEALTH_PATH: &str = "/healthz";
/// Path of the counters in the Prometheus text format.
pub const METRICS_PATH: &str = "/metrics";

/// The server's routes: `GET /ws` upgrades to the chat protocol; `GET /sse` (posting to
/// `/sse/{id}`) and `POST /poll` (polling and posting at `/poll/{id}`) carry the same
/// connection over plain HTTP, as PROTOCOL.md's Transports section says; with a static directory
/// configured, every other path is a file from it (`index.html` for `/`). Requests for a
/// host name the server does not answer to get 421 on every route.
///
/// The per-address connection cap needs the peer's address as [`ConnectInfo`]; without it
/// (an embedding server that does not provide it) only the total cap applies.
pub fn app(state: AppState) -> Router {
    let config = state.config();
    let limits = ConnectionLimits::new(config.max_connections, config.max_connections_per_ip);
    let router = Router::new()
        .route(WS_PATH, get(upgrade))
        .merge(transport::routes(&state))
        .route(HEALTH_PATH, get(health))
        .route(METRICS_PATH, get(metrics));
    let router = match &config.static_dir {
        Some(dir) => router.fallback_service(ServeDir::new(dir)),
        None => router.route("/", get(about)),
    };
    router
        .layer(Extension(limits))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_unknown_hosts,
        ))
        .with_state(state)
}

async fn upgrade(
    State(state): State<AppState>,
    Extension(limits): Extension<Arc<ConnectionLimits>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let ip = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    let opening = match opening::open(&state, &limits, ip, &headers) {
        Ok(opening) => opening,
        Err(refusal) => return refusal.into_response(),
    };
    let handshake = handshake_of(&headers);
    let limit = state.config().max_frame_bytes;
    ws.protocols([SUBPROTOCOL])
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_frame_size(limit)
        .max_message_size(limit)
        .on_upgrade(move |socket| async move {
            let (tx, rx) = socket.split();
            serve_opened(state, tx, rx, opening.cookie_token, handshake).await;
            drop(opening.admitted);
        })
}

async fn health() -> &'static str {
    "ok\n"
}

async fn metrics(State(state): State<AppState>) -> Response {
    let flow = state.flow_counters();
    let gauges = Gauges {
        connections: state.open_connections(),
        rooms: state.hub().room_count(),
        queued_bytes: flow.queued_bytes(),
        frames_dropped: flow.dropped_frames(),
        rate_limited: flow.rate_limited(),
    };
    let body = state.metrics().render(gauges);
    let content_type = [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")];
    (content_type, body).into_response()
}

async fn about() -> &'static str {
    "wirechat server: open a WebSocket to /ws\n"
}
