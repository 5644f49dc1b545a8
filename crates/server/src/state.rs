//! What every connection of one server shares.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::ws::Message;
use tokio::sync::watch;
use wirechat_protocol::{feature, Frame, Handshake, Hello};

use crate::config::{Config, Storage};
use crate::flow::FlowCounters;
use crate::guest::GuestPasses;
use crate::history::{HistoryStore, MemoryHistory, SqliteHistory};
use crate::identity::{Identity, Verifier};
use crate::metrics::{Counted, Metrics};
use crate::peer::{text, ConnId};
use crate::rooms::{Hub, SharedRooms, JOIN_RECENT};
use crate::transport::{FEATURE_LONG_POLLING, FEATURE_SSE};

/// Shared state of one server: its configuration, rooms, history and shutdown signal.
/// Cloning is cheap and every clone is the same server.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    config: Config,
    hub: Hub,
    counters: Arc<FlowCounters>,
    /// Every connection starts with this `hello`, with the hub's epoch at the time.
    hello: Hello,
    /// Checks tokens when the configuration requires them. `None` there with a key
    /// configured means the key was unusable, and every token is refused.
    verifier: Option<Verifier>,
    /// Resume tokens for guests; `None` when the server requires signed-in users.
    guests: Option<GuestPasses>,
    going_away: watch::Sender<bool>,
    open: watch::Sender<usize>,
    next_id: AtomicU64,
    metrics: Arc<Metrics>,
}

