//! Message actions: editing, deleting and reacting to messages, sent by this user and
//! received live (PROTOCOL.md, "Message actions").
//!
//! Who is believed depends on the server. A server that announced `actions` checks authors
//! by user id and relays only what it stored, so its frames are applied as they come, and
//! this client's own actions show once the server relays them back. Anywhere else (a plain
//! relay, a server without the feature) nobody checks: an `edit` or `delete` is applied only
//! when its `from` is the original's `from` (weak, as PROTOCOL.md says), and own actions are
//! applied at once, since a relay may not echo them.
//!
//! An action can name a message this client does not hold yet. On a server that keeps
//! history it is dropped: the message, when it is loaded, comes from history in its current
//! state, edits and reactions included. On relays nothing can be loaded again, and an
//! action may overtake its message (a catch-up answer comes later than live frames), so it
//! waits in [`Unplaced`], bounded, and is applied when the message arrives.

use super::{Command, ServerMode, Session};
use crate::message_state::Change;
use crate::Delivery;
use wirechat_protocol::{
    encode, error_code, feature, Delete, Edit, ErrorFrame, Frame, React, Timestamp,
};

/// Most actions that wait for their message in one room.
const MAX_UNPLACED: usize = 64;

/// Most bytes (texts, emoji and names) those waiting actions hold in one room.
const MAX_UNPLACED_BYTES: usize = 16 * 1024;

/// Why an action on a message did not happen. The message itself is not affected: it was
/// sent, and stays as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionRefusal {
    /// Only the author may edit or delete a message (`forbidden`).
    Forbidden,
    /// The server does not hold that message, or it was deleted (`not_found`).
    NotFound,
    /// The server does not do this kind of action (`unsupported`), or announced it does not.
    Unsupported,
    /// Not connected: nothing was sent.
    Offline,
}

/// An action that did not happen, for the page to say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionError {
    /// The message it was about, when there is one.
    pub id: Option<String>,
    /// Why.
    pub refusal: ActionRefusal,
}

impl ActionRefusal {
    /// The refusal an `error` frame is, when it refuses an action rather than a message,
    /// a join or a fetch: `forbidden` naming a message, `not_found` and `unsupported`.
    fn of(err: &ErrorFrame) -> Option<Self> {
        match err.code.as_str() {
            error_code::FORBIDDEN if err.id.is_some() && err.req.is_none() => Some(Self::Forbidden),
            error_code::NOT_FOUND => Some(Self::NotFound),
            error_code::UNSUPPORTED => Some(Self::Unsupported),
            _ => None,
        }
    }
}

/// An action kept until its message arrives.
#[derive(Debug)]
struct Waiting {
    id: String,
    /// The `from` of the action, which must be the message's for an edit or delete.
    from: Option<String>,
    change: Change,
}

impl Waiting {
    fn bytes(&self) -> usize {
        self.id.len() + self.from.as_ref().map_or(0, String::len) + self.change.bytes()
    }
}

/// Actions of one room that arrived before their message (relays only), oldest first,
/// bounded by count and bytes: past either bound the oldest is dropped.
#[derive(Debug, Default)]
pub(super) struct Unplaced {
    waiting: Vec<Waiting>,
    bytes: usize,
}

impl Unplaced {
    fn push(&mut self, id: &str, from: Option<&str>, change: Change) {
        let waiting = Waiting {
            id: id.to_owned(),
            from: from.map(str::to_owned),
            change,
        };
        self.bytes += waiting.bytes();
        self.waiting.push(waiting);
        while self.waiting.len() > MAX_UNPLACED || self.bytes > MAX_UNPLACED_BYTES {
            let dropped = self.waiting.remove(0);
            self.bytes -= dropped.bytes();
        }
    }

    /// Takes the actions waiting for message `id`, in the order they came.
    fn take(&mut self, id: &str) -> Vec<Waiting> {
        if !self.waiting.iter().any(|w| w.id == id) {
            return Vec::new();
        }
        let (taken, kept) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| w.id == id);
        self.waiting = kept;
        self.bytes = self.waiting.iter().map(Waiting::bytes).sum();
        taken
    }

    /// How many actions wait.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }
}

/// Whether a change needs its `from` to be the message's own on servers that do not check.
fn needs_author(change: &Change) -> bool {
    !matches!(change, Change::React { .. })
}

impl Session {
    /// Whether messages can be edited, deleted and reacted to here: on servers that
    /// announced `actions`, and on plain relays (where receivers apply them themselves).
    pub fn can_act(&self) -> bool {
        match &self.mode {
            ServerMode::Full(hello) => hello.has(feature::ACTIONS),
            ServerMode::Relay => true,
            ServerMode::Unknown => false,
        }
    }

