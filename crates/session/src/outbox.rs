//! Own messages that the server has not confirmed yet, in the order they were written.

use wirechat_protocol::ChatMessage;

/// One unconfirmed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Message id.
    pub id: String,
    /// Its room.
    pub room: String,
    /// When it was created (or retried), for the failure deadline.
    pub created: u64,
    /// Written on the current socket; cleared when the socket closes so it is resent.
    pub written: bool,
    /// Given up on; waits for the user's Retry or Delete.
    pub failed: bool,
    /// Written to a server that turned out to be a plain relay, which never confirms. Kept
    /// for a while anyway: if that server was only slow to say hello, it is resent.
    pub relayed: bool,
}

/// The queue of unconfirmed own messages.
#[derive(Debug, Default, Clone)]
pub struct Outbox {
    items: Vec<OutboxItem>,
}

impl Outbox {
    /// Queues a new message.
    pub fn push(&mut self, id: String, room: String, now: u64) {
        self.items.push(OutboxItem {
            id,
            room,
            created: now,
            written: false,
            failed: false,
            relayed: false,
        });
    }

    /// All items, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &OutboxItem> {
        self.items.iter()
    }

    /// Number of items, failed ones included.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing waits for confirmation.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items to write now (not written on this socket, not failed, not left with a relay);
    /// marks them written.
    pub fn take_unwritten(&mut self) -> Vec<OutboxItem> {
        let mut due = Vec::new();
        for item in self
            .items
            .iter_mut()
            .filter(|i| !i.written && !i.failed && !i.relayed)
        {
            item.written = true;
            due.push(item.clone());
        }
        due
    }

    /// The oldest item still waiting for the server (not failed, not left with a relay),
    /// marked written and returned if it was not written yet; `None` when it was, or when
    /// nothing waits. For sending one at a time, each after the one before is confirmed.
    pub fn take_oldest_if_unwritten(&mut self) -> Option<OutboxItem> {
        let oldest = self.items.iter_mut().find(|i| !i.failed && !i.relayed)?;
        if oldest.written {
            return None;
        }
        oldest.written = true;
        Some(oldest.clone())
    }

    /// Whether any item still waits for the server (not failed, not left with a relay).
    pub fn has_waiting(&self) -> bool {
        self.items.iter().any(|i| !i.failed && !i.relayed)
    }

    /// Marks the written items as left with a relay at `now`, which will never confirm them,
    /// and returns the ones newly marked.
    pub fn mark_relayed(&mut self, now: u64) -> Vec<OutboxItem> {
        let mut relayed = Vec::new();
        for item in self
            .items
            .iter_mut()
            .filter(|i| i.written && !i.failed && !i.relayed)
        {
            item.relayed = true;
            // From here on `created` measures how long the relay has had it.
            item.created = now;
            relayed.push(item.clone());
        }
        relayed
    }

    /// The server announced itself after all: items left with it as a relay wait for
    /// confirmation again and are returned, to be resent (the server drops duplicates).
    pub fn unrelay(&mut self, now: u64) -> Vec<OutboxItem> {
        let mut back = Vec::new();
        for item in self.items.iter_mut().filter(|i| i.relayed) {
            item.relayed = false;
            item.written = false;
            item.created = now;
            back.push(item.clone());
        }
        back
    }

    /// Forgets items left with a relay more than `keep` ago: as delivered as they will get.
    pub fn prune_relayed(&mut self, now: u64, keep: u64) {
        self.items
            .retain(|i| !(i.relayed && now >= i.created.saturating_add(keep)));
    }

    /// The socket closed: everything unconfirmed must be written again on the next one.
    pub fn mark_unwritten(&mut self) {
        for item in &mut self.items {
            item.written = false;
        }
    }

    /// The server could not store the item with `id` just now: it is written again on the
    /// next flush, and keeps its failure deadline. Returns it (`None` if unknown or failed).
    pub fn unwrite(&mut self, id: &str) -> Option<OutboxItem> {
        let item = self.items.iter_mut().find(|i| i.id == id && !i.failed)?;
        item.written = false;
        Some(item.clone())
    }

    /// Removes the item with `id` (confirmed or deleted).
    pub fn remove(&mut self, id: &str) -> Option<OutboxItem> {
        let at = self.items.iter().position(|i| i.id == id)?;
        Some(self.items.remove(at))
    }

    /// Marks the item with `id` failed (the server refused it) and returns it.
    pub fn fail(&mut self, id: &str) -> Option<OutboxItem> {
        let item = self.items.iter_mut().find(|i| i.id == id)?;
        item.failed = true;
        Some(item.clone())
    }

    /// The server refused the item with `id` for now (rate limited): it is written again
    /// from `resend_at`, and its failure deadline counts from then. Returns it.
    pub fn requeue(&mut self, id: &str, resend_at: u64) -> Option<OutboxItem> {
        let item = self.items.iter_mut().find(|i| i.id == id && !i.failed)?;
        item.written = false;
        item.created = resend_at;
        Some(item.clone())
    }

    /// Drops every item of `room` (the user left it).
    pub fn remove_room(&mut self, room: &str) {
        self.items.retain(|i| i.room != room);
    }

    /// Gives a failed item a fresh deadline; returns its room.
    pub fn retry(&mut self, id: &str, now: u64) -> Option<String> {
        let item = self.items.iter_mut().find(|i| i.id == id && i.failed)?;
        item.failed = false;
        item.written = false;
        item.relayed = false;
        item.created = now;
        Some(item.room.clone())
    }

    /// Marks items older than `fail_after` as failed and returns them.
    pub fn overdue(&mut self, now: u64, fail_after: u64) -> Vec<OutboxItem> {
        let mut late = Vec::new();
        for item in self.items.iter_mut().filter(|i| !i.failed && !i.relayed) {
            if now >= item.created + fail_after {
                item.failed = true;
                late.push(item.clone());
            }
        }
        late
    }

    /// When the item left with a relay longest ago was left there.
    pub fn oldest_relayed(&self) -> Option<u64> {
        self.items
            .iter()
            .filter(|i| i.relayed)
            .map(|i| i.created)
            .min()
    }

    /// Creation time of the oldest item still waiting (not failed).
    pub fn oldest_pending(&self) -> Option<u64> {
        self.items
            .iter()
            .filter(|i| !i.failed && !i.relayed)
            .map(|i| i.created)
            .min()
    }
}

