//! Presence changes (`joined`/`left`) from servers that send them after one snapshot.

use super::Session;
use wirechat_protocol::PresenceChange;

impl Session {
    /// Applies someone entering (`entered`) or leaving a joined room to its people.
    pub(super) fn on_presence_change(&mut self, change: &PresenceChange, entered: bool) {
        let Some(people) = self.people_of(&change.room) else {
            return;
        };
        let changed = if entered {
            people.joined(&change.user)
        } else {
            people.left(&change.user)
        };
        if changed {
            self.touch();
        }
    }
}
