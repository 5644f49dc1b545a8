//! What every transport checks before it opens a connection: the page's Origin, the
//! connection caps, and the sign-in cookie. A WebSocket upgrade, an event stream and a
//! polling session pass the same gate, so no transport is a way around a limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::limits::{Admitted, ConnectionLimits, Refused};
use crate::log_throttle::Throttle;
use crate::origin::{cookie_origin_allowed, origin_allowed};
use crate::state::AppState;

/// Refusals are logged once per interval with a count: clients choose how often they knock,
/// and the log must not grow with it. `/metrics` counts every one.
static REFUSED_FULL: Throttle = Throttle::new(Duration::from_secs(10));
static REFUSED_ADDRESS: Throttle = Throttle::new(Duration::from_secs(10));

/// Why a request is refused: the HTTP status and a line saying why, answered instead.
#[derive(Debug)]
pub(crate) struct Refusal {
    status: StatusCode,
    reason: String,
}

impl Refusal {
    pub(crate) fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, self.reason).into_response()
    }
}

/// A connection that passed the gate: counted against the caps while `admitted` lives.
#[derive(Debug)]
pub(crate) struct Opening {
    /// Keeps the connection counted; drop it when the connection ends.
    pub admitted: Admitted,
    /// The sign-in cookie's token, when the server reads one and the request carried it.
    pub cookie_token: Option<String>,
}

/// The gate as an extractor, for handlers that open a connection: taking an [`Opening`]
/// checks the request and counts the connection, or answers the refusal.
impl FromRequestParts<AppState> for Opening {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let Some(limits) = parts.extensions.get::<Arc<ConnectionLimits>>().cloned() else {
            let reason = "This route is served without connection limits\n";
            return Err(Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, reason));
        };
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        open(state, &limits, ip, &parts.headers)
    }
}

/// Checks a request that opens a connection: its Origin, then the caps for `ip`.
pub(crate) fn open(
    state: &AppState,
    limits: &Arc<ConnectionLimits>,
    ip: Option<IpAddr>,
    headers: &HeaderMap,
) -> Result<Opening, Refusal> {
    let cookie_token = state
        .config()
        .auth
        .as_ref()
        .and_then(|auth| auth.cookie.as_deref())
        .and_then(|name| cookie(headers, name));
    // Browsers send cookies with cross-site requests too, and loopback pages on any port with
    // a loopback host's: a request that carries the sign-in cookie must come from the server's
    // own origin or a listed one, or another page would be signed in with it.
    match cookie_token {
        Some(_) => check_origin_with(state, headers, cookie_origin_allowed)?,
        None => check_origin(state, headers)?,
    }
    let admitted = admit(state, limits, ip)?;
    Ok(Opening {
        admitted,
        cookie_token,
    })
}

/// Refuses with 403 a request from a page whose Origin the server does not allow.
///
/// Without an Origin the client is not a browser page, so no other site can be acting
/// through it.
pub(crate) fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), Refusal> {
    check_origin_with(state, headers, origin_allowed)
}

fn check_origin_with(
    state: &AppState,
    headers: &HeaderMap,
    allowed: fn(&str, Option<&str>, &[String]) -> bool,
) -> Result<(), Refusal> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = String::from_utf8_lossy(origin.as_bytes());
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    if allowed(&origin, host, &state.config().allowed_origins) {
        return Ok(());
    }
    let body = format!("Origin {origin} is not allowed on this server\n");
    Err(Refusal::new(StatusCode::FORBIDDEN, body))
}

fn admit(
    state: &AppState,
    limits: &Arc<ConnectionLimits>,
    ip: Option<IpAddr>,
) -> Result<Admitted, Refusal> {
    match limits.admit(ip) {
        Ok(admitted) => Ok(admitted),
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
            Err(Refusal::new(StatusCode::SERVICE_UNAVAILABLE, body))
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
            Err(Refusal::new(StatusCode::TOO_MANY_REQUESTS, body))
        }
    }
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
