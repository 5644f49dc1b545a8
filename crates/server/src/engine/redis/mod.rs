//! The Redis engine: every node pointed at one Redis shares rooms, `seq`, history and
//! presence. docs/SCALING.md describes the keys, the publish script and the bounds.
//!
//! - [`store`]: history in one stream per room; a message is stored, numbered and
//!   published by one Lua script, so order and deduplication are decided in Redis. Edits,
//!   deletes, reactions and read positions are each one script too, which checks, stores
//!   and publishes the action.
//! - [`fanout`]: each node subscribes to the channels of rooms with members on it and
//!   hands what arrives to the hub, in the order Redis published it.
//! - [`guests`]: the key guests' resume tokens are signed with, one for all nodes.
//! - [`names`]: which user goes by a name in a room, decided across nodes.
//! - [`presence`]: each node's names in a per-room sorted set that expires unless renewed.
//!
//! One [`ConnectionManager`] carries commands and subscriptions (RESP3 pushes). It
//! reconnects by itself and subscribes again; a heartbeat keeps it trying while the
//! node is idle, and renews the epoch when Redis lost it.

mod fanout;
mod guests;
mod keys;
mod names;
mod presence;
mod store;

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, ProtocolVersion, RedisResult};
use tokio::runtime::Handle;
use wirechat_protocol::close_code;

use crate::config::{without_credentials, Config};
use crate::guest::GuestPasses;
use crate::history::{fresh_epoch, StoreError};
use crate::peer::lock;
use crate::state::AppState;

pub use store::RedisHistory;

/// Longest one Redis call may take before the request it serves is answered `unavailable`.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// How often an idle node checks on Redis (and so reconnects, and renews the epoch).
const HEARTBEAT: Duration = Duration::from_secs(1);

/// A node's connection to Redis, usable from blocking threads, and the epoch it knows.
#[derive(Clone)]
pub struct Redis {
    conn: ConnectionManager,
    runtime: Handle,
    epoch: Arc<Mutex<String>>,
}

impl Redis {
    /// Runs one call on the runtime and waits for it, at most [`CALL_TIMEOUT`]. Only for
    /// blocking threads: it blocks the caller.
    fn call<T, F, Fut>(&self, call: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let future = call(self.conn.clone());
        self.runtime.block_on(async {
            match tokio::time::timeout(CALL_TIMEOUT, future).await {
                Ok(result) => result.map_err(StoreError::from),
                Err(_) => Err("Redis did not answer in time".into()),
            }
        })
    }

    /// The epoch of every room's numbering, as this node last saw it in Redis.
    pub fn epoch(&self) -> String {
        lock(&self.epoch).clone()
    }

    /// Takes on the epoch Redis holds now; a new one means Redis lost its data.
    fn adopt_epoch(&self, epoch: String) {
        let mut known = lock(&self.epoch);
        if *known != epoch {
            tracing::warn!(old = %known, new = %epoch, "Redis holds a new epoch: its data was lost");
            *known = epoch;
        }
    }

    /// The epoch in Redis, made (by whichever node comes first) when there is none.
    async fn current_epoch(conn: &mut ConnectionManager) -> RedisResult<String> {
        let (_, epoch): ((), String) = redis::pipe()
            .cmd("SET")
            .arg(keys::EPOCH)
            .arg(fresh_epoch())
            .arg("NX")
            .ignore()
            .cmd("GET")
            .arg(keys::EPOCH)
            .query_async(conn)
            .await
            .map(|(epoch,): (String,)| ((), epoch))?;
        Ok(epoch)
    }
}

/// Connects to the Redis at `url` and makes the state of a node that shares its rooms
/// there. Fails when Redis cannot be reached now: a node does not start without it.
pub async fn connect(config: Config, url: &str) -> io::Result<AppState> {
    let shown = without_credentials(url);
    let failed = |err: redis::RedisError| io::Error::other(format!("Redis at {shown}: {err}"));
    let info = url.into_connection_info().map_err(failed)?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    let client = redis::Client::open(info.set_redis_settings(settings)).map_err(failed)?;
    let (pushes, arrived) = std::sync::mpsc::channel();
    let manager = ConnectionManagerConfig::new()
        .set_push_sender(pushes)
        .set_automatic_resubscription()
        .set_connection_timeout(Some(CALL_TIMEOUT))
        .set_response_timeout(Some(CALL_TIMEOUT))
        .set_max_delay(Duration::from_secs(1));
    let mut conn = client
        .get_connection_manager_with_config(manager)
        .await
        .map_err(failed)?;
    let epoch = Redis::current_epoch(&mut conn).await.map_err(failed)?;
    let guest_key = guests::key_at_start(&mut conn)
        .await
        .map_err(|err| io::Error::other(format!("Redis at {shown}: {err}")))?;
    let redis = Redis {
        conn,
        runtime: Handle::current(),
        epoch: Arc::new(Mutex::new(epoch)),
    };
    let retain = config.retention.max_messages.unwrap_or(0);
    // A node names itself with a random id in what it publishes.
    let node = fresh_epoch();
    let store = RedisHistory::new(redis.clone(), retain, node.clone());
    let rooms = fanout::RedisRooms::start(redis.clone(), node.clone());
    let passes = GuestPasses::with_key(&guest_key);
    let state = AppState::with_shared_rooms(config, store, Box::new(rooms), passes)?;
    fanout::spawn_delivery(arrived, state.clone(), node.clone(), redis.clone());
    tokio::spawn(presence::renew(redis.clone(), state.clone(), node));
    tokio::spawn(heartbeat(redis, state.clone(), guest_key));
    Ok(state)
}

/// Keeps the connection tried while nothing else uses it, and the epoch current. When the
/// epoch changed (here or in a publish), the members' connections are closed with 1001, so
/// their clients reconnect, see the new epoch and drop cursors that mean nothing now.
/// It also puts this node's guest key back if Redis lost it, so guests' tokens stay valid.
async fn heartbeat(redis: Redis, state: AppState, guest_key: Vec<u8>) {
    let mut conn = redis.conn.clone();
    let mut ticks = tokio::time::interval(HEARTBEAT);
    let mut announced = redis.epoch();
    let mut key_differs = false;
    loop {
        ticks.tick().await;
        match tokio::time::timeout(CALL_TIMEOUT, Redis::current_epoch(&mut conn)).await {
            Ok(Ok(epoch)) => {
                redis.adopt_epoch(epoch);
                let restored = guests::shared_key(&mut conn, &guest_key);
                if let Ok(Ok(held)) = tokio::time::timeout(CALL_TIMEOUT, restored).await {
                    // Said once: only a node started while Redis was empty gets here.
                    if held != guest_key && !key_differs {
                        tracing::warn!("Redis holds another guest key: other nodes refuse this node's resume tokens");
                    }
                    key_differs = held != guest_key;
                }
            }
            Ok(Err(err)) => tracing::debug!(%err, "Redis is unreachable"),
            Err(_) => tracing::debug!("Redis did not answer in time"),
        }
        let epoch = redis.epoch();
        if epoch != announced {
            state.hub().close_members(close_code::GOING_AWAY);
            announced = epoch;
        }
    }
}
