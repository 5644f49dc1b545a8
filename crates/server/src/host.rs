//! Which `Host` names this server answers to.
//!
//! DNS rebinding: a page from `http://evil.example:8080` first resolves `evil.example` to the
//! attacker's server, then to 127.0.0.1. The browser still treats the page as
//! `evil.example`, so it sends `Host: evil.example:8080` and `Origin: http://evil.example:8080`
//! to a server on loopback, and the two agree. Refusing unknown names in `Host` closes that
//! path, for the WebSocket and for every other route.

use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::origin::Authority;
use crate::state::AppState;

/// Whether a request whose `Host` header is `host_header` may be answered.
///
/// Allowed are: requests without `Host` (not from a browser, which always sends one), IP
/// addresses (a name that was rebound never arrives as an address), `localhost`, and the
/// names in `allowed` (lowercase), where `*` allows every name. Ports are not compared: a
/// rebinding page cannot choose another name by choosing another port.
pub fn host_allowed(host_header: Option<&str>, allowed: &[String]) -> bool {
    let Some(header) = host_header else {
        return true;
    };
    let Some(authority) = Authority::parse(header) else {
        return false;
    };
    // A fully qualified name may end with a dot and means the same host.
    let host = authority.host.trim_end_matches('.');
    let is_address = host.parse::<std::net::Ipv4Addr>().is_ok()
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok());
    is_address || host == "localhost" || allowed.iter().any(|name| name == "*" || name == host)
}

/// Answers 421 (Misdirected Request) to requests for a host name this server does not
/// answer to, before any route sees them.
pub(crate) async fn refuse_unknown_hosts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(HOST)
        .map(|h| h.to_str().unwrap_or(""));
    if host_allowed(host, &state.config().allowed_hosts) {
        return next.run(request).await;
    }
    state.metrics().host_refused();
    let host = host.unwrap_or_default();
    tracing::debug!(host, "refused a request for an unknown host");
    let body = format!(
        "This server does not answer to the host {host:?}; its operator can allow it with \
         --allow-host\n"
    );
    (StatusCode::MISDIRECTED_REQUEST, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(host: &str) -> bool {
        host_allowed(Some(host), &["chat.example".to_owned()])
    }

    #[test]
    fn addresses_localhost_and_listed_names_are_answered() {
        for host in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "[::1]:8080",
            "192.0.2.7:80",
            "localhost:8080",
            "LOCALHOST",
            "localhost.:8080",
            "chat.example",
            "Chat.Example:443",
        ] {
            assert!(allowed(host), "{host}");
        }
        assert!(host_allowed(None, &[]));
    }

    #[test]
    fn other_names_are_refused() {
        for host in [
            "evil.example:8080",
            "localhost.evil.example",
            "chat.example.evil.example",
            "127.0.0.1.evil.example",
            "",
            "user@localhost",
            "[::1",
        ] {
            assert!(!allowed(host), "{host:?}");
        }
    }

    #[test]
    fn a_star_allows_every_name() {
        assert!(host_allowed(Some("evil.example"), &["*".to_owned()]));
    }
}
