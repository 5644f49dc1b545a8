//! Room history in Redis streams, behind the [`HistoryStore`] trait the hub calls from
//! blocking threads.

use std::collections::HashMap;

use redis::Script;
use wirechat_protocol::ChatMessage;

use super::{keys, Redis};
use crate::history::{fresh_epoch, Appended, HistoryStore, Page, StoreError};

/// How long a stored message id is remembered, so a retry on any node is acknowledged with
/// its first `seq`: far longer than any client keeps retrying.
const ID_TTL_SECONDS: u64 = 24 * 60 * 60;

/// Stream entries as XRANGE returns them: the entry id and its fields.
type Entries = Vec<(String, HashMap<String, String>)>;

/// History kept in one Redis stream per room, numbered by one counter per room.
pub struct RedisHistory {
    redis: Redis,
    /// The epoch when this node started.
    first_epoch: String,
    /// Entries kept per stream, about (`MAXLEN ~`); 0 keeps all.
    retain: u64,
    publish: Script,
}

impl RedisHistory {
    /// History in the Redis behind `redis`, each room's stream trimmed to about `retain`
    /// entries (0: untrimmed).
    pub fn new(redis: Redis, retain: u64) -> Self {
        Self {
            first_epoch: redis.epoch(),
            redis,
            retain,
            publish: Script::new(include_str!("publish.lua")),
        }
    }

    /// The messages of `room` in the stream range `from..=to` (ids or `-`/`+`), oldest
    /// first, at most `count`; with `reverse` the newest `count` of them.
    fn range(
        &self,
        room: &str,
        from: String,
        to: String,
        count: usize,
        reverse: bool,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let key = keys::stream(room);
        let entries: Entries = self.redis.call(|mut conn| async move {
            let mut cmd = if reverse {
                let mut cmd = redis::cmd("XREVRANGE");
                cmd.arg(&key).arg(&to).arg(&from);
                cmd
            } else {
                let mut cmd = redis::cmd("XRANGE");
                cmd.arg(&key).arg(&from).arg(&to);
                cmd
            };
            cmd.arg("COUNT").arg(count);
            cmd.query_async(&mut conn).await
        })?;
        let mut msgs = entries
            .into_iter()
            .map(message)
            .collect::<Result<Vec<_>, _>>()?;
        if reverse {
            msgs.reverse();
        }
        Ok(msgs)
    }

    /// The newest `limit` messages up to the stream id `to`, with `more` when older exist.
    fn newest_up_to(&self, room: &str, to: String, limit: usize) -> Result<Page, StoreError> {
        let mut msgs = self.range(room, "-".into(), to, limit + 1, true)?;
        let more = msgs.len() > limit;
        if more {
            msgs.remove(0);
        }
        Ok(Page { msgs, more })
    }
}

/// A stored message from its stream entry, its `seq` taken from the entry id.
fn message((id, fields): (String, HashMap<String, String>)) -> Result<ChatMessage, StoreError> {
    let seq = id
        .split('-')
        .next()
        .and_then(|seq| seq.parse().ok())
        .ok_or_else(|| format!("stream entry id {id:?} is not <seq>-0"))?;
    let json = fields
        .get("m")
        .ok_or_else(|| format!("stream entry {id} holds no message"))?;
    let mut msg: ChatMessage = serde_json::from_str(json)?;
    msg.seq = Some(seq);
    Ok(msg)
}

impl HistoryStore for RedisHistory {
    fn epoch(&self) -> &str {
        &self.first_epoch
    }

    fn current_epoch(&self) -> String {
        self.redis.epoch()
    }

    fn append(&mut self, mut msg: ChatMessage) -> Result<Appended, StoreError> {
        msg.seq = None;
        let json = serde_json::to_string(&msg)?;
        let mut invocation = self.publish.prepare_invoke();
        invocation
            .key(keys::EPOCH)
            .key(keys::seq(&msg.room))
            .key(keys::stream(&msg.room))
            .key(keys::message_id(&msg.room, &msg.id))
            .arg(fresh_epoch())
            .arg(json)
            .arg(self.retain)
            .arg(ID_TTL_SECONDS)
            .arg(keys::channel(&msg.room));
        let (epoch, seq, stored): (String, u64, u8) = self
            .redis
            .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })?;
        self.redis.adopt_epoch(epoch);
        if stored == 0 {
            return Ok(Appended::Duplicate(seq));
        }
        msg.seq = Some(seq);
        Ok(Appended::Stored(msg))
    }

    fn recent(&self, room: &str, limit: usize) -> Result<Page, StoreError> {
        self.newest_up_to(room, "+".into(), limit)
    }

    fn after(&self, room: &str, after: u64, limit: usize) -> Result<Page, StoreError> {
        let first = self.range(room, "-".into(), "+".into(), 1, false)?;
        let more = first.first().is_some_and(|m| m.seq <= Some(after));
        if after == u64::MAX || limit == 0 {
            return Ok(Page {
                msgs: Vec::new(),
                more,
            });
        }
        let msgs = self.range(room, format!("{}-0", after + 1), "+".into(), limit, false)?;
        Ok(Page { msgs, more })
    }

    fn before(&self, room: &str, before: u64, limit: usize) -> Result<Page, StoreError> {
        if before <= 1 {
            return Ok(Page::default());
        }
        self.newest_up_to(room, format!("{}-0", before - 1), limit)
    }

    fn find_by_id(&self, room: &str, id: &str) -> Result<Option<ChatMessage>, StoreError> {
        let key = keys::message_id(room, id);
        let seq: Option<u64> = self.redis.call(|mut conn| async move {
            redis::cmd("GET").arg(&key).query_async(&mut conn).await
        })?;
        let Some(seq) = seq else {
            return Ok(None);
        };
        let at = format!("{seq}-0");
        Ok(self.range(room, at.clone(), at, 1, false)?.pop())
    }

    fn latest(&self, room: &str) -> Result<Option<u64>, StoreError> {
        let key = keys::seq(room);
        let seq: Option<u64> = self.redis.call(|mut conn| async move {
            redis::cmd("GET").arg(&key).query_async(&mut conn).await
        })?;
        Ok(seq.filter(|&seq| seq > 0))
    }
}
