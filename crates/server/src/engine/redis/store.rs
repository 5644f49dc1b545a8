//! Room history in Redis streams, behind the [`HistoryStore`] trait the hub calls from
//! blocking threads, and what message actions leave on it: texts, edit and delete times,
//! reactions and read positions in hashes beside each room's stream. Every change is one
//! Lua script, and so is every read of history.

use redis::{Script, ScriptInvocation};
use wirechat_protocol::{
    encode, ChatMessage, Delete, Edit, Frame, React, Timestamp, MAX_REACTION_KINDS,
    MAX_REACTION_USERS,
};

use super::{keys, Redis};
use crate::history::{
    fresh_epoch, ActionRefused, Actor, Appended, Capabilities, HistoryStore, Page, StoreError,
};

/// How long a stored message id is remembered, so a retry on any node is acknowledged with
/// its first `seq`: far longer than any client keeps retrying.
const ID_TTL_SECONDS: u64 = 24 * 60 * 60;

/// One message as `history.lua` reads it: the stream entry id, the message as the stream
/// keeps it, and its text, edit time, delete time and reactions, where there are any.
type Stored = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The scripts the store runs, each as one atomic step (EVALSHA, loaded on first use).
struct Scripts {
    publish: Script,
    history: Script,
    edit: Script,
    delete: Script,
    react: Script,
    read: Script,
}

impl Scripts {
    fn new() -> Self {
        // Every action starts by finding its message the same way.
        let action = |body: &str| Script::new(&[include_str!("target.lua"), body].concat());
        Self {
            publish: Script::new(include_str!("publish.lua")),
            history: Script::new(include_str!("history.lua")),
            edit: action(include_str!("edit.lua")),
            delete: action(include_str!("delete.lua")),
            react: action(include_str!("react.lua")),
            read: Script::new(include_str!("read.lua")),
        }
    }
}

/// History kept in one Redis stream per room, numbered by one counter per room, with the
/// state message actions leave in hashes beside it.
pub struct RedisHistory {
    redis: Redis,
    /// The epoch when this node started.
    first_epoch: String,
    /// Messages kept per room; 0 keeps all.
    retain: u64,
    /// Names this node in the read positions it publishes, so it skips its own.
    node: String,
    scripts: Scripts,
}

impl RedisHistory {
    /// History in the Redis behind `redis`, each room keeping its newest `retain` messages
    /// (0: all), for the node named `node`.
    pub fn new(redis: Redis, retain: u64, node: String) -> Self {
        Self {
            first_epoch: redis.epoch(),
            redis,
            retain,
            node,
            scripts: Scripts::new(),
        }
    }

    /// The messages of `room` in the stream range `from..=to` (ids or `-`/`+`), oldest
    /// first, at most `count`; with `reverse` the newest `count` of them. Each carries
    /// its current text, edit and delete times and reactions.
    fn range(
        &self,
        room: &str,
        from: String,
        to: String,
        count: usize,
        reverse: bool,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let mut invocation = self.scripts.history.prepare_invoke();
        invocation
            .key(keys::stream(room))
            .key(keys::texts(room))
            .key(keys::edited(room))
            .key(keys::deleted(room))
            .key(keys::reactions(room));
        if reverse {
            invocation.arg("XREVRANGE").arg(&to).arg(&from);
        } else {
            invocation.arg("XRANGE").arg(&from).arg(&to);
        }
        invocation.arg(count);
        let stored: Vec<Stored> = self
            .redis
            .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })?;
        let mut msgs = stored
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

    /// Runs an action script on the message `id` of `room` for the user `uid`, which
    /// publishes `relayed` when it changes the message; `add_args` adds what the action
    /// needs.
    fn act(
        &self,
        script: &Script,
        room: &str,
        id: &str,
        uid: &str,
        relayed: &Frame,
        add_args: impl FnOnce(&mut ScriptInvocation<'_>),
    ) -> Result<(), ActionRefused> {
        let mut invocation = script.prepare_invoke();
        invocation
            .key(keys::ids(room))
            .key(keys::stream(room))
            .key(keys::texts(room))
            .key(keys::edited(room))
            .key(keys::deleted(room))
            .key(keys::reactions(room))
            .arg(id)
            .arg(uid)
            .arg(keys::channel(room))
            .arg(encode(relayed));
        add_args(&mut invocation);
        let outcome: String = self
            .redis
            .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })?;
        match outcome.as_str() {
            "ok" => Ok(()),
            "not_found" => Err(ActionRefused::NotFound),
            "forbidden" => Err(ActionRefused::NotAuthor),
            "too_many" => Err(ActionRefused::TooManyReactions),
            other => Err(ActionRefused::Failed(
                format!("an action script answered {other:?}").into(),
            )),
        }
    }
}

