//! Where rooms keep their messages: the [`HistoryStore`] trait, the in-memory store and the
//! SQLite store ([`SqliteHistory`]).

mod actions;
mod memory_actions;
mod sqlite;

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use wirechat_protocol::{encode, ChatMessage, Frame, Timestamp};

pub use actions::{fts_query, ActionRefused, Capabilities};
pub use sqlite::{SqliteHistory, DATABASE_FILE};

/// Why a store could not answer; the server logs it and answers the client's request with
/// an `error` frame of code `unavailable`.
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// What [`HistoryStore::append`] did with a message.
// Made once per message and taken apart at once: a box would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Stored under a new `seq`, which the returned copy carries.
    Stored(ChatMessage),
    /// A message with the same id was already stored in the room under this `seq`; nothing
    /// was stored.
    Duplicate(u64),
}

/// A run of one room's messages in ascending `seq` order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The messages, oldest first.
    pub msgs: Vec<ChatMessage>,
    /// Whether the room holds older messages than the first one here (for an empty page: older
    /// than where the page would have started).
    pub more: bool,
}

impl Page {
    /// Keeps the newest messages whose encoded size fits in `budget` bytes, and sets `more`
    /// when older ones were dropped, so a client scrolling back asks for them next. The
    /// newest message is always kept, so paging moves on even past a message larger than
    /// the budget.
    pub fn keep_newest_within(&mut self, budget: usize) {
        let keep = fitting(self.msgs.iter().rev(), budget);
        if keep < self.msgs.len() {
            self.msgs.drain(..self.msgs.len() - keep);
            self.more = true;
        }
    }

    /// Keeps the oldest messages whose encoded size fits in `budget` bytes; a client that
    /// sees the page stop short of `latest` asks for the rest. The oldest message is
    /// always kept.
    pub fn keep_oldest_within(&mut self, budget: usize) {
        let keep = fitting(self.msgs.iter(), budget);
        self.msgs.truncate(keep);
    }
}

/// How many of `msgs`, taken in order, fit in `budget` bytes of a JSON array; at least one.
fn fitting<'a>(msgs: impl Iterator<Item = &'a ChatMessage>, budget: usize) -> usize {
    let mut used = 0;
    let mut count = 0;
    for msg in msgs {
        // The encoded `msg` frame carries a `type` key that a history entry does not, so
        // this overestimates a little; the comma between entries is the `+ 1`.
        used += encode(&Frame::Msg(msg.clone())).len() + 1;
        if used > budget && count > 0 {
            break;
        }
        count += 1;
    }
    count
}

/// Per-room message history with per-room sequence numbers.
///
/// The server makes one call at a time (it keeps the store behind a lock), so implementations
/// need no locking of their own. It calls `append` while it holds the lock that orders the
/// room's broadcasts, so `seq` order equals delivery order. Calls come from a blocking
/// thread, so a call may wait for the disk, but it holds up every room's history while it
/// does: keep each call short.
pub trait HistoryStore: Send {
    /// Names the current `seq` numbering. It must change whenever numbering restarts (a
    /// memory store at every start) and stay the same while it does not (a persistent store
    /// across restarts), so clients know whether their cursors still mean anything.
    fn epoch(&self) -> &str;

    /// The epoch now. Only a store shared by several nodes changes it while running (when
    /// the shared engine lost its data); the others keep [`HistoryStore::epoch`].
    fn current_epoch(&self) -> String {
        self.epoch().to_owned()
    }

    /// Stores `msg` under the room's next `seq` (1 for a room's first message), unless a
    /// message with the same id is already stored in that room.
    fn append(&mut self, msg: ChatMessage) -> Result<Appended, StoreError>;

    /// The newest `limit` messages of `room`.
    fn recent(&self, room: &str, limit: usize) -> Result<Page, StoreError>;

    /// The oldest `limit` messages of `room` with a `seq` above `after`.
    fn after(&self, room: &str, after: u64, limit: usize) -> Result<Page, StoreError>;

    /// The newest `limit` messages of `room` with a `seq` below `before`.
    fn before(&self, room: &str, before: u64, limit: usize) -> Result<Page, StoreError>;

    /// The stored message of `room` with this client-made id, if it is still kept.
    fn find_by_id(&self, room: &str, id: &str) -> Result<Option<ChatMessage>, StoreError>;

    /// The newest `seq` of `room` (`None` for a room without messages), sent with every
    /// history page so a client whose page stopped short knows more follows.
    fn latest(&self, room: &str) -> Result<Option<u64>, StoreError>;

