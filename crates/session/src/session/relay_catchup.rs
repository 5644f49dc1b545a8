//! The session's side of relay catch-up ([`crate::catchup`]): when to ask, whom to answer,
//! and where answered messages go.

use super::{Command, ServerMode, Session};
use wirechat_protocol::{encode, Catchup, Missed};

impl Session {
    /// Whether frames go through something that passes them on (a relay, or a server not
    /// known yet); servers with history answer `join.after` instead.
    fn catches_up(&self) -> bool {
        !matches!(self.mode, ServerMode::Full(_))
    }

    /// Asks the room `room` for what this client missed (on a relay, after joining it).
    pub(super) fn ask_for_missed(&mut self, now: u64, room: &str, out: &mut Vec<Command>) {
        if self.mode != ServerMode::Relay || !self.link.is_open() {
            return;
        }
        let Some(log) = self.rooms.get(room).map(|r| &r.log) else {
            return;
        };
        let request = self.catchup.request(now, room, &self.config.name, log);
        out.push(Command::Send(encode(&request)));
    }

    /// Asks every joined room (the server just turned out to be a relay).
    pub(super) fn ask_all_for_missed(&mut self, now: u64, out: &mut Vec<Command>) {
        for room in self.rooms.keys().cloned().collect::<Vec<_>>() {
            self.ask_for_missed(now, &room, out);
        }
    }

    pub(super) fn on_catchup(&mut self, now: u64, request: Catchup) {
        if !self.catches_up() {
            return;
        }
        if let Some(log) = self.rooms.get(&request.room).map(|r| &r.log) {
            self.catchup
                .on_request(now, request, &self.config.name, log);
        }
    }

    pub(super) fn on_missed(&mut self, now: u64, answer: Missed) {
        if !self.catches_up() || !self.rooms.contains_key(&answer.room) {
            return;
        }
        for msg in self.catchup.on_answer(now, answer) {
            self.on_message(msg);
        }
    }

    /// Sends the answers that are due, and forgets requests whose window closed.
    pub(super) fn answer_due(&mut self, now: u64, out: &mut Vec<Command>) {
        self.catchup.expire(now);
        if !self.link.is_open() {
            self.catchup.link_lost();
            return;
        }
        for answer in self.catchup.due_answers(now) {
            out.push(Command::Send(encode(&answer)));
        }
    }
}