/// A stored message from what `history.lua` read: its `seq` taken from the entry id, its
/// text, edit time, delete time and reactions from the hashes beside the stream.
fn message(
    (id, json, text, edited, deleted, reactions): Stored,
) -> Result<ChatMessage, StoreError> {
    let seq = id
        .split('-')
        .next()
        .and_then(|seq| seq.parse().ok())
        .ok_or_else(|| format!("stream entry id {id:?} is not <seq>-0"))?;
    let mut msg: ChatMessage = serde_json::from_str(&json)?;
    msg.seq = Some(seq);
    // Entries written before texts were kept apart hold their text themselves.
    if let Some(text) = text {
        msg.text = text;
    }
    msg.edited = edited.map(|at| timestamp(&at)).transpose()?;
    if let Some(at) = deleted {
        msg.text.clear();
        msg.edited = None;
        msg.deleted = Some(timestamp(&at)?);
    } else if let Some(reactions) = reactions {
        msg.reactions = serde_json::from_str(&reactions)?;
    }
    Ok(msg)
}

/// A time the scripts stored, in milliseconds.
fn timestamp(ms: &str) -> Result<Timestamp, StoreError> {
    ms.parse()
        .ok()
        .and_then(Timestamp::from_millis)
        .ok_or_else(|| format!("{ms:?} is no time").into())
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
        let whole = serde_json::to_string(&msg)?;
        // The stream keeps everything but the text, which a delete must be able to remove.
        let kept = serde_json::to_string(&ChatMessage {
            text: String::new(),
            ..msg.clone()
        })?;
        let room = &msg.room;
        let mut invocation = self.scripts.publish.prepare_invoke();
        invocation
            .key(keys::EPOCH)
            .key(keys::seq(room))
            .key(keys::stream(room))
            .key(keys::message_id(room, &msg.id))
            .key(keys::ids(room))
            .key(keys::texts(room))
            .key(keys::edited(room))
            .key(keys::deleted(room))
            .key(keys::reactions(room))
            .key(keys::reads(room))
            .arg(fresh_epoch())
            .arg(kept)
            .arg(self.retain)
            .arg(ID_TTL_SECONDS)
            .arg(keys::channel(room))
            .arg(whole)
            .arg(&msg.text)
            .arg(&msg.id)
            .arg(keys::reactors_prefix(room));
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

    fn capabilities(&self) -> Capabilities {
        // Redis has no text index to search with.
        Capabilities {
            actions: true,
            search: false,
        }
    }

    fn edit(
        &mut self,
        room: &str,
        id: &str,
        author: Actor<'_>,
        text: &str,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        let relayed = Frame::Edit(Edit {
            room: room.to_owned(),
            id: id.to_owned(),
            text: text.to_owned(),
            from: Some(author.name.to_owned()),
            uid: Some(author.uid.to_owned()),
            ts: Some(at),
        });
        self.act(&self.scripts.edit, room, id, author.uid, &relayed, |args| {
            args.arg(at.as_millis()).arg(text);
        })
    }

    fn delete(
        &mut self,
        room: &str,
        id: &str,
        author: Actor<'_>,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        let relayed = Frame::Delete(Delete {
            room: room.to_owned(),
            id: id.to_owned(),
            from: Some(author.name.to_owned()),
            uid: Some(author.uid.to_owned()),
            ts: Some(at),
        });
        self.act(
            &self.scripts.delete,
            room,
            id,
            author.uid,
            &relayed,
            |args| {
                args.arg(at.as_millis()).arg(keys::reactors_prefix(room));
            },
        )
    }

    fn react(
        &mut self,
        room: &str,
        id: &str,
        reactor: Actor<'_>,
        emoji: &str,
        on: bool,
    ) -> Result<(), ActionRefused> {
        let relayed = Frame::React(React {
            room: room.to_owned(),
            id: id.to_owned(),
            emoji: emoji.to_owned(),
            on,
            from: Some(reactor.name.to_owned()),
            uid: Some(reactor.uid.to_owned()),
        });
        self.act(
            &self.scripts.react,
            room,
            id,
            reactor.uid,
            &relayed,
            |args| {
                args.arg(emoji)
                    .arg(if on { "1" } else { "0" })
                    .arg(reactor.name)
                    .arg(MAX_REACTION_KINDS)
                    .arg(MAX_REACTION_USERS)
                    .arg(keys::reactors_prefix(room));
            },
        )
    }

    fn mark_read(&mut self, room: &str, uid: &str, seq: u64) -> Result<u64, ActionRefused> {
        let mut invocation = self.scripts.read.prepare_invoke();
        invocation
            .key(keys::reads(room))
            .key(keys::seq(room))
            .arg(uid)
            .arg(seq)
            .arg(keys::channel(room))
            .arg(&self.node);
        Ok(self
            .redis
            .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })?)
    }

    fn read_position(&self, room: &str, uid: &str) -> Result<Option<u64>, StoreError> {
        let (key, uid) = (keys::reads(room), uid.to_owned());
        self.redis.call(|mut conn| async move {
            redis::cmd("HGET")
                .arg(&key)
                .arg(&uid)
                .query_async(&mut conn)
                .await
        })
    }
}
