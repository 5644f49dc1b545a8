//! Names unique across nodes: which user goes by a name in a room is decided in Redis, by
//! one script that checks and claims in a single step, so two nodes never hand one name to
//! two users at once.
//!
//! The room's names hash records the uid behind each name; a name counts as held only while
//! some node's entry for it in the room's presence set is live. So a name is freed when its
//! last member leaves (the entry is removed), or within [`EXPIRY`] after its node stopped
//! renewing (the entry expires). A user's connections on several nodes share its name.

use redis::Script;

use super::presence::{now_ms, EXPIRY};
use super::{keys, Redis};
use crate::history::StoreError;

/// Claims names with `claim_name.lua`.
pub struct NameClaims {
    script: Script,
}

impl NameClaims {
    /// Claims whose script is loaded into Redis on first use (EVALSHA, else EVAL).
    pub fn new() -> Self {
        Self {
            script: Script::new(include_str!("claim_name.lua")),
        }
    }

    /// Claims for `uid` on `node` the first name of `candidates` that no other user holds in
    /// `room` on any node; `None` when all are held. Blocks the caller.
    pub fn claim(
        &self,
        redis: &Redis,
        node: &str,
        room: &str,
        uid: &str,
        candidates: &[String],
    ) -> Result<Option<String>, StoreError> {
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(keys::names(room))
            .key(keys::presence(room))
            .arg(uid)
            .arg(node)
            .arg(now_ms())
            .arg(EXPIRY.as_millis() as u64);
        for name in candidates {
            invocation.arg(name);
        }
        redis.call(|mut conn| async move { invocation.invoke_async(&mut conn).await })
    }
}