    /// Which message actions this store keeps; the server announces them in `hello`.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// Replaces the text of the message `id` of `room`, written by the user `author.uid`,
    /// and stamps it `edited` at `at`. Deleted messages cannot be edited.
    fn edit(
        &mut self,
        room: &str,
        id: &str,
        author: Actor<'_>,
        text: &str,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        let _ = (room, id, author, text, at);
        Err(ActionRefused::Unsupported)
    }

    /// Turns the message `id` of `room`, written by the user `author.uid`, into a tombstone
    /// at `at`: its text and reactions are removed from storage, not only hidden. Deleting
    /// a tombstone again changes nothing.
    fn delete(
        &mut self,
        room: &str,
        id: &str,
        author: Actor<'_>,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        let _ = (room, id, author, at);
        Err(ActionRefused::Unsupported)
    }

    /// Adds (`on`) or removes the reaction `emoji` of the user `reactor.uid`, shown as
    /// `reactor.name`, on
    /// the message `id` of `room`. Adding twice or removing what is not there changes
    /// nothing. A new emoji on a message that has `MAX_REACTION_KINDS` is refused.
    fn react(
        &mut self,
        room: &str,
        id: &str,
        reactor: Actor<'_>,
        emoji: &str,
        on: bool,
    ) -> Result<(), ActionRefused> {
        let _ = (room, id, reactor, emoji, on);
        Err(ActionRefused::Unsupported)
    }

    /// Records that the user `uid` read `room` up to `seq`; a lower `seq` than the one
    /// kept changes nothing. Returns the position now kept.
    fn mark_read(&mut self, room: &str, uid: &str, seq: u64) -> Result<u64, ActionRefused> {
        let _ = (room, uid, seq);
        Err(ActionRefused::Unsupported)
    }

    /// How far the user `uid` has read `room`, if it ever said.
    fn read_position(&self, room: &str, uid: &str) -> Result<Option<u64>, StoreError> {
        let _ = (room, uid);
        Ok(None)
    }

    /// The newest `limit` messages of `room` holding every word of `query` (plain words, no
    /// query syntax), oldest first.
    fn search(
        &self,
        room: &str,
        query: &str,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, ActionRefused> {
        let _ = (room, query, limit);
        Err(ActionRefused::Unsupported)
    }
}

/// Who acts on a message: the user id that decides authorship and makes a reaction one per
/// user, and the name shown for it.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The user id.
    pub uid: &'a str,
    /// The display name in the room when acting.
    pub name: &'a str,
}

/// Keeps the newest messages of every room in memory; everything is gone at restart, so
/// each instance starts with a fresh epoch.
#[derive(Debug)]
pub struct MemoryHistory {
    epoch: String,
    per_room: usize,
    rooms: HashMap<String, RoomLog>,
    /// How far each user read each room: `(uid, room)` to `seq`.
    reads: HashMap<(String, String), u64>,
}

#[derive(Debug, Default)]
struct RoomLog {
    last_seq: u64,
    /// Ascending by `seq`.
    msgs: VecDeque<ChatMessage>,
    /// Id to `seq` of exactly the messages in `msgs`, so the index is bounded with them.
    ids: HashMap<String, u64>,
    /// Who reacted how to the messages in `msgs`, by `seq`, in the order they reacted.
    reactors: HashMap<u64, Vec<memory_actions::Reacted>>,
}

impl RoomLog {
    /// Position of the first message with a `seq` of at least `seq`.
    fn position(&self, seq: u64) -> usize {
        self.msgs.partition_point(|m| m.seq.unwrap_or(0) < seq)
    }

    fn page(&self, start: usize, end: usize) -> Page {
        Page {
            msgs: self.msgs.range(start..end).cloned().collect(),
            more: start > 0,
        }
    }
}

impl MemoryHistory {
    /// A store keeping the newest `per_room` messages of each room.
    pub fn new(per_room: usize) -> Self {
        Self {
            epoch: fresh_epoch(),
            per_room,
            rooms: HashMap::new(),
            reads: HashMap::new(),
        }
    }
}

impl HistoryStore for MemoryHistory {
    fn epoch(&self) -> &str {
        &self.epoch
    }

