//! Own messages that the server has not confirmed yet, in the order they were written.

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

    /// Creation time of the oldest item still waiting (not failed).
    pub fn oldest_pending(&self) -> Option<u64> {
        self.items
            .iter()
            .filter(|i| !i.failed && !i.relayed)
            .map(|i| i.created)
            .min()
    }
}