/// Where the tabs of one origin keep their unsent messages for one server.
///
/// Storage such as `localStorage` is shared by every tab of an origin, so a single saved
/// outbox would be overwritten by whichever tab wrote last. Instead each tab (each page
/// load) writes only its own entry, under a key that names the tab, and holds a lock of the
/// same name while it lives. An entry whose lock is free belongs to a page that is gone: the
/// first tab to take that lock adopts the messages into its own entry, then removes the old
/// one. A message is therefore saved under exactly one live tab, which alone sends it.
///
/// Without locks (the Web Locks API needs a secure context) an entry may be adopted only
/// once its page marked it released as it went away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedOutboxes {
    prefix: String,
}

/// Whether adopting another page's entry is guarded by its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdoptGuard {
    /// This tab holds the entry's lock, so the page that wrote it is gone.
    LockHeld,
    /// Locks are unavailable; only an entry marked released may be taken.
    NoLocks,
}

/// One page's saved entry: its unconfirmed messages, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedOutbox {
    /// The messages, as [`crate::Session::unconfirmed`] lists them.
    pub messages: Vec<ChatMessage>,
    /// The page went away (or reloaded) and will not send these.
    #[serde(default)]
    pub released: bool,
}

impl SavedOutboxes {
    /// The entries kept for the server at `server_url`.
    pub fn new(server_url: &str) -> Self {
        Self {
            prefix: format!("wirechat.outbox:{server_url}"),
        }
    }

    /// The storage key, and lock name, of the page `tab`.
    pub fn key_of(&self, tab: &str) -> String {
        format!("{}#{tab}", self.prefix)
    }