    fn append(&mut self, mut msg: ChatMessage) -> Result<Appended, StoreError> {
        let log = self.rooms.entry(msg.room.clone()).or_default();
        if let Some(&seq) = log.ids.get(&msg.id) {
            return Ok(Appended::Duplicate(seq));
        }
        log.last_seq += 1;
        msg.seq = Some(log.last_seq);
        if self.per_room > 0 {
            log.ids.insert(msg.id.clone(), log.last_seq);
            log.msgs.push_back(msg.clone());
            while log.msgs.len() > self.per_room {
                if let Some(old) = log.msgs.pop_front() {
                    log.ids.remove(&old.id);
                    log.reactors.remove(&old.seq.unwrap_or(0));
                }
            }
        }
        Ok(Appended::Stored(msg))
    }

    fn recent(&self, room: &str, limit: usize) -> Result<Page, StoreError> {
        let Some(log) = self.rooms.get(room) else {
            return Ok(Page::default());
        };
        let end = log.msgs.len();
        Ok(log.page(end.saturating_sub(limit), end))
    }

    fn after(&self, room: &str, after: u64, limit: usize) -> Result<Page, StoreError> {
        let Some(log) = self.rooms.get(room) else {
            return Ok(Page::default());
        };
        let start = log.position(after.saturating_add(1));
        let end = start.saturating_add(limit).min(log.msgs.len());
        Ok(log.page(start, end))
    }

    fn before(&self, room: &str, before: u64, limit: usize) -> Result<Page, StoreError> {
        let Some(log) = self.rooms.get(room) else {
            return Ok(Page::default());
        };
        let end = log.position(before);
        Ok(log.page(end.saturating_sub(limit), end))
    }

    fn find_by_id(&self, room: &str, id: &str) -> Result<Option<ChatMessage>, StoreError> {
        let Some(log) = self.rooms.get(room) else {
            return Ok(None);
        };
        Ok(log.ids.get(id).and_then(|&seq| {
            let at = log.position(seq);
            log.msgs.get(at).filter(|m| m.seq == Some(seq)).cloned()
        }))
    }

    fn latest(&self, room: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .rooms
            .get(room)
            .map(|log| log.last_seq)
            .filter(|&seq| seq > 0))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            actions: true,
            search: true,
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
        let msg = self.authored(room, id, author.uid)?;
        if msg.deleted.is_some() {
            return Err(ActionRefused::NotFound);
        }
        msg.text = text.to_owned();
        msg.edited = Some(at);
        Ok(())
    }

    fn delete(
        &mut self,
        room: &str,
        id: &str,
        author: Actor<'_>,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        self.tombstone(room, id, author.uid, at)
    }

    fn react(
        &mut self,
        room: &str,
        id: &str,
        reactor: Actor<'_>,
        emoji: &str,
        on: bool,
    ) -> Result<(), ActionRefused> {
        self.set_reaction(room, id, reactor, emoji, on)
    }

    fn mark_read(&mut self, room: &str, uid: &str, seq: u64) -> Result<u64, ActionRefused> {
        let newest = self.rooms.get(room).map_or(0, |log| log.last_seq);
        let kept = self
            .reads
            .entry((uid.to_owned(), room.to_owned()))
            .or_default();
        *kept = (*kept).max(seq.min(newest));
        Ok(*kept)
    }

    fn read_position(&self, room: &str, uid: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.reads.get(&(uid.to_owned(), room.to_owned())).copied())
    }

    fn search(
        &self,
        room: &str,
        query: &str,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, ActionRefused> {
        Ok(self.find_words(room, query, limit))
    }
}

