//! Presence across nodes. Each node keeps the names its members go by in the room's sorted
//! set, scored by an expiry it renews every [`RENEW`]; entries of a node that stopped (or
//! crashed) expire after [`EXPIRY`], and the other nodes drop them at their next renewal,
//! so they disappear within `EXPIRY + RENEW`. A node that changes a room's names publishes
//! `p<node>\n` on its channel, and every node then reads the set again.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionManager;
use redis::RedisResult;

use super::{keys, Redis, CALL_TIMEOUT};
use crate::state::AppState;

/// How often a node renews its members' entries.
pub const RENEW: Duration = Duration::from_secs(5);
/// How long an entry lasts without renewal.
pub const EXPIRY: Duration = Duration::from_secs(15);

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The entry of `name` on `node`.
fn entry(node: &str, name: &str) -> String {
    format!("{node}\n{name}")
}

/// Records (or removes) one name of this node in the room's set and tells the other nodes.
pub async fn change(
    conn: &mut ConnectionManager,
    node: &str,
    room: &str,
    name: &str,
    present: bool,
) -> RedisResult<()> {
    let key = keys::presence(room);
    let mut pipe = redis::pipe();
    if present {
        pipe.cmd("ZADD")
            .arg(&key)
            .arg(now_ms() + EXPIRY.as_millis() as u64)
            .arg(entry(node, name))
            .ignore();
        pipe.cmd("PEXPIRE")
            .arg(&key)
            .arg(EXPIRY.as_millis() as u64)
            .ignore();
    } else {
        pipe.cmd("ZREM").arg(&key).arg(entry(node, name)).ignore();
    }
    pipe.cmd("PUBLISH")
        .arg(keys::channel(room))
        .arg(format!("p{node}\n"))
        .ignore();
    pipe.exec_async(conn).await
}

/// The live names of `room` on nodes other than `node`.
pub async fn elsewhere(
    conn: &mut ConnectionManager,
    node: &str,
    room: &str,
) -> RedisResult<BTreeSet<String>> {
    let entries: Vec<String> = redis::cmd("ZRANGE")
        .arg(keys::presence(room))
        .arg(now_ms())
        .arg("+inf")
        .arg("BYSCORE")
        .query_async(conn)
        .await?;
    let own = format!("{node}\n");
    Ok(entries
        .into_iter()
        .filter(|entry| !entry.starts_with(&own))
        .filter_map(|entry| entry.split_once('\n').map(|(_, name)| name.to_owned()))
        .collect())
}

/// Reads the room's names on other nodes again and hands them to the hub.
pub async fn refresh(conn: &mut ConnectionManager, node: &str, room: &str, state: &AppState) {
    if let Ok(Ok(names)) = tokio::time::timeout(CALL_TIMEOUT, elsewhere(conn, node, room)).await {
        state.hub().set_names_elsewhere(room, names);
    }
}

/// Renews this node's entries every [`RENEW`], drops expired ones, and refreshes what the
/// hub knows of other nodes' names.
pub async fn renew(redis: Redis, state: AppState, node: String) {
    let mut conn = redis.conn.clone();
    let mut ticks = tokio::time::interval(RENEW);
    loop {
        ticks.tick().await;
        for (room, names) in state.hub().names_here() {
            let key = keys::presence(&room);
            let now = now_ms();
            let mut pipe = redis::pipe();
            for name in &names {
                pipe.cmd("ZADD")
                    .arg(&key)
                    .arg(now + EXPIRY.as_millis() as u64)
                    .arg(entry(&node, name))
                    .ignore();
            }
            pipe.cmd("ZREMRANGEBYSCORE")
                .arg(&key)
                .arg("-inf")
                .arg(now)
                .ignore();
            pipe.cmd("PEXPIRE")
                .arg(&key)
                .arg(EXPIRY.as_millis() as u64)
                .ignore();
            // Who holds each name lasts as long as the names do.
            pipe.cmd("PEXPIRE")
                .arg(keys::names(&room))
                .arg(EXPIRY.as_millis() as u64)
                .ignore();
            let renewed = tokio::time::timeout(CALL_TIMEOUT, pipe.exec_async(&mut conn)).await;
            if matches!(renewed, Ok(Ok(()))) {
                refresh(&mut conn, &node, &room, &state).await;
            }
        }
    }
}
