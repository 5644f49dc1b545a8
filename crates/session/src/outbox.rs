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

    /// Items to write now (not written on this socket, not failed); marks them written.
    pub fn take_unwritten(&mut self, _now: u64) -> Vec<OutboxItem> {
        let mut due = Vec::new();
        for item in self.items.iter_mut().filter(|i| !i.written && !i.failed) {
            item.written = true;
            due.push(item.clone());
        }
        due
    }

    /// Removes and returns the written items (a relay will never confirm them).
    pub fn take_written(&mut self) -> Vec<OutboxItem> {
        let (written, rest) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|i| i.written && !i.failed);
        self.items = rest;
        written
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

    /// Gives a failed item a fresh deadline; returns its room.
    pub fn retry(&mut self, id: &str, now: u64) -> Option<String> {
        let item = self.items.iter_mut().find(|i| i.id == id && i.failed)?;
        item.failed = false;
        item.written = false;
        item.created = now;
        Some(item.room.clone())
    }

    /// Marks items older than `fail_after` as failed and returns them.
    pub fn overdue(&mut self, now: u64, fail_after: u64) -> Vec<OutboxItem> {
        let mut late = Vec::new();
        for item in self.items.iter_mut().filter(|i| !i.failed) {
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
            .filter(|i| !i.failed)
            .map(|i| i.created)
            .min()
    }
}