impl AppState {
    /// State with the history store `config.storage` names: in memory, or the SQLite
    /// database in its data directory, which is opened (and created when missing) here. The
    /// key of guests' resume tokens is kept next to the database, or per process in memory.
    ///
    /// Fails when the data directory, the database or the guest key cannot be created or
    /// opened.
    pub fn new(config: Config) -> io::Result<Self> {
        match &config.storage {
            Storage::Memory => {
                let store = MemoryHistory::new(config.history_per_room);
                Self::with_history_and_guests(config, store, None, GuestPasses::ephemeral)
            }
            Storage::Redis { .. } => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a server on Redis is started with `spawn`, which connects to it first",
            )),
            Storage::Sqlite { data_dir } => {
                let store = SqliteHistory::open(data_dir).map_err(io::Error::other)?;
                let data_dir = data_dir.clone();
                Self::with_history_and_guests(config, store, None, || {
                    GuestPasses::in_data_dir(&data_dir)
                })
            }
        }
    }

    /// State keeping history in `store`, whose epoch the server announces. Guests' resume
    /// tokens last as long as the process.
    ///
    /// # Panics
    /// When the system has no randomness for the guest key.
    pub fn with_history(config: Config, store: impl HistoryStore + 'static) -> Self {
        Self::with_history_and_guests(config, store, None, GuestPasses::ephemeral)
            .expect("randomness for the guest key")
    }

    /// State whose rooms span nodes: `store` and `shared` come from the shared engine,
    /// which delivers stored messages through [`Hub::deliver`].
    /// Guests' resume tokens are signed with `guests`, which the engine shares between nodes.
    pub(crate) fn with_shared_rooms(
        config: Config,
        store: impl HistoryStore + 'static,
        shared: Box<dyn SharedRooms>,
        guests: GuestPasses,
    ) -> io::Result<Self> {
        Self::with_history_and_guests(config, store, Some(shared), || Ok(guests))
    }

    /// The guest key is only made (`guests`) on servers that take guests.
    fn with_history_and_guests(
        config: Config,
        store: impl HistoryStore + 'static,
        shared: Option<Box<dyn SharedRooms>>,
        guests: impl FnOnce() -> io::Result<GuestPasses>,
    ) -> io::Result<Self> {
        let guests = if config.auth.is_none() {
            Some(guests()?)
        } else {
            None
        };
        let metrics = Arc::new(Metrics::default());
        let capabilities = store.capabilities();
        let store = Counted::new(store, Arc::clone(&metrics));
        // A resume replays what a room keeps, and never less than a plain join shows.
        let resume_limit = config.history_per_room.max(JOIN_RECENT);
        let hub = match shared {
            Some(shared) => Hub::shared(Box::new(store), resume_limit, config.flow.clone(), shared),
            None => Hub::new(Box::new(store), resume_limit, config.flow.clone()),
        };
        let verifier = config.auth.as_ref().and_then(|auth| {
            Verifier::new(auth)
                .map_err(|err| tracing::error!("the token key cannot be used: {err}"))
                .ok()
        });
        let mut features = [
            feature::HISTORY,
            feature::PRESENCE,
            feature::TYPING,
            feature::ACK,
            feature::PING,
            feature::PRESENCE_DELTAS,
            FEATURE_SSE,
            FEATURE_LONG_POLLING,
        ]
        .map(str::to_owned)
        .to_vec();
        if config.auth.is_some() {
            features.push(feature::AUTH.to_owned());
        }
        if capabilities.actions {
            features.push(feature::ACTIONS.to_owned());
        }
        if capabilities.search {
            features.push(feature::SEARCH.to_owned());
        }
        let hello = Hello {
            server: format!("wirechat-server/{}", env!("CARGO_PKG_VERSION")),
            epoch: String::new(),
            features,
            max_text: Some(config.max_text_bytes),
            handshake: None,
        };
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                hub,
                counters: Arc::default(),
                hello,
                verifier,
                guests,
                going_away: watch::channel(false).0,
                open: watch::channel(0).0,
                next_id: AtomicU64::new(1),
                metrics,
            }),
        })
    }

    /// The configuration the server was made with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The epoch announced in `hello`.
    pub fn epoch(&self) -> String {
        self.shared.hub.epoch()
    }

    /// Asks every open socket, and every socket opened from now on, to close with 1001
    /// (going away).
    pub fn go_away(&self) {
        self.shared.going_away.send_replace(true);
    }

    /// How many WebSocket connections are being served now.
    pub fn open_connections(&self) -> usize {
        *self.shared.open.borrow()
    }

    /// Waits until no WebSocket connection is being served.
    pub async fn connections_closed(&self) {
        let mut open = self.shared.open.subscribe();
        // The sender lives in `self`, so waiting cannot fail.
        let _ = open.wait_for(|&n| n == 0).await;
    }

    /// What the flow limits did so far: bytes queued now, frames dropped, frames refused.
    pub fn flow_counters(&self) -> &FlowCounters {
        &self.shared.counters
    }

    pub(crate) fn counters(&self) -> Arc<FlowCounters> {
        self.shared.counters.clone()
    }

    /// The server's counters, as `/metrics` shows them.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.shared.metrics
    }

    pub(crate) fn hub(&self) -> &Hub {
        &self.shared.hub
    }

    /// The `hello` a connection starts with; a WebSocket's reports its `handshake`.
    pub(crate) fn hello(&self, handshake: Option<Handshake>) -> Message {
        text(&Frame::Hello(Hello {
            epoch: self.shared.hub.epoch(),
            handshake,
            ..self.shared.hello.clone()
        }))
    }

    /// Checks a token: the identity it proves, or a reason a user can read. Only called
    /// when the configuration requires tokens.
    pub(crate) fn verify(&self, token: &str) -> Result<Identity, String> {
        match &self.shared.verifier {
            Some(verifier) => verifier.verify(token),
            None => Err("This server cannot check tokens now.".to_owned()),
        }
    }

    /// The `authed` telling a connection who it is; a guest's carries a resume token.
    pub(crate) fn authed(&self, identity: &Identity) -> wirechat_protocol::Authed {
        match &self.shared.guests {
            Some(guests) if identity.name.is_none() => guests.authed(identity),
            _ => identity.authed(),
        }
    }

    /// The guest a resume token signs in again, on a server that takes guests.
    pub(crate) fn resume_guest(&self, token: &str) -> Option<Identity> {
        self.shared.guests.as_ref()?.resume(token)
    }

    pub(crate) fn going_away(&self) -> watch::Receiver<bool> {
        self.shared.going_away.subscribe()
    }

    /// Counts a new connection until the returned guard drops, and names it.
    pub(crate) fn open_connection(&self) -> (ConnId, OpenConnection) {
        self.shared.open.send_modify(|n| *n += 1);
        self.shared.metrics.connection_opened();
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        (id, OpenConnection(self.clone()))
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("config", self.config())
            .field("epoch", &self.epoch())
            .field("open_connections", &self.open_connections())
            .finish_non_exhaustive()
    }
}

/// Keeps a connection counted; dropping it (even when the task is aborted) uncounts it.
pub(crate) struct OpenConnection(AppState);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.shared.open.send_modify(|n| *n = n.saturating_sub(1));
    }
}
