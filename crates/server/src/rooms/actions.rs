//! Message actions in rooms: edits, deletes and reactions are stored and then relayed to
//! the room, read positions to the user's other connections, and searches answered to the
//! asker alone.

use wirechat_protocol::{
    Delete, Edit, Frame, React, Read, Results, Search, MAX_SEARCH_RESULTS, MAX_SERVER_FRAME_BYTES,
};

use super::{stripe_of, Hub, Refused};
use crate::clock;
use crate::history::{ActionRefused, Actor, Page};
use crate::peer::{lock, text, ConnId, Peer};

/// An action on one message, as a member sent it.
#[derive(Debug, Clone)]
pub enum Action {
    /// Change the text.
    Edit(Edit),
    /// Take the message back.
    Delete(Delete),
    /// Add or take back a reaction.
    React(React),
}

impl Action {
    fn room(&self) -> &str {
        match self {
            Action::Edit(edit) => &edit.room,
            Action::Delete(delete) => &delete.room,
            Action::React(react) => &react.room,
        }
    }
}

/// The room of an edit, delete or reaction frame; empty for any other frame.
fn action_room(frame: &Frame) -> &str {
    match frame {
        Frame::Edit(edit) => &edit.room,
        Frame::Delete(delete) => &delete.room,
        Frame::React(react) => &react.room,
        _ => "",
    }
}

/// Why an action, a read position or a search was not carried out.
#[derive(Debug)]
pub enum ActionError {
    /// The hub refused it (the connection has not joined the room).
    Refused(Refused),
    /// The store refused it, or failed.
    Store(ActionRefused),
}

impl From<Refused> for ActionError {
    fn from(refused: Refused) -> Self {
        Self::Refused(refused)
    }
}

impl From<ActionRefused> for ActionError {
    fn from(refused: ActionRefused) -> Self {
        Self::Store(refused)
    }
}

impl Hub {
    /// Stores an action of a member on a message of its room and relays it to every member,
    /// the sender included (its confirmation), with the sender's name, user id and, for
    /// edits and deletes, the server's time filled in. Calls the store.
    pub fn act(&self, peer: &Peer, mut action: Action) -> Result<(), ActionError> {
        let stripe = stripe_of(action.room());
        // The order lock: an action is relayed after the message it is about, and a joiner
        // sees it either in its history or live, never both nor neither.
        let _order = lock(&self.order[stripe]);
        let (name, uid) = self.member_names(peer, action.room(), stripe)?;
        let at = clock::now();
        {
            let mut store = lock(&self.store);
            let actor = Actor {
                uid: &uid,
                name: &name,
            };
            match &mut action {
                Action::Edit(edit) => {
                    store.edit(&edit.room, &edit.id, actor, &edit.text, at)?;
                    (edit.from, edit.uid, edit.ts) = (Some(name), Some(uid), Some(at));
                }
                Action::Delete(delete) => {
                    store.delete(&delete.room, &delete.id, actor, at)?;
                    (delete.from, delete.uid, delete.ts) = (Some(name), Some(uid), Some(at));
                }
                Action::React(react) => {
                    store.react(&react.room, &react.id, actor, &react.emoji, react.on)?;
                    (react.from, react.uid) = (Some(name), Some(uid));
                }
            }
        }
        // A shared engine published the action in the same step that stored it; it comes
        // back through `deliver_action`, in order with the room's messages on every node.
        if self.shared.is_some() {
            return Ok(());
        }
        let frame = match action {
            Action::Edit(edit) => Frame::Edit(edit),
            Action::Delete(delete) => Frame::Delete(delete),
            Action::React(react) => Frame::React(react),
        };
        self.relay_action(stripe, action_room(&frame), &frame);
        Ok(())
    }

    /// Delivers an action the shared engine stored (on any node) to this node's members of
    /// its room. The engine calls it in the order it published the room's messages and
    /// actions.
    pub fn deliver_action(&self, frame: &Frame) {
        let room = action_room(frame);
        if room.is_empty() {
            return;
        }
        let stripe = stripe_of(room);
        // The order lock, as for messages: a joiner gets the action from its history or
        // live, never neither.
        let _order = lock(&self.order[stripe]);
        self.relay_action(stripe, room, frame);
    }

    /// Queues an edit, delete or reaction for every member of its room here.
    fn relay_action(&self, stripe: usize, room: &str, frame: &Frame) {
        let rooms = lock(&self.members[stripe]);
        if let Some(members) = rooms.rooms.get(room) {
            let message = text(frame);
            for member in members.members.values() {
                member.peer.deliver(message.clone());
            }
        }
    }

    /// Records how far the member has read its room, and tells the user's other
    /// connections in the room the position now kept (a shared engine tells those on the
    /// other nodes). Calls the store.
    pub fn read(&self, peer: &Peer, read: Read) -> Result<(), ActionError> {
        let stripe = stripe_of(&read.room);
        let (_, uid) = self.member_names(peer, &read.room, stripe)?;
        let kept = lock(&self.store).mark_read(&read.room, &uid, read.seq)?;
        self.relay_read(&read.room, &uid, kept, Some(peer.id()));
        Ok(())
    }

    /// Tells this node's connections of the user `uid` in `room` that it has read up to
    /// `seq`, as recorded on another node.
    pub fn deliver_read(&self, room: &str, uid: &str, seq: u64) {
        self.relay_read(room, uid, seq, None);
    }

    /// Queues the read position for the user's connections in the room, but `skip`.
    fn relay_read(&self, room: &str, uid: &str, seq: u64, skip: Option<ConnId>) {
        let rooms = lock(&self.members[stripe_of(room)]);
        if let Some(members) = rooms.rooms.get(room) {
            let message = text(&Frame::Read(Read {
                room: room.to_owned(),
                seq,
            }));
            for (id, member) in &members.members {
                if Some(*id) != skip && member.uid == uid {
                    member.peer.deliver(message.clone());
                }
            }
        }
    }

    /// Answers a member's search of its room with the newest matches, as many as fit in
    /// one frame. Calls the store.
    pub fn search(&self, peer: &Peer, search: &Search) -> Result<(), ActionError> {
        self.member_names(peer, &search.room, stripe_of(&search.room))?;
        let msgs = lock(&self.store).search(&search.room, &search.q, MAX_SEARCH_RESULTS)?;
        let results = |msgs| {
            Frame::Results(Results {
                room: search.room.clone(),
                msgs,
                req: search.req,
            })
        };
        let envelope = wirechat_protocol::encode(&results(Vec::new())).len();
        let mut page = Page { msgs, more: false };
        page.keep_newest_within(MAX_SERVER_FRAME_BYTES.saturating_sub(envelope));
        peer.deliver(text(&results(page.msgs)));
        Ok(())
    }
}
