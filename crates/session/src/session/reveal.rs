//! Bringing an older message into the log so the list can show it in context (a search
//! result, the original of a reply). The log holds the room without holes from its oldest
//! loaded message on, so the message is reached by loading older pages until it is held:
//! the list can then place it among its neighbours and scroll back and forth from there.
//! Each page asks for as much as the server gives at once (`HISTORY_PAGE_LIMIT`).

use super::{Command, Session};

impl Session {
    /// The message numbered `seq` of the current room is wanted: load older pages of the
    /// current room until it is held (or the server has nothing older).
    pub(super) fn load_until(&mut self, seq: u64, out: &mut Vec<Command>) {
        let room = self.current_room.clone();
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        joined.reveal = Some(seq);
        self.continue_reveal(&room, out);
    }

    /// Whether older pages of `room` are being loaded to reach a wanted message.
    pub fn revealing(&self, room: &str) -> bool {
        self.rooms.get(room).is_some_and(|r| r.reveal.is_some())
    }

    /// After an older page of `room` arrived (or a message was asked for): asks for the next
    /// older page while the wanted message is still older than anything held.
    pub(super) fn continue_reveal(&mut self, room: &str, out: &mut Vec<Command>) {
        let era = self.sync.era;
        let history = self.has_history();
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        let Some(wanted) = joined.reveal else {
            return;
        };
        let log = &joined.log;
        let reached = log.oldest_seq(era).is_none_or(|oldest| oldest <= wanted);
        if reached || !log.more_before || !history {
            joined.reveal = None;
            self.touch();
            return;
        }
        // Older pages are asked for the current room only; a room left behind stops here.
        if room != self.current_room {
            joined.reveal = None;
            return;
        }
        self.load_older(out);
    }
}
