//! Backing off when the server says `rate_limited`: own messages stay pending and go out
//! again once the wait is over, and `typing` waits too.

use super::{Command, Session};
use crate::store::Delivery;
use wirechat_protocol::ErrorFrame;

/// The wait when a `rate_limited` error names none.
const DEFAULT_RETRY_AFTER_MS: u64 = 1_000;

/// The longest wait honoured, whatever the server asks, so a wrong value cannot silence
/// the client for long.
const MAX_RETRY_AFTER_MS: u64 = 60_000;

impl Session {
    /// Until when the server asked this client to hold its messages and `typing` back, if
    /// that time has not passed yet (the UI shows it; the session resends by itself).
    pub fn rate_limited_until(&self) -> Option<u64> {
        self.rate_limited_until
    }

    /// Whether sending must wait at `now`.
    pub(super) fn rate_limited(&self, now: u64) -> bool {
        self.rate_limited_until.is_some_and(|until| now < until)
    }

    /// The server refused a frame with `rate_limited` at `now`.
    pub(super) fn on_rate_limited(&mut self, now: u64, error: &ErrorFrame) {
        let wait = error
            .retry_after
            .unwrap_or(DEFAULT_RETRY_AFTER_MS)
            .min(MAX_RETRY_AFTER_MS);
        let until = now.saturating_add(wait);
        let until = self
            .rate_limited_until
            .map_or(until, |held| held.max(until));
        self.rate_limited_until = Some(until);
        if let Some(id) = &error.id {
            // Not failed: the message goes out again when the wait is over.
            if let Some(item) = self.outbox.requeue(id, until) {
                self.set_delivery(&item.room, id, Delivery::Pending, None);
            }
        }
        self.touch();
    }

    /// At `now`, past the wait: sends what was held back.
    pub(super) fn end_rate_limit(&mut self, now: u64, out: &mut Vec<Command>) {
        if self.rate_limited_until.is_some_and(|until| now >= until) {
            self.rate_limited_until = None;
            self.touch();
            self.flush_outbox(now, out);
        }
    }
}
