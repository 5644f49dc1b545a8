//! HTTP: the Host check, the WebSocket endpoint with its Origin check and connection caps,
//! and the static frontend.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::header::{CONTENT_TYPE, COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::StreamExt;
use tower_http::services::ServeDir;
use wirechat_protocol::SUBPROTOCOL;

use crate::connection::serve_connection_as;
use crate::host::refuse_unknown_hosts;
use crate::limits::{ConnectionLimits, Refused};
use crate::log_throttle::Throttle;
use crate::metrics::Gauges;
use crate::origin::origin_allowed;
use crate::state::AppState;

/// Refusals are logged once per interval with a count: clients choose how often they knock,
/// and the log must not grow with it. `/metrics` counts every one.
static REFUSED_FULL: Throttle = Throttle::new(Duration::from_secs(10));
static REFUSED_ADDRESS: Throttle = Throttle::new(Duration::from_secs(10));

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

/// The server's routes: `GET /ws` upgrades to the chat protocol; with a static directory
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
    let ip = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    let admitted = match limits.admit(ip) {
        Ok(admitted) => admitted,
        Err(Refused::Full) => {
            state.metrics().refused_full();
            if let Some(skipped) = REFUSED_FULL.occurred() {
                tracing::warn!(
                    max = state.config().max_connections,
                    skipped,
                    "refused a connection: the server is full"
                );
            }
            let body = "This server serves as many connections as it may; try again later\n";
            return (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
        }
        Err(Refused::TooManyFromAddress) => {
            state.metrics().refused_address();
            if let Some(skipped) = REFUSED_ADDRESS.occurred() {
                tracing::info!(
                    ?ip,
                    max = state.config().max_connections_per_ip,
                    skipped,
                    "refused a connection: too many from one address"
                );
            }
            let body = "Too many connections from your address\n";
            return (StatusCode::TOO_MANY_REQUESTS, body).into_response();
        }
    };
    // Only after the Origin check: browsers send cookies with cross-site WebSocket requests
    // too, and refusing foreign origins is what keeps other sites from using them.
    let cookie_token = state
        .config()
        .auth
        .as_ref()
        .and_then(|auth| auth.cookie.as_deref())
        .and_then(|name| cookie(&headers, name));
    let limit = state.config().max_frame_bytes;
    ws.protocols([SUBPROTOCOL])
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_frame_size(limit)
        .max_message_size(limit)
        .on_upgrade(move |socket| async move {
            let (tx, rx) = socket.split();
            serve_connection_as(state, tx, rx, cookie_token).await;
            drop(admitted);
        })
}

/// The value of the cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
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
