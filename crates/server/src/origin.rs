//! Which web pages may open a socket here.
//!
//! The check compares the page's origin with the request's `Host`, which the Host check
//! ([`crate::host`]) has already confined to names this server answers to; without that, a
//! rebound DNS name would make any page look like the server's own.
//!
//! Browsers send `Origin` with every WebSocket handshake and, unlike plain HTTP requests, do not
//! enforce the same-origin policy on the answer. Without this check any site a user visits could
//! chat in their name, so pages from elsewhere are refused unless the operator allowed them.

/// Whether a page from `origin` may connect.
///
/// Allowed are: the server's own origin (the origin's host and port equal the request's `Host`
/// header), pages served from a loopback host (`localhost`, `127.0.0.1`, `[::1]`, any port,
/// http or https), and origins listed in `allowed` (compared without regard to ASCII case).
pub fn origin_allowed(origin: &str, host_header: Option<&str>, allowed: &[String]) -> bool {
    cookie_origin_allowed(origin, host_header, allowed)
        || Origin::parse(origin).is_some_and(|origin| origin.is_loopback())
}

/// Whether a page from `origin` may connect with the sign-in cookie: only the server's own
/// origin and the origins in `allowed`. Loopback pages on other ports are not: browsers send
/// a host's cookies to every port of it, so any local page would otherwise act as the user.
pub fn cookie_origin_allowed(origin: &str, host_header: Option<&str>, allowed: &[String]) -> bool {
    let listed = |entry: &String| {
        entry
            .trim_end_matches('/')
            .eq_ignore_ascii_case(origin.trim_end_matches('/'))
    };
    if allowed.iter().any(listed) {
        return true;
    }
    let Some(origin) = Origin::parse(origin) else {
        return false;
    };
    host_header
        .and_then(Authority::parse)
        .is_some_and(|host| origin.is_served_from(&host))
}

/// `host[:port]`, as in a `Host` header or after `scheme://` in an origin.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Authority {
    /// Lowercase host; IPv6 addresses keep their brackets.
    pub(crate) host: String,
    port: Option<u16>,
}

impl Authority {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if text.is_empty() || text.contains(['/', '?', '#', '@', ' ']) {
            return None;
        }
        let (host, port) = if text.starts_with('[') {
            let end = text.find(']')?;
            let (host, rest) = text.split_at(end + 1);
            match rest {
                "" => (host, None),
                _ => (host, Some(rest.strip_prefix(':')?)),
            }
        } else {
            match text.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            }
        };
        if host.is_empty() || (host.contains(':') && !host.starts_with('[')) {
            return None;
        }
        let port = match port {
            Some(port) => Some(port.parse().ok()?),
            None => None,
        };
        Some(Self {
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

/// A parsed `Origin` header: `scheme://host[:port]`.
#[derive(Debug)]
struct Origin {
    scheme: String,
    authority: Authority,
}

impl Origin {
    fn parse(text: &str) -> Option<Self> {
        let (scheme, rest) = text.split_once("://")?;
        Some(Self {
            scheme: scheme.to_ascii_lowercase(),
            authority: Authority::parse(rest)?,
        })
    }

    fn is_web(&self) -> bool {
        matches!(self.scheme.as_str(), "http" | "https")
    }

    fn default_port(&self) -> Option<u16> {
        match self.scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        }
    }

    fn is_loopback(&self) -> bool {
        self.is_web()
            && matches!(
                self.authority.host.as_str(),
                "localhost" | "127.0.0.1" | "[::1]"
            )
    }

    /// Whether this origin names the server the request was sent to. A `Host` header without
    /// a port means the default port of the scheme the page was loaded over, which is the
    /// origin's own scheme when both are the same site.
    fn is_served_from(&self, host: &Authority) -> bool {
        let default = self.default_port();
        self.authority.host == host.host && self.authority.port.or(default) == host.port.or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(origin: &str, host: &str) -> bool {
        origin_allowed(origin, Some(host), &[])
    }

    #[test]
    fn the_servers_own_origin_is_allowed() {
        assert!(allowed("http://chat.example:8080", "chat.example:8080"));
        assert!(allowed("https://Chat.Example", "chat.example"));
        assert!(allowed("https://chat.example", "chat.example:443"));
        assert!(allowed("http://chat.example:80", "chat.example"));
        assert!(allowed("http://[2001:db8::1]:9000", "[2001:db8::1]:9000"));
    }

    #[test]
    fn another_host_or_port_is_refused() {
        assert!(!allowed("https://evil.example", "chat.example"));
        assert!(!allowed("http://chat.example:8081", "chat.example:8080"));
        assert!(!allowed("https://chat.example", "chat.example:80"));
        assert!(!allowed("http://chat.example.evil.example", "chat.example"));
        assert!(!origin_allowed("https://chat.example", None, &[]));
    }

    #[test]
    fn loopback_pages_are_allowed_on_any_port() {
        for origin in [
            "http://localhost:3000",
            "https://localhost",
            "http://127.0.0.1:8080",
            "http://[::1]:1234",
        ] {
            assert!(allowed(origin, "chat.example"), "{origin}");
        }
        assert!(!allowed("ftp://localhost", "chat.example"));
        assert!(!allowed("http://localhost.evil.example", "chat.example"));
    }

    #[test]
    fn with_the_cookie_only_the_servers_own_and_listed_origins_are_allowed() {
        let list = vec!["https://app.example".to_owned()];
        let with_cookie = |origin| cookie_origin_allowed(origin, Some("127.0.0.1:8080"), &list);
        assert!(with_cookie("http://127.0.0.1:8080"));
        assert!(with_cookie("https://app.example"));
        for origin in [
            "http://127.0.0.1:3000",
            "http://localhost:8080",
            "https://evil.example",
        ] {
            assert!(!with_cookie(origin), "{origin}");
        }
    }

    #[test]
    fn listed_origins_are_allowed_exactly() {
        let list = vec!["https://friends.example".to_owned(), "null".to_owned()];
        assert!(origin_allowed("https://friends.example", Some("x"), &list));
        assert!(origin_allowed("HTTPS://FRIENDS.EXAMPLE/", Some("x"), &list));
        assert!(origin_allowed("null", Some("x"), &list));
        assert!(!origin_allowed("http://friends.example", Some("x"), &list));
        assert!(!origin_allowed(
            "https://friends.example:8443",
            Some("x"),
            &list
        ));
    }

    #[test]
    fn malformed_origins_are_refused() {
        for origin in [
            "",
            "null",
            "localhost",
            "http://",
            "http://localhost:port",
            "http://localhost:99999",
            "http://user@localhost",
            "http://localhost/path",
            "http://::1",
        ] {
            assert!(!allowed(origin, "localhost"), "{origin:?}");
        }
    }
}
