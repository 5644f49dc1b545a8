//! A connection's messages are stored in the order it sent them, also across a store that
//! fails for a while.
//!
//! The frames of one connection are handled in turn, but a message refused `unavailable`
//! (the store is out of reach) comes back later, when the client sends it again, and by
//! then a message sent after it may have been stored: the room would show them in the wrong
//! order. So after such a refusal, that connection's later messages in the same room are
//! refused `unavailable` too, without a try, until the refused one comes again. A client
//! that does not send it again is let go [`HOLD_FOR`] after its last refusal.

use std::collections::HashMap;

use tokio::time::{Duration, Instant};

/// How long a refused message holds back the ones after it when it is not sent again.
/// The web client sends it again after a second, or after the `retry_after` it was given.
pub(crate) const HOLD_FOR: Duration = Duration::from_secs(5);

/// Per room of one connection: the message that must be stored before any other.
#[derive(Debug, Default)]
pub(crate) struct InOrder {
    /// Room → the refused message's id, and when its hold ends.
    held: HashMap<String, (String, Instant)>,
}

impl InOrder {
    /// Whether the message `id` for `room` must wait for an earlier refused one (it is
    /// then refused as that one was).
    pub(crate) fn must_wait(&mut self, room: &str, id: &str, now: Instant) -> bool {
        match self.held.get(room) {
            Some((_, until)) if *until <= now => {
                self.held.remove(room);
                false
            }
            Some((first, _)) => first != id,
            None => false,
        }
    }

    /// The store could not take the message `id` for `room` at `now`.
    pub(crate) fn not_stored(&mut self, room: &str, id: &str, now: Instant) {
        self.held
            .insert(room.to_owned(), (id.to_owned(), now + HOLD_FOR));
    }

    /// The message `id` for `room` was stored (or found stored): the ones after it may go.
    pub(crate) fn stored(&mut self, room: &str, id: &str) {
        if self.held.get(room).is_some_and(|(first, _)| first == id) {
            self.held.remove(room);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_message_holds_back_later_ones_in_its_room_until_it_is_stored() {
        let now = Instant::now();
        let mut in_order = InOrder::default();
        assert!(!in_order.must_wait("lobby", "m1", now));
        in_order.not_stored("lobby", "m1", now);
        assert!(in_order.must_wait("lobby", "m2", now));
        assert!(!in_order.must_wait("other", "m2", now), "other rooms go on");
        assert!(
            !in_order.must_wait("lobby", "m1", now),
            "the refused one may come"
        );
        in_order.stored("lobby", "m1");
        assert!(!in_order.must_wait("lobby", "m2", now));
    }

    #[test]
    fn a_refused_message_not_sent_again_lets_the_others_go_after_a_while() {
        let now = Instant::now();
        let mut in_order = InOrder::default();
        in_order.not_stored("lobby", "m1", now);
        assert!(in_order.must_wait("lobby", "m2", now + HOLD_FOR / 2));
        assert!(!in_order.must_wait("lobby", "m2", now + HOLD_FOR));
    }
}
