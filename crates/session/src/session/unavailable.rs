//! Sending again what the server could not store just now (`unavailable`: its store, a
//! shared Redis say, is out of reach). PROTOCOL.md lets the client send such a message
//! again later, so it stays pending and goes out after a short wait, on this socket or the
//! next; it becomes failed only when its usual deadline passes.

use super::{Command, Session};
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
    }

    /// At `now`, past the wait: writes what was refused.
    pub(super) fn resend_unavailable(&mut self, now: u64, out: &mut Vec<Command>) {
        self.resend_at = None;
        self.flush_outbox(now, out);
    }
}
