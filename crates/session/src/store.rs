//! The message store: every room's messages in display order, deduplicated by id.
//!
//! Order is by `(era, seq, arrival)`. `seq` comes from servers that number messages;
//! messages without one (own pending messages, or anything from a plain relay) sort after
//! the numbered ones in arrival order. `era` grows each time the server's epoch changes, so
//! a server that restarted its numbering never sorts new messages before old ones.

use std::collections::HashMap;
use wirechat_protocol::ChatMessage;

/// Where one of the user's own messages stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Created, not yet confirmed by the server.
    Pending,
    /// Written to a server that does not confirm messages (a relay that skips the sender).
    Sent,
    /// Confirmed by the server's echo or ack.
    Delivered,
    /// Not confirmed in time, or refused by the server; the user may retry or delete it.
    Failed,
}

/// One message as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The message as received or composed.
    pub msg: ChatMessage,
    /// `Some` for the user's own messages.
    pub delivery: Option<Delivery>,
    /// The emoji of `msg.reactions` this user reacted with (see `message_state`).
    pub(crate) mine: Vec<String>,
    key: SortKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct SortKey {
    era: u32,
    seq: u64,
    arrival: u64,
}

/// What [`RoomLog::insert`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// It is new and now in the list.
    New,
    /// A message with that id was already there; nothing changed.
    Duplicate,
}

/// The messages of one room.
#[derive(Debug, Default, Clone)]
pub struct RoomLog {
    entries: Vec<Entry>,
    keys: HashMap<String, SortKey>,
    /// Highest `seq` up to which nothing is missing, in the current era. `None` until the
    /// reply to a join says where the room stands.
    contiguous: Option<u64>,
    /// Seqs seen above `contiguous`, sorted and each once; non-empty means there is a gap
    /// to fetch. A sorted `Vec`: live seqs arrive in order, so inserting appends.
    ahead: Vec<u64>,
    /// The room's newest seq as the server last reported it; above `contiguous` it means
    /// messages are still to be fetched.
    latest: Option<u64>,
    /// Whether the server said older messages exist before the first one here.
    pub more_before: bool,
}

