//! The reference wirechat server: rooms, history and broadcast over RFC 6455 WebSockets,
//! speaking wire format v1 from [`wirechat_protocol`]; for clients that cannot open a
//! WebSocket, the same connection also runs over server-sent events or long polling.
//!
//! [`spawn`] runs a server in the background of the current tokio runtime, as the
//! `wirechat-server` binary and the end-to-end tests do:
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let server = wirechat_server::spawn(wirechat_server::Config {
//!     bind: "127.0.0.1:0".parse().unwrap(),
//!     ..Default::default()
//! })
//! .await?;
//! println!("chat at {}", server.ws_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! [`Config::storage`] picks where history is kept: in memory (the default) or in SQLite
//! ([`Storage::Sqlite`]), where it survives restarts.
//!
//! [`app`] gives the bare router for embedding into another axum server.

mod accept;
pub mod cli;
mod clock;
mod config;
mod connection;
mod data_lock;
mod engine;
mod flow;
mod guest;
mod handshake;
mod history;
mod host;
mod identity;
mod limits;
mod log_throttle;
mod metrics;
mod opening;
mod origin;
mod peer;
mod rate;
mod refusal;
mod retention;
mod rooms;
mod routes;
mod state;
mod token;
mod transport;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Config, Retention, Storage, MAX_TEXT_BYTES, MIN_TEXT_BYTES};
pub use connection::{serve_connection, serve_connection_as, HEARTBEAT, IDLE_LIMIT};
pub use data_lock::{DataLock, LOCK_FILE};
pub use flow::{FlowCounters, FlowLimits, Rate, ROOM_FULL, TOO_MANY_ROOMS};
pub use guest::{GUEST_KEY_FILE, RESUME_LIFETIME};
pub use history::{
    ActionRefused, Actor, Appended, Capabilities, HistoryStore, MemoryHistory, Page, SqliteHistory,
    StoreError, DATABASE_FILE,
};
pub use host::host_allowed;
pub use identity::{
    AuthConfig, Identity, RoomPatterns, SigningKey, Verifier, DEFAULT_LEEWAY, SIGN_IN_TIMEOUT,
};
pub use metrics::{Gauges, Metrics};
pub use origin::{cookie_origin_allowed, origin_allowed};
pub use rooms::{SharedRooms, FETCH_DEFAULT, JOIN_RECENT};
pub use routes::{app, HEALTH_PATH, METRICS_PATH, WS_PATH};
pub use state::AppState;
pub use token::{mint_token, TokenRequest};
pub use transport::poll::POLL_PATH;
pub use transport::sse::SSE_PATH;
pub use transport::{HttpTransports, FEATURE_LONG_POLLING, FEATURE_SSE};

/// Longest [`RunningServer::shutdown`] waits for sockets to finish their close handshake.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A server serving in a background task, from [`spawn`].
///
/// Dropping it leaves the server running until the runtime ends; call
/// [`shutdown`](Self::shutdown) to stop it.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    state: AppState,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

/// Locks the data directory and opens the history store `config.storage` names, binds
/// `config.bind` (port 0 picks a free port) and serves in a background task.
///
/// Fails, with a message naming the path or the address, when another server uses the data
/// directory, the store cannot be opened or the address cannot be bound; and when
/// [`Config::check`] refuses the settings.
pub async fn spawn(config: Config) -> io::Result<RunningServer> {
    config
        .check()
        .map_err(|reason| io::Error::new(io::ErrorKind::InvalidInput, reason))?;
    let bind = config.bind;
    let header_timeout = config.handshake_timeout;
    // The lock before the store: a second server must not even migrate the database.
    let lock = match &config.storage {
        Storage::Sqlite { data_dir } => Some(DataLock::acquire(data_dir)?),
        Storage::Memory | Storage::Redis { .. } => None,
    };
    let retention = match &config.storage {
        Storage::Sqlite { data_dir } => Some((data_dir.clone(), config.retention.clone())),
        Storage::Memory | Storage::Redis { .. } => None,
    };
    // The store first, so a server that cannot keep history never takes the port. Opening
    // blocks briefly, once, before anything else runs on this server.
    let state = match &config.storage {
        Storage::Redis { url } => {
            let url = url.clone();
            engine::redis::connect(config, &url).await?
        }
        _ => AppState::new(config)?,
    };
    serve(state, bind, header_timeout, lock, retention).await
}

/// Like [`spawn`], with history kept in `store` (for example a [`MemoryHistory`] filled
/// beforehand, so a test starts with a long room without sending it message by message).
/// `config.storage` is not used.
///
/// Fails when [`Config::check`] refuses the settings or the address cannot be bound.
///
/// # Panics
/// When the system has no randomness for the guest key.
pub async fn spawn_with_history(
    config: Config,
    store: impl HistoryStore + 'static,
) -> io::Result<RunningServer> {
    config
        .check()
        .map_err(|reason| io::Error::new(io::ErrorKind::InvalidInput, reason))?;
    let bind = config.bind;
    let header_timeout = config.handshake_timeout;
    serve(
        AppState::with_history(config, store),
        bind,
        header_timeout,
        None,
        None,
    )
    .await
}

/// Binds `bind` and serves `state` in a background task, holding the data directory's
/// `lock` for as long as it accepts, and applying the `retention` policy to the database in
/// that directory meanwhile.
async fn serve(
    state: AppState,
    bind: SocketAddr,
    header_timeout: Duration,
    lock: Option<DataLock>,
    retention: Option<(PathBuf, Retention)>,
) -> io::Result<RunningServer> {
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|err| io::Error::new(err.kind(), format!("cannot listen on {bind}: {err}")))?;
    let addr = listener.local_addr()?;
    let retention = retention.map(|(data_dir, policy)| {
        retention::spawn(data_dir, policy, Arc::clone(state.metrics())).abort_handle()
    });
    let router = app(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = accept::serve(listener, router, header_timeout, stopped).await;
        if let Some(retention) = retention {
            retention.abort();
        }
        // Held as long as the server accepts, also when the `RunningServer` was dropped.
        drop(lock);
        served
    });
    Ok(RunningServer {
        addr,
        state,
        stop,
        task,
    })
}

impl RunningServer {
    /// The address the server listens on, with the real port when it bound port 0.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT/`, where the frontend is served. A wildcard bind address is
    /// replaced by loopback, which a browser on this machine can open.
    pub fn http_url(&self) -> String {
        format!("http://{}/", self.reachable_addr())
    }

    /// `ws://HOST:PORT/ws`, the chat endpoint.
    pub fn ws_url(&self) -> String {
        format!("ws://{}{WS_PATH}", self.reachable_addr())
    }

    /// The server's shared state (configuration, epoch, open connections).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops gracefully: stops accepting, closes every open socket with 1001 (going away),
    /// and returns once they are closed, or after a bounded wait for slow clients.
    pub async fn shutdown(self) {
        self.state.go_away();
        let _ = self.stop.send(());
        let _ = self.task.await;
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, self.state.connections_closed()).await;
    }

    fn reachable_addr(&self) -> SocketAddr {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        SocketAddr::new(ip, self.addr.port())
    }
}
