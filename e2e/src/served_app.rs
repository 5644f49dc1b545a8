//! The built frontend served by the reference server, in this process, on a free port.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use wirechat_server::{Config, HistoryStore, RunningServer};

/// The cargo workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate lives inside the workspace")
        .to_path_buf()
}

/// The trunk output to serve: `WIRECHAT_DIST`, or else `dist/` at the workspace root.
///
/// Panics if it holds no `index.html`, since every test would otherwise fail later with
/// a far less helpful message about a missing element.
pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("WIRECHAT_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    assert!(
        dir.join("index.html").is_file(),
        "dist/ is missing: build the frontend first (make test does this); looked for {}",
        dir.join("index.html").display()
    );
    dir
}

/// The reference server serving the frontend and its `/ws` from one origin.
pub struct ServedApp {
    server: RunningServer,
}

impl ServedApp {
    /// Serves [`dist_dir`] on `127.0.0.1:0` with the server's default limits.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`ServedApp::start`], with the configuration changed by `tune` first (a larger
    /// history, say).
    pub async fn start_with(tune: impl FnOnce(&mut Config)) -> Self {
        let server = wirechat_server::spawn(Self::config(tune))
            .await
            .expect("start the reference server on a free loopback port");
        Self { server }
    }

    /// Like [`ServedApp::start_with`], with the history already in `store`: a room of
    /// 100,000 messages is there at once instead of after a long upload.
    pub async fn start_with_history(
        tune: impl FnOnce(&mut Config),
        store: impl HistoryStore + 'static,
    ) -> Self {
        let server = wirechat_server::spawn_with_history(Self::config(tune), store)
            .await
            .expect("start the reference server on a free loopback port");
        Self { server }
    }

    /// The configuration serving [`dist_dir`] on a free loopback port, changed by `tune`.
    fn config(tune: impl FnOnce(&mut Config)) -> Config {
        let mut config = Config {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            static_dir: Some(dist_dir()),
            ..Config::default()
        };
        tune(&mut config);
        config
    }

    /// How many WebSocket connections the server is serving now.
    pub fn open_connections(&self) -> usize {
        self.server.state().open_connections()
    }

    /// The address the server listens on, e.g. for a proxy in front of it.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// The page's base URL, e.g. `http://127.0.0.1:PORT/`.
    pub fn http_url(&self) -> String {
        self.server.http_url()
    }

    /// The socket URL the page connects to by default, e.g. `ws://127.0.0.1:PORT/ws`.
    pub fn ws_url(&self) -> String {
        self.server.ws_url()
    }

    /// The page URL that opens `room` already named `name`.
    pub fn room_url(&self, room: &str, name: &str) -> String {
        format!(
            "{}?room={}&name={}",
            self.http_url(),
            query_value(room),
            query_value(name)
        )
    }

    /// Like [`ServedApp::room_url`], with the page told to use `socket_url` instead of this
    /// server's `/ws`.
    pub fn room_url_using_socket(&self, room: &str, name: &str, socket_url: &str) -> String {
        format!(
            "{}&server={}",
            self.room_url(room, name),
            query_value(socket_url)
        )
    }

    /// Stops the server and closes its connections.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Percent-encodes everything outside RFC 3986's unreserved set.
fn query_value(raw: &str) -> String {
    raw.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::query_value;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("room-1"), "room-1");
        assert_eq!(query_value("a b&c=é"), "a%20b%26c%3D%C3%A9");
    }
}
