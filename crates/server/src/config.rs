//! What an operator can choose about a server.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::flow::FlowLimits;
use crate::identity::AuthConfig;
use crate::transport::HttpTransports;

/// The shortest `max_text_bytes` a server may announce: enough for a sentence. Below it a
/// server would refuse nearly every message, and at 0 every one.
pub const MIN_TEXT_BYTES: usize = 64;

/// The longest `max_text_bytes` a server may announce: half of what every client accepts
/// ([`wirechat_protocol::MAX_TEXT_BYTES_LIMIT`]), so that such a text, with the rest of its
/// message, still fits in a frame of the default size.
pub const MAX_TEXT_BYTES: usize = wirechat_protocol::MAX_TEXT_BYTES_LIMIT / 2;

/// Settings of one server. Every field has a documented default, so callers can write
/// `Config { bind, ..Config::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port. Default `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// Directory served at `/` (the built frontend, `dist/`), with `index.html` for `/`.
    /// Default: none, and `/` answers with a short plain-text note.
    pub static_dir: Option<PathBuf>,
    /// Origins allowed besides the defaults (the server's own host and loopback pages), as
    /// exact `scheme://host[:port]` strings. Default: none.
    pub allowed_origins: Vec<String>,
    /// Largest WebSocket frame or message accepted, in bytes; larger ones close the socket
    /// with 1009. Default 64 KiB.
    pub max_frame_bytes: usize,
    /// Longest message `text` accepted, in bytes; longer ones get a `too_large` error and the
    /// socket stays open. [`MIN_TEXT_BYTES`] to [`MAX_TEXT_BYTES`] (see [`Config::check`]).
    /// Default [`wirechat_protocol::DEFAULT_MAX_TEXT_BYTES`].
    pub max_text_bytes: usize,
    /// How many messages of each room a resuming `join` replays at most (never fewer than
    /// [`JOIN_RECENT`](crate::JOIN_RECENT)), and with [`Storage::Memory`] how many of the
    /// most recent messages each room keeps. [`Storage::Sqlite`] keeps every message.
    /// Default 1000.
    pub history_per_room: usize,
    /// What each connection may queue, send and hold: see [`FlowLimits`].
    pub flow: FlowLimits,
    /// Where message history is kept. Default [`Storage::Memory`]; the `wirechat-server`
    /// binary defaults to SQLite in `./data`.
    pub storage: Storage,
    /// Host names requests may carry in `Host` besides the defaults (IP addresses,
    /// `localhost`), compared without regard to ASCII case; `*` allows every name. Default:
    /// none. See [`host_allowed`](crate::host_allowed).
    pub allowed_hosts: Vec<String>,
    /// WebSocket connections served at once; one more is refused with 503. Default 10,000.
    pub max_connections: usize,
    /// WebSocket connections served at once from one IP address; one more is refused with
    /// 429. Default 64.
    pub max_connections_per_ip: usize,
    /// How long a client may take to send a request's headers (the WebSocket handshake
    /// included) before the connection is closed. Default 10 s.
    pub handshake_timeout: Duration,
    /// How much history [`Storage::Sqlite`] keeps. Default [`Retention::default`], which
    /// keeps everything; the `wirechat-server` binary defaults to the newest 10,000
    /// messages per room, none older than 30 days.
    pub retention: Retention,
    /// Signed-in users: when set, every connection must prove who it is with a token signed
    /// by this key. Default: none, and every connection is a guest.
    pub auth: Option<AuthConfig>,
    /// Timings of the SSE and long-polling transports. Default
    /// [`HttpTransports::default`]: polls held 25 s, idle polling closed after 60 s.
    pub transports: HttpTransports,
}

impl Config {
    /// Why the settings cannot make a working server, if they cannot: a `max_text_bytes`
    /// outside [`MIN_TEXT_BYTES`]..=[`MAX_TEXT_BYTES`].
    pub fn check(&self) -> Result<(), String> {
        text_limit(self.max_text_bytes).map(drop)
    }
}

/// `bytes` as a text limit, or why it is none.
pub(crate) fn text_limit(bytes: usize) -> Result<usize, String> {
    if (MIN_TEXT_BYTES..=MAX_TEXT_BYTES).contains(&bytes) {
        Ok(bytes)
    } else {
        Err(format!(
            "the longest message text must be {MIN_TEXT_BYTES} to {MAX_TEXT_BYTES} bytes, not \
             {bytes}"
        ))
    }
}

/// How much history each room keeps in [`Storage::Sqlite`]; the newest message of a room is
/// always kept, so `seq` numbering goes on where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Messages kept per room, the newest ones; `None` (the default) keeps any number.
    pub max_messages: Option<u64>,
    /// Messages older than this (by their `ts`) are deleted; `None` (the default) keeps
    /// them however old.
    pub max_age: Option<Duration>,
    /// How often the limits are applied. Default one minute.
    pub interval: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_messages: None,
            max_age: None,
            interval: Duration::from_secs(60),
        }
    }
}

/// Where a server keeps its message history.
#[derive(Clone, PartialEq, Eq)]
pub enum Storage {
    /// In memory: history is gone when the server stops, and every start announces a new
    /// epoch, so clients forget their resume cursors.
    Memory,
    /// In the SQLite database `<data_dir>/wirechat.sqlite3`, created with the directory when
    /// missing. History and the epoch survive restarts, so clients resume where they were.
    Sqlite {
        /// The directory holding the database.
        data_dir: PathBuf,
    },
    /// In Redis at `url` (`redis://HOST:PORT`), shared by every node pointed at it: rooms,
    /// `seq`, history and presence span the nodes (see docs/SCALING.md).
    Redis {
        /// Where Redis listens.
        url: String,
    },
}

// By hand: a Redis URL may carry a password, and the configuration is logged.
impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("Memory"),
            Self::Sqlite { data_dir } => f
                .debug_struct("Sqlite")
                .field("data_dir", data_dir)
                .finish(),
            Self::Redis { url } => f
                .debug_struct("Redis")
                .field("url", &without_credentials(url))
                .finish(),
        }
    }
}

/// `url` with any user and password between `://` and `@` shown as `***`, fit for logs.
pub(crate) fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            static_dir: None,
            allowed_origins: Vec::new(),
            max_frame_bytes: 64 * 1024,
            max_text_bytes: wirechat_protocol::DEFAULT_MAX_TEXT_BYTES,
            history_per_room: 1000,
            flow: FlowLimits::default(),
            storage: Storage::Memory,
            allowed_hosts: Vec::new(),
            max_connections: 10_000,
            max_connections_per_ip: 64,
            handshake_timeout: Duration::from_secs(10),
            retention: Retention::default(),
            auth: None,
            transports: HttpTransports::default(),
        }
    }
}

#[cfg(test)]
mod storage_tests {
    use super::*;

    #[test]
    fn a_redis_password_never_reaches_the_log() {
        let storage = Storage::Redis {
            url: "redis://user:secret@cache:6379/0".into(),
        };
        let shown = format!("{storage:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("user"),
            "{shown}"
        );
        assert!(shown.contains("redis://***@cache:6379/0"), "{shown}");
        assert_eq!(
            without_credentials("redis://cache:6379"),
            "redis://cache:6379"
        );
    }
}