    /// Whether `key` holds messages of this server that the page with `own_key` may adopt:
    /// another page's entry, or the single outbox that earlier versions kept for all tabs.
    pub fn is_foreign(&self, key: &str, own_key: &str) -> bool {
        if key == own_key {
            return false;
        }
        match key.strip_prefix(self.prefix.as_str()) {
            Some("") => true,
            Some(rest) => rest.len() > 1 && rest.starts_with('#'),
            None => false,
        }
    }

    /// What to store for `messages`: `None` when there are none, so the key is removed.
    pub fn encode(messages: &[ChatMessage], released: bool) -> Option<String> {
        if messages.is_empty() {
            return None;
        }
        serde_json::to_string(&SavedOutbox {
            messages: messages.to_vec(),
            released,
        })
        .ok()
    }

    /// Reads a stored entry. The single list of earlier versions counts as released: no
    /// page of this version writes it. Unreadable text is `None`.
    pub fn decode(text: &str) -> Option<SavedOutbox> {
        serde_json::from_str::<SavedOutbox>(text)
            .or_else(|_| {
                serde_json::from_str::<Vec<ChatMessage>>(text).map(|messages| SavedOutbox {
                    messages,
                    released: true,
                })
            })
            .ok()
    }
}

impl SavedOutbox {
    /// Whether this entry may be taken over now.
    pub fn may_adopt(&self, guard: AdoptGuard) -> bool {
        match guard {
            AdoptGuard::LockHeld => true,
            // Without locks a live page is indistinguishable from a dead one, except by
            // what it said as it went.
            AdoptGuard::NoLocks => self.released,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str) -> ChatMessage {
        ChatMessage {
            uid: None,
            id: id.into(),
            room: "lobby".into(),
            from: "ann".into(),
            text: format!("text of {id}"),
            ts: wirechat_protocol::Timestamp::saturating_from_millis(1),
            seq: None,
            reply_to: None,
            edited: None,
            deleted: None,
            reactions: Vec::new(),
        }
    }

    #[test]
    fn a_page_adopts_other_pages_and_the_old_single_outbox_but_not_its_own_or_another_servers() {
        let saved = SavedOutboxes::new("ws://a/ws");
        let own = saved.key_of("t1");
        assert!(saved.is_foreign(&saved.key_of("t2"), &own));
        assert!(saved.is_foreign("wirechat.outbox:ws://a/ws", &own));
        assert!(!saved.is_foreign(&own, &own));
        assert!(!saved.is_foreign("wirechat.outbox:ws://a/ws2#t2", &own));
        assert!(!saved.is_foreign("wirechat.outbox:ws://a/ws#", &own));
        assert!(!saved.is_foreign("wirechat.outbox:ws://b/ws#t2", &own));
        assert!(!saved.is_foreign("wirechat.drafts", &own));
    }

    #[test]
    fn an_empty_outbox_removes_the_entry_and_a_full_one_round_trips() {
        assert_eq!(SavedOutboxes::encode(&[], false), None);
        let messages = vec![message("m1"), message("m2")];
        let text = SavedOutboxes::encode(&messages, true).expect("two messages are stored");
        assert_eq!(
            SavedOutboxes::decode(&text),
            Some(SavedOutbox {
                messages,
                released: true
            })
        );
        assert_eq!(SavedOutboxes::decode("{not json"), None);
    }

    #[test]
    fn the_single_list_of_earlier_versions_reads_as_released() {
        let text = serde_json::to_string(&vec![message("m1")]).expect("encode");
        let saved = SavedOutboxes::decode(&text).expect("the old format is read");
        assert_eq!(saved.messages, vec![message("m1")]);
        assert!(saved.may_adopt(AdoptGuard::NoLocks));
    }

    #[test]
    fn without_locks_only_a_released_entry_is_adopted_and_with_its_lock_any_is() {
        let live = SavedOutbox {
            messages: vec![message("m1")],
            released: false,
        };
        assert!(!live.may_adopt(AdoptGuard::NoLocks));
        assert!(live.may_adopt(AdoptGuard::LockHeld));
    }
}