    /// The last action that did not happen; cleared by the next action.
    pub fn action_error(&self) -> Option<&ActionError> {
        self.action_error.as_ref()
    }

    /// How many received actions wait for their message in `room` (relays only).
    pub fn unplaced_actions(&self, room: &str) -> usize {
        self.rooms.get(room).map_or(0, |r| r.unplaced.len())
    }

    /// Whether the server checks and stores actions, so its frames are believed as sent.
    pub(super) fn trusts_actions(&self) -> bool {
        matches!(&self.mode, ServerMode::Full(hello) if hello.has(feature::ACTIONS))
    }

    /// An `error` frame that refuses an action: recorded, and returns true. Such an error
    /// names a message that was sent already, so that message never becomes failed.
    pub(super) fn on_action_refused(&mut self, err: &ErrorFrame) -> bool {
        let Some(refusal) = ActionRefusal::of(err) else {
            return false;
        };
        self.refuse_action(err.id.clone(), refusal);
        true
    }

    pub(super) fn refuse_action(&mut self, id: Option<String>, refusal: ActionRefusal) {
        self.action_error = Some(ActionError { id, refusal });
        self.touch();
    }

    /// A live `edit`, `delete` or `react` frame.
    pub(super) fn on_action_frame(&mut self, now: u64, frame: Frame) {
        let arrival = Timestamp::saturating_from_millis(now);
        let (room, id, from, change) = match frame {
            Frame::Edit(edit) => {
                let at = edit.ts.unwrap_or(arrival);
                let change = Change::Edit {
                    text: edit.text,
                    at,
                };
                (edit.room, edit.id, edit.from, change)
            }
            Frame::Delete(delete) => {
                let at = delete.ts.unwrap_or(arrival);
                (delete.room, delete.id, delete.from, Change::Delete { at })
            }
            Frame::React(react) => {
                let Some(who) = react.from.clone() else {
                    return;
                };
                let mine = match (self.identity(), &react.uid) {
                    (Some(me), Some(uid)) if self.trusts_actions() => me.uid == *uid,
                    _ => who == self.name_in(&react.room),
                };
                let change = Change::React {
                    emoji: react.emoji,
                    on: react.on,
                    who,
                    mine,
                };
                (react.room, react.id, react.from, change)
            }
            _ => return,
        };
        self.apply_change(&room, &id, from.as_deref(), change);
    }

    /// Applies `change`, made by `from`, to message `id` of `room`, or keeps it for later.
    fn apply_change(&mut self, room: &str, id: &str, from: Option<&str>, change: Change) {
        let trusted = self.trusts_actions();
        // Only what changes the text can change whether it mentions the reader.
        let recount = needs_author(&change);
        let mentioned = recount && self.unread_mention(room, id);
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        match joined.log.get_mut(id) {
            Some(entry) => {
                if !trusted && needs_author(&change) && from != Some(entry.msg.from.as_str()) {
                    return;
                }
                if entry.apply(&change) {
                    if recount {
                        self.recount_mention(room, id, mentioned);
                    }
                    self.touch();
                }
            }
            None if !trusted => joined.unplaced.push(id, from, change),
            None => {}
        }
    }

    /// Whether message `id` of `room` is one of its unread messages (the newest ones, while
    /// another room is shown) and mentions this user.
    fn unread_mention(&self, room: &str, id: &str) -> bool {
        let unread = self.unread(room) as usize;
        room != self.current_room
            && self.room(room).is_some_and(|log| {
                log.entries()
                    .iter()
                    .rev()
                    .take(unread)
                    .find(|e| e.msg.id == id)
                    .is_some_and(|e| self.mentions_me(room, e))
            })
    }

    /// Keeps the room's count of unread mentions right after message `id` changed: an edit
    /// may add or take out the mention, a deletion takes it out.
    fn recount_mention(&mut self, room: &str, id: &str, mentioned_before: bool) {
        let mentioned = self.unread_mention(room, id);
        if let Some(joined) = self.rooms.get_mut(room) {
            match (mentioned_before, mentioned) {
                (false, true) => joined.unread_mentions += 1,
                (true, false) => joined.unread_mentions = joined.unread_mentions.saturating_sub(1),
                _ => {}
            }
        }
    }

    /// Message `id` of `room` has just arrived: applies the actions that waited for it.
    pub(super) fn place_waiting(&mut self, room: &str, id: &str) {
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        for waiting in joined.unplaced.take(id) {
            self.apply_change(room, id, waiting.from.as_deref(), waiting.change);
        }
    }

