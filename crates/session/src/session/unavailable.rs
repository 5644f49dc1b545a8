//! Sending again what the server could not store just now (`unavailable`: its store, a
//! shared Redis say, is out of reach). PROTOCOL.md lets the client send such a message
//! again later, so it stays pending and goes out after a short wait, on this socket or the
//! next; it becomes failed only when its usual deadline passes.
//!
//! From the first refusal until nothing waits any more, messages go out one at a time, each
//! once the one before it is confirmed. Written together, the refused message and those
//! behind it would reach a store that comes back in between in the wrong order: the server
//! handles a connection's frames in turn, and the first may still be waiting for the store
//! (and be refused again) when the store is back for the second, which then takes the
//! earlier `seq`.

use super::{Command, Session};
use crate::outbox::OutboxItem;
use wirechat_protocol::ErrorFrame;

/// The wait before sending again when the error names none.
pub(super) const RESEND_AFTER_MS: u64 = 1_000;

/// The longest wait honoured, whatever the server asks.
const MAX_RESEND_AFTER_MS: u64 = 30_000;

impl Session {
    /// The server answered the message `error.id` with `unavailable` at `now`.
    pub(super) fn on_unavailable(&mut self, now: u64, error: &ErrorFrame) {
        let Some(id) = &error.id else {
            return;
        };
        if self.outbox.unwrite(id).is_none() {
            return;
        }
        let wait = error
            .retry_after
            .unwrap_or(RESEND_AFTER_MS)
            .min(MAX_RESEND_AFTER_MS);
        let at = now.saturating_add(wait);
        // One wait for every message refused in a burst: the earliest one wins.
        self.resend_at = Some(self.resend_at.map_or(at, |held| held.min(at)));
        self.one_at_a_time = true;
    }

    /// At `now`, past the wait: writes what was refused.
    pub(super) fn resend_unavailable(&mut self, now: u64, out: &mut Vec<Command>) {
        self.resend_at = None;
        self.flush_outbox(now, out);
    }

    /// While recovering from a refusal, what the outbox may write now: nothing during the
    /// wait, then only its oldest message, once. `None` when not recovering (everything
    /// unwritten may go); recovery ends when nothing waits any more.
    pub(super) fn in_order_writes(&mut self) -> Option<Vec<OutboxItem>> {
        if self.one_at_a_time && !self.outbox.has_waiting() {
            self.one_at_a_time = false;
        }
        if !self.one_at_a_time {
            return None;
        }
        if self.resend_at.is_some() {
            return Some(Vec::new());
        }
        Some(self.outbox.take_oldest_if_unwritten().into_iter().collect())
    }

    /// A message left the line (confirmed, or failed by its deadline): while recovering,
    /// the next one goes out.
    pub(super) fn send_next_in_line(&mut self, now: u64, out: &mut Vec<Command>) {
        if self.one_at_a_time {
            self.flush_outbox(now, out);
        }
    }
}
