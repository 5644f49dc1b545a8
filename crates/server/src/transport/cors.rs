//! Cross-origin use of the HTTP transports by the pages the server allows.
//!
//! A page may open `/ws` from any origin the Origin check allows; `fetch` and `EventSource`
//! need the answer to say so too, or the browser keeps it from the page. Origins that the
//! check refuses are answered 403 by the endpoints and get no such header.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, ORIGIN, VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::opening::check_origin;
use crate::state::AppState;

/// Answers preflights, and marks answers to allowed origins as readable by their pages.
/// Cookies count too (`--jwt-cookie`), as they do for a WebSocket from an allowed origin.
pub(crate) async fn allow_allowed_origins(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(ORIGIN).cloned();
    let allowed = origin.filter(|_| check_origin(&state, request.headers()).is_ok());
    let mut response = match (&allowed, request.method()) {
        (Some(_), &Method::OPTIONS) => preflight(),
        _ => next.run(request).await,
    };
    let headers = response.headers_mut();
    headers.append(VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = allowed {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    response
}

fn preflight() -> Response {
    let headers = [
        (ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, DELETE"),
        (ACCESS_CONTROL_ALLOW_HEADERS, "content-type, last-event-id"),
        (ACCESS_CONTROL_MAX_AGE, "600"),
    ];
    (StatusCode::NO_CONTENT, headers, Body::empty()).into_response()
}