    /// Brings the messages of `room` this client holds to the state `msgs` (a server's
    /// history page) reports for them.
    pub(super) fn take_states(&mut self, room: &str, msgs: &[wirechat_protocol::ChatMessage]) {
        let me = self.name_in(room).to_owned();
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        let mut changed = false;
        for msg in msgs {
            if let Some(entry) = joined.log.get_mut(&msg.id) {
                changed |= entry.take_state(msg, &me);
            }
        }
        if changed {
            self.touch();
        }
    }

    /// The user edits message `id` of the current room to read `text`.
    pub(super) fn edit(&mut self, now: u64, id: String, text: String, out: &mut Vec<Command>) {
        if text.trim().is_empty() || text.len() > self.max_text_bytes() {
            return;
        }
        let room = self.current_room.clone();
        if !self.may_change(&room, &id) {
            return;
        }
        let from = self.name_in(&room).to_owned();
        let frame = Frame::Edit(Edit {
            room: room.clone(),
            id: id.clone(),
            text: text.clone(),
            from: Some(from.clone()),
            uid: None,
            ts: None,
        });
        let change = Change::Edit {
            text,
            at: Timestamp::saturating_from_millis(now),
        };
        self.send_action(&room, &id, frame, change, out);
    }

    /// The user deletes message `id` of the current room, which was sent already.
    pub(super) fn delete_sent(&mut self, now: u64, id: String, out: &mut Vec<Command>) {
        let room = self.current_room.clone();
        if !self.may_change(&room, &id) {
            return;
        }
        let frame = Frame::Delete(Delete {
            room: room.clone(),
            id: id.clone(),
            from: Some(self.name_in(&room).to_owned()),
            uid: None,
            ts: None,
        });
        let change = Change::Delete {
            at: Timestamp::saturating_from_millis(now),
        };
        self.send_action(&room, &id, frame, change, out);
    }

    /// The user adds (`on`) or takes back a reaction with `emoji` to message `id` of the
    /// current room.
    pub(super) fn react(&mut self, id: String, emoji: String, on: bool, out: &mut Vec<Command>) {
        let room = self.current_room.clone();
        let present = self
            .rooms
            .get(&room)
            .and_then(|r| r.log.get(&id))
            .is_some_and(|e| !e.is_deleted());
        if !present || wirechat_protocol::check_emoji(&emoji).is_err() {
            return;
        }
        let who = self.name_in(&room).to_owned();
        let frame = Frame::React(React {
            room: room.clone(),
            id: id.clone(),
            emoji: emoji.clone(),
            on,
            from: Some(who.clone()),
            uid: None,
        });
        let change = Change::React {
            emoji,
            on,
            who,
            mine: true,
        };
        self.send_action(&room, &id, frame, change, out);
    }

    /// Whether message `id` of the current room went out: delivered, or handed to a relay.
    /// Deleting it then deletes it for everyone; a pending or failed one is only dropped.
    pub(super) fn written(&self, id: &str) -> bool {
        self.rooms
            .get(&self.current_room)
            .and_then(|r| r.log.get(id))
            .is_some_and(|e| {
                matches!(
                    e.delivery,
                    None | Some(Delivery::Sent | Delivery::Delivered)
                )
            })
    }

    /// Whether this user may edit or delete message `id` of `room`: its own, sent, and not
    /// deleted. A message still pending is not on the server yet (a failed or pending one
    /// is deleted from the outbox instead).
    fn may_change(&self, room: &str, id: &str) -> bool {
        let Some(entry) = self.rooms.get(room).and_then(|r| r.log.get(id)) else {
            return false;
        };
        let sent = !matches!(entry.delivery, Some(Delivery::Pending | Delivery::Failed));
        sent && !entry.is_deleted() && self.is_own(&entry.msg)
    }

    fn send_action(
        &mut self,
        room: &str,
        id: &str,
        frame: Frame,
        change: Change,
        out: &mut Vec<Command>,
    ) {
        self.action_error = None;
        if matches!(&self.mode, ServerMode::Full(_)) && !self.trusts_actions() {
            return self.refuse_action(Some(id.to_owned()), ActionRefusal::Unsupported);
        }
        if !self.can_chat() {
            return self.refuse_action(Some(id.to_owned()), ActionRefusal::Offline);
        }
        out.push(Command::Send(encode(&frame)));
        if matches!(frame, Frame::Delete(_)) {
            // A message handed to a relay is kept until it is forgotten; deleted, it is done.
            self.outbox.remove(id);
        }
        if !self.trusts_actions() {
            // Nobody confirms it here: it shows now, as it does for the peers.
            let from = self.name_in(room).to_owned();
            self.apply_change(room, id, Some(&from), change);
        }
        self.touch();
    }
}