/// 16 hex digits that differ between processes and between stores of one process.
pub(crate) fn fresh_epoch() -> String {
    static MADE: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // std seeds each RandomState from the operating system's random source, which makes the
    // epoch unpredictable without another dependency; time and a counter keep it unique.
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    hasher.write_u64(MADE.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str) -> ChatMessage {
        ChatMessage {
            uid: None,
            id: id.into(),
            room: "lobby".into(),
            from: "alice".into(),
            text: format!("text of {id}"),
            ts: wirechat_protocol::Timestamp::EPOCH,
            seq: None,
            reply_to: None,
            edited: None,
            deleted: None,
            reactions: Vec::new(),
        }
    }

    fn seqs(page: &Page) -> Vec<u64> {
        page.msgs.iter().filter_map(|m| m.seq).collect()
    }

    fn store_with(per_room: usize, count: u64) -> MemoryHistory {
        let mut store = MemoryHistory::new(per_room);
        for i in 1..=count {
            store.append(msg(&format!("m{i}"))).unwrap();
        }
        store
    }

    #[test]
    fn seq_starts_at_one_and_counts_per_room() {
        let mut store = MemoryHistory::new(10);
        let Appended::Stored(first) = store.append(msg("a")).unwrap() else {
            panic!("stored")
        };
        assert_eq!(first.seq, Some(1));
        let other = ChatMessage {
            room: "other".into(),
            ..msg("b")
        };
        assert!(matches!(store.append(other).unwrap(), Appended::Stored(m) if m.seq == Some(1)));
        assert!(matches!(store.append(msg("c")).unwrap(), Appended::Stored(m) if m.seq == Some(2)));
    }

    #[test]
    fn a_repeated_id_is_reported_with_its_first_seq() {
        let mut store = store_with(10, 3);
        assert_eq!(store.append(msg("m2")).unwrap(), Appended::Duplicate(2));
        assert_eq!(seqs(&store.recent("lobby", 10).unwrap()), [1, 2, 3]);
        assert_eq!(
            store.find_by_id("lobby", "m2").unwrap().map(|m| m.text),
            Some("text of m2".to_owned())
        );
        assert_eq!(store.find_by_id("lobby", "m9").unwrap(), None);
        assert_eq!(store.find_by_id("nowhere", "m2").unwrap(), None);
    }

    #[test]
    fn history_and_id_index_are_bounded_together() {
        let mut store = store_with(3, 5);
        assert_eq!(seqs(&store.recent("lobby", 10).unwrap()), [3, 4, 5]);
        assert_eq!(store.rooms["lobby"].ids.len(), 3);
        assert_eq!(store.find_by_id("lobby", "m1").unwrap(), None);
        // An id that fell out of the window is stored again under a new seq.
        assert!(
            matches!(store.append(msg("m1")).unwrap(), Appended::Stored(m) if m.seq == Some(6))
        );
    }

    #[test]
    fn pages_are_ascending_and_say_whether_older_exist() {
        let store = store_with(100, 10);
        let recent = store.recent("lobby", 3).unwrap();
        assert_eq!((seqs(&recent), recent.more), (vec![8, 9, 10], true));
        let all = store.recent("lobby", 50).unwrap();
        assert_eq!((all.msgs.len(), all.more), (10, false));

        let before = store.before("lobby", 5, 2).unwrap();
        assert_eq!((seqs(&before), before.more), (vec![3, 4], true));
        let oldest = store.before("lobby", 3, 5).unwrap();
        assert_eq!((seqs(&oldest), oldest.more), (vec![1, 2], false));

        let after = store.after("lobby", 6, 2).unwrap();
        assert_eq!((seqs(&after), after.more), (vec![7, 8], true));
        let none = store.after("lobby", 10, 5).unwrap();
        assert_eq!((seqs(&none), none.more), (vec![], true));
        assert_eq!(store.after("lobby", u64::MAX, 5).unwrap().msgs, vec![]);

        assert_eq!(store.recent("empty", 5).unwrap(), Page::default());
    }

    #[test]
    fn pages_are_cut_by_bytes_from_the_end_the_client_asks_about_last() {
        let store = store_with(100, 10);
        let newest = store.recent("lobby", 1).unwrap().msgs.remove(0);
        let one = encode(&Frame::Msg(newest)).len() + 1;
        let mut newest = store.recent("lobby", 10).unwrap();
        newest.keep_newest_within(3 * one);
        assert_eq!((seqs(&newest), newest.more), (vec![8, 9, 10], true));
        let mut oldest = store.after("lobby", 0, 10).unwrap();
        oldest.keep_oldest_within(3 * one);
        assert_eq!((seqs(&oldest), oldest.more), (vec![1, 2, 3], false));
        let mut tiny = store.recent("lobby", 10).unwrap();
        tiny.keep_newest_within(1);
        assert_eq!(seqs(&tiny), [10], "one message is always kept");
        let mut whole = store.recent("lobby", 10).unwrap();
        whole.keep_newest_within(10 * one);
        assert_eq!((whole.msgs.len(), whole.more), (10, false));
    }

    #[test]
    fn zero_capacity_numbers_messages_but_keeps_none() {
        let store = store_with(0, 2);
        assert_eq!(store.recent("lobby", 10).unwrap(), Page::default());
        assert_eq!(store.rooms["lobby"].last_seq, 2);
    }

    #[test]
    fn every_store_has_its_own_epoch() {
        let a = MemoryHistory::new(1);
        let b = MemoryHistory::new(1);
        assert_eq!(a.epoch().len(), 16);
        assert!(a.epoch().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.epoch(), b.epoch());
    }
}
