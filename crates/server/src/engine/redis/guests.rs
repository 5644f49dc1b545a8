//! Guests that come back on any node: every node signs resume tokens with one key held in
//! Redis, so a guest's token from one node gives it the same uid on another.
//!
//! The first node to start puts a random key there (`SET NX`) and every node reads it.
//! Each node also offers its key again on every heartbeat, so when Redis loses its data
//! the running nodes put the same key back and tokens already handed out stay valid. A
//! node that starts while Redis is empty and no running node has restored the key yet
//! makes a new one; tokens signed with a key no node holds are ignored, and those guests
//! start afresh with a new uid.

use redis::aio::ConnectionManager;
use redis::RedisResult;

use super::keys;
use crate::guest::{random_key, KEY_BYTES};

/// Puts `offered` in Redis unless a key is there, and returns the key Redis holds.
pub async fn shared_key(conn: &mut ConnectionManager, offered: &[u8]) -> RedisResult<Vec<u8>> {
    let (held,): (Vec<u8>,) = redis::pipe()
        .cmd("SET")
        .arg(keys::GUEST_KEY)
        .arg(offered)
        .arg("NX")
        .ignore()
        .cmd("GET")
        .arg(keys::GUEST_KEY)
        .query_async(conn)
        .await?;
    Ok(held)
}

/// The key this node signs with: the one in Redis, or a fresh one this node puts there.
/// A key in Redis too short to sign with (not written by a node) is replaced.
pub async fn key_at_start(conn: &mut ConnectionManager) -> std::io::Result<Vec<u8>> {
    let fresh = random_key()?;
    let held = shared_key(conn, &fresh)
        .await
        .map_err(std::io::Error::other)?;
    if held.len() >= KEY_BYTES {
        return Ok(held);
    }
    tracing::warn!("the guest key in Redis is too short; replacing it");
    redis::cmd("SET")
        .arg(keys::GUEST_KEY)
        .arg(&fresh)
        .exec_async(conn)
        .await
        .map_err(std::io::Error::other)?;
    Ok(fresh)
}