impl RoomLog {
    /// Messages in display order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with message id `id`.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        let key = self.keys.get(id)?;
        self.position(key).map(|i| &self.entries[i])
    }

    /// The entry with message id `id`, to change its state (never its order).
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Entry> {
        let key = self.keys.get(id)?;
        let at = self.position(key)?;
        Some(&mut self.entries[at])
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the room has no messages.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The last `seq` with nothing missing before it: what to resume after.
    pub fn resume_after(&self) -> Option<u64> {
        self.contiguous
    }

    /// Lowest seq present in the current era, for fetching older history.
    pub fn oldest_seq(&self, era: u32) -> Option<u64> {
        self.entries
            .iter()
            .find(|e| e.key.era == era && e.msg.seq.is_some())
            .and_then(|e| e.msg.seq)
    }

    /// The first missing seq range start, when a numbered message arrived past a gap.
    pub fn gap_after(&self) -> Option<u64> {
        let c = self.contiguous?;
        let behind_latest = self.latest.is_some_and(|l| l > c);
        (behind_latest || !self.ahead.is_empty()).then_some(c)
    }

    /// Adds a message unless its id is already present.
    pub fn insert(
        &mut self,
        msg: ChatMessage,
        delivery: Option<Delivery>,
        era: u32,
        arrival: u64,
    ) -> Inserted {
        match self.admit(msg, delivery, era, arrival) {
            Some(entry) => {
                self.place(entry);
                Inserted::New
            }
            None => Inserted::Duplicate,
        }
    }

    /// Puts `entry` where its key sorts it.
    fn place(&mut self, entry: Entry) {
        // Live traffic almost always lands at the end; only history and confirmations of
        // own messages need a search.
        match self.entries.last() {
            Some(last) if last.key > entry.key => {
                let at = self.entries.partition_point(|e| e.key < entry.key);
                self.entries.insert(at, entry);
            }
            _ => self.entries.push(entry),
        }
    }

    /// Adds a page of messages (each with its delivery and arrival number), leaving out ids
    /// already present, and returns the ids it added. The result is the same as inserting
    /// them one by one; the cost is one pass over the room instead of one per message, which
    /// matters when older pages go in at the front of a long room.
    pub fn insert_page(
        &mut self,
        page: Vec<(ChatMessage, Option<Delivery>, u64)>,
        era: u32,
    ) -> Vec<String> {
        let mut fresh: Vec<Entry> = Vec::with_capacity(page.len());
        for (msg, delivery, arrival) in page {
            let Some(entry) = self.admit(msg, delivery, era, arrival) else {
                continue;
            };
            // A page is short and mostly in order already: kept sorted as it is built
            // (no sort routine for entries in the bundle).
            let at = fresh.partition_point(|e| e.key < entry.key);
            fresh.insert(at, entry);
        }
        let added = fresh.iter().map(|e| e.msg.id.clone()).collect();
        let (Some(first_new), Some(last_new)) = (fresh.first(), fresh.last()) else {
            return added;
        };
        match (self.entries.first(), self.entries.last()) {
            // An older page: all of it goes before the first message held.
            (Some(first), _) if last_new.key < first.key => {
                self.entries.splice(0..0, fresh);
            }
            // Interleaved with what is held (rare: pages are older or newer than it): each
            // goes to its place.
            (_, Some(last)) if first_new.key < last.key => {
                for entry in fresh {
                    self.place(entry);
                }
            }
            _ => self.entries.extend(fresh),
        }
        added
    }

    /// The entry for a message new to the room, with its seq noted and its id recorded;
    /// `None` when a message with that id is here already. The caller puts it in place.
    fn admit(
        &mut self,
        msg: ChatMessage,
        delivery: Option<Delivery>,
        era: u32,
        arrival: u64,
    ) -> Option<Entry> {
        if self.keys.contains_key(&msg.id) {
            return None;
        }
        if let Some(seq) = msg.seq {
            self.note_seq(seq);
        }
        let key = SortKey {
            era,
            seq: msg.seq.unwrap_or(u64::MAX),
            arrival,
        };
        self.keys.insert(msg.id.clone(), key);
        Some(Entry {
            msg,
            delivery,
            mine: Vec::new(),
            key,
        })
    }

    /// Records that message `id` got `delivery`, and the server's `seq` when it gave one.
    /// Returns false when no such message is here.
    pub fn confirm(&mut self, id: &str, delivery: Delivery, seq: Option<u64>, era: u32) -> bool {
        let Some(key) = self.keys.get(id).copied() else {
            return false;
        };
        let Some(at) = self.position(&key) else {
            return false;
        };
        let mut entry = self.entries.remove(at);
        entry.delivery = Some(delivery);
        if let Some(seq) = seq.filter(|_| entry.msg.seq.is_none()) {
            self.note_seq(seq);
            entry.msg.seq = Some(seq);
            entry.key = SortKey { era, seq, ..key };
        }
        self.keys.insert(id.to_owned(), entry.key);
        self.place(entry);
        true
    }

    /// Removes message `id` (the user deleted a failed message).
    pub fn remove(&mut self, id: &str) -> Option<Entry> {
        let key = self.keys.remove(id)?;
        let at = self.position(&key)?;
        Some(self.entries.remove(at))
    }

    /// Sets where the room stood when this client joined: everything up to `seq` is either
    /// here or older history the user may scroll back to, not a gap.
    pub fn set_baseline(&mut self, seq: u64) {
        self.contiguous = Some(self.contiguous.map_or(seq, |c| c.max(seq)));
        self.advance();
    }

    /// Notes that the room's newest seq is `latest`: anything between the cursor and it is
    /// missing until fetched.
    pub fn note_latest(&mut self, latest: u64) {
        self.latest = Some(self.latest.map_or(latest, |l| l.max(latest)));
    }

    /// Whether the join reply has set where the room stands.
    pub fn has_baseline(&self) -> bool {
        self.contiguous.is_some()
    }

    /// Accepts that the missing seqs before the first one seen past the gap will never come
    /// (the server no longer keeps them), so resuming and gap checks move past them.
    pub fn skip_gap(&mut self) {
        if self.ahead.is_empty() {
            self.latest = None;
        } else {
            self.contiguous = Some(self.ahead.remove(0));
            self.advance();
        }
    }

    /// Forgets the seq cursor: the server started a new numbering.
    pub fn reset_cursor(&mut self) {
        self.contiguous = None;
        self.ahead.clear();
        self.latest = None;
    }

    fn position(&self, key: &SortKey) -> Option<usize> {
        self.entries.binary_search_by(|e| e.key.cmp(key)).ok()
    }

    fn note_seq(&mut self, seq: u64) {
        match self.contiguous {
            Some(c) if seq <= c => {}
            // Without a baseline yet, a seq is only "seen"; the join reply places it.
            _ => {
                if let Err(at) = self.ahead.binary_search(&seq) {
                    self.ahead.insert(at, seq);
                }
            }
        }
        self.advance();
    }

    fn advance(&mut self) {
        let Some(c) = self.contiguous else {
            return;
        };
        // Seqs at or below the cursor are no longer ahead of it, and those that follow it
        // without a hole move it on; all of them leave in one drain.
        let mut done = self.ahead.partition_point(|&seq| seq <= c);
        let mut next = c;
        while self.ahead.get(done) == Some(&(next + 1)) {
            done += 1;
            next += 1;
        }
        self.ahead.drain(..done);
        self.contiguous = Some(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirechat_protocol::Timestamp;

    fn m(id: &str, seq: Option<u64>) -> ChatMessage {
        ChatMessage {
            uid: None,
            id: id.into(),
            room: "r".into(),
            from: "a".into(),
            text: id.into(),
            ts: Timestamp::EPOCH,
            seq,
            reply_to: None,
            edited: None,
            deleted: None,
            reactions: Vec::new(),
        }
    }

    fn ids(log: &RoomLog) -> Vec<&str> {
        log.entries().iter().map(|e| e.msg.id.as_str()).collect()
    }

    proptest::proptest! {
        /// A page put in at once leaves the room exactly as the same messages inserted one
        /// by one: an older page before everything, a newer one after, or one that interleaves.
        #[test]
        fn a_page_in_one_pass_is_the_same_as_one_by_one(
            held in proptest::collection::vec((0u64..60, proptest::bool::ANY), 0..30),
            page in proptest::collection::vec((0u64..60, proptest::bool::ANY), 0..30),
            baseline in proptest::option::of(0u64..60),
        ) {
            let msg_of = |(seq, numbered): (u64, bool)| {
                // Unnumbered ids repeat too, so duplicates without a seq are covered.
                m(&format!("m{seq}"), numbered.then_some(seq))
            };
            let mut one_by_one = RoomLog::default();
            let mut paged = RoomLog::default();
            if let Some(seq) = baseline {
                one_by_one.set_baseline(seq);
                paged.set_baseline(seq);
            }
            for (arrival, &item) in held.iter().enumerate() {
                one_by_one.insert(msg_of(item), None, 0, arrival as u64);
                paged.insert(msg_of(item), None, 0, arrival as u64);
            }
            let first_arrival = held.len() as u64;
            let mut added_one_by_one = Vec::new();
            for (i, &item) in page.iter().enumerate() {
                let msg = msg_of(item);
                let id = msg.id.clone();
                if one_by_one.insert(msg, None, 0, first_arrival + i as u64) == Inserted::New {
                    added_one_by_one.push(id);
                }
            }
            let batch = page
                .iter()
                .enumerate()
                .map(|(i, &item)| (msg_of(item), None, first_arrival + i as u64))
                .collect();
            let mut added = paged.insert_page(batch, 0);
            added.sort();
            added_one_by_one.sort();
            proptest::prop_assert_eq!(added, added_one_by_one);
            proptest::prop_assert_eq!(ids(&paged), ids(&one_by_one));
            proptest::prop_assert_eq!(paged.resume_after(), one_by_one.resume_after());
            proptest::prop_assert_eq!(paged.gap_after(), one_by_one.gap_after());
            for id in ids(&one_by_one) {
                proptest::prop_assert!(paged.get(id).is_some(), "{} is found by id", id);
            }
        }
    }

    #[test]
    fn an_older_page_goes_in_before_everything_held() {
        let mut log = RoomLog::default();
        log.set_baseline(300);
        for seq in 201..=300 {
            log.insert(m(&format!("n{seq}"), Some(seq)), None, 0, seq);
        }
        let page = (1..=200)
            .map(|seq| (m(&format!("n{seq}"), Some(seq)), None, 1_000 + seq))
            .collect();
        assert_eq!(log.insert_page(page, 0).len(), 200);
        let seqs: Vec<u64> = log.entries().iter().filter_map(|e| e.msg.seq).collect();
        assert_eq!(seqs, (1..=300).collect::<Vec<_>>());
    }

    #[test]
    fn duplicates_by_id_are_dropped() {
        let mut log = RoomLog::default();
        assert_eq!(log.insert(m("a", Some(1)), None, 0, 0), Inserted::New);
        assert_eq!(log.insert(m("a", Some(1)), None, 0, 1), Inserted::Duplicate);
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn numbered_messages_sort_by_seq_whatever_the_arrival_order() {
        let mut log = RoomLog::default();
        log.insert(m("c", Some(3)), None, 0, 0);
        log.insert(m("a", Some(1)), None, 0, 1);
        log.insert(m("b", Some(2)), None, 0, 2);
        assert_eq!(ids(&log), ["a", "b", "c"]);
    }

    #[test]
    fn pending_messages_move_into_place_when_confirmed() {
        let mut log = RoomLog::default();
        log.set_baseline(0);
        log.insert(m("mine", None), Some(Delivery::Pending), 0, 0);
        log.insert(m("x", Some(1)), None, 0, 1);
        log.insert(m("y", Some(3)), None, 0, 2);
        assert_eq!(ids(&log), ["x", "y", "mine"]);
        assert!(log.confirm("mine", Delivery::Delivered, Some(2), 0));
        assert_eq!(ids(&log), ["x", "mine", "y"]);
        assert_eq!(log.get("mine").unwrap().delivery, Some(Delivery::Delivered));
        assert_eq!(log.resume_after(), Some(3));
    }

    #[test]
    fn a_gap_in_seq_is_reported_until_filled() {
        let mut log = RoomLog::default();
        log.set_baseline(4);
        log.insert(m("a", Some(5)), None, 0, 0);
        assert_eq!(log.gap_after(), None);
        log.insert(m("c", Some(8)), None, 0, 1);
        assert_eq!(log.gap_after(), Some(5));
        log.insert(m("b1", Some(6)), None, 0, 2);
        log.insert(m("b2", Some(7)), None, 0, 3);
        assert_eq!(log.gap_after(), None);
        assert_eq!(log.resume_after(), Some(8));
    }

    #[test]
    fn a_gap_the_server_cannot_fill_is_skipped() {
        let mut log = RoomLog::default();
        log.set_baseline(0);
        log.insert(m("a", Some(1)), None, 0, 0);
        log.insert(m("d", Some(4)), None, 0, 1);
        log.insert(m("e", Some(5)), None, 0, 2);
        assert_eq!(log.gap_after(), Some(1));
        log.skip_gap();
        assert_eq!(log.gap_after(), None);
        assert_eq!(log.resume_after(), Some(5));
    }

    #[test]
    fn messages_seen_before_the_join_reply_are_placed_by_it() {
        let mut log = RoomLog::default();
        // A live message overtook the join reply: it is no gap by itself.
        log.insert(m("live", Some(12)), None, 0, 0);
        assert_eq!(log.gap_after(), None);
        assert_eq!(log.resume_after(), None);
        log.insert(m("h10", Some(10)), None, 0, 1);
        log.insert(m("h11", Some(11)), None, 0, 2);
        log.set_baseline(11);
        assert_eq!(log.resume_after(), Some(12));
        assert_eq!(log.gap_after(), None);
        assert_eq!(ids(&log), ["h10", "h11", "live"]);
    }

    #[test]
    fn a_new_era_sorts_after_the_old_one() {
        let mut log = RoomLog::default();
        log.insert(m("old", Some(90)), None, 0, 0);
        log.reset_cursor();
        log.set_baseline(0);
        log.insert(m("new", Some(1)), None, 1, 1);
        assert_eq!(ids(&log), ["old", "new"]);
        assert_eq!(log.resume_after(), Some(1));
    }

    #[test]
    fn removed_messages_are_gone_and_may_come_back() {
        let mut log = RoomLog::default();
        log.insert(m("a", None), Some(Delivery::Failed), 0, 0);
        assert!(log.remove("a").is_some());
        assert!(log.is_empty());
        assert_eq!(log.insert(m("a", None), None, 0, 1), Inserted::New);
    }

    /// The seq cursor as it was kept in a `BTreeSet`, the reference for the sorted `Vec`.
    #[derive(Default)]
    struct CursorModel {
        contiguous: Option<u64>,
        ahead: std::collections::BTreeSet<u64>,
    }

    impl CursorModel {
        fn note_seq(&mut self, seq: u64) {
            if self.contiguous.is_none_or(|c| seq > c) {
                self.ahead.insert(seq);
            }
            self.advance();
        }

        fn set_baseline(&mut self, seq: u64) {
            self.contiguous = Some(self.contiguous.map_or(seq, |c| c.max(seq)));
            self.advance();
        }

        fn skip_gap(&mut self) {
            if let Some(first) = self.ahead.pop_first() {
                self.contiguous = Some(first);
                self.advance();
            }
        }

        fn advance(&mut self) {
            let Some(c) = self.contiguous else {
                return;
            };
            self.ahead = self.ahead.split_off(&(c + 1));
            while let Some(c) = self.contiguous {
                if !self.ahead.remove(&(c + 1)) {
                    break;
                }
                self.contiguous = Some(c + 1);
            }
        }
    }

    #[derive(Debug, Clone)]
    enum CursorOp {
        Seq(u64),
        Baseline(u64),
        SkipGap,
        Reset,
    }

    fn cursor_op() -> impl proptest::strategy::Strategy<Value = CursorOp> {
        use proptest::prelude::*;
        prop_oneof![
            6 => (0u64..40).prop_map(CursorOp::Seq),
            1 => (0u64..40).prop_map(CursorOp::Baseline),
            1 => Just(CursorOp::SkipGap),
            1 => Just(CursorOp::Reset),
        ]
    }

    proptest::proptest! {
        #[test]
        fn the_seq_cursor_moves_as_the_btree_set_model_does(
            ops in proptest::collection::vec(cursor_op(), 0..60)
        ) {
            let mut log = RoomLog::default();
            let mut model = CursorModel::default();
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    CursorOp::Seq(seq) => {
                        log.insert(m(&format!("m{n}"), Some(seq)), None, 0, n as u64);
                        model.note_seq(seq);
                    }
                    CursorOp::Baseline(seq) => {
                        log.set_baseline(seq);
                        model.set_baseline(seq);
                    }
                    CursorOp::SkipGap => {
                        log.skip_gap();
                        model.skip_gap();
                    }
                    CursorOp::Reset => {
                        log.reset_cursor();
                        model = CursorModel::default();
                    }
                }
                proptest::prop_assert_eq!(log.contiguous, model.contiguous);
                proptest::prop_assert_eq!(&log.ahead, &model.ahead.iter().copied().collect::<Vec<_>>());
            }
        }
    }
}
