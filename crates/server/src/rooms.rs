//! Rooms: who is in which, delivery of frames to them, and the `history` pages that answer
//! a `join` or `fetch`.
//!
//! Each room name hashes to one of a fixed set of stripes. A stripe has two locks, taken in
//! this order, and the history store has one of its own:
//!
//! 1. The stripe's *order* lock. Storing a message and queueing it for every member happen
//!    under it, and so do reading a joiner's history and adding the joiner. Each member
//!    therefore sees a room's messages in `seq` order with no gaps, and a joining member
//!    gets every message exactly once, from either its history or the live stream.
//! 2. The history store, held for one store call at a time.
//! 3. The stripe's *members* lock, over the rooms of that stripe: held only to look up or
//!    change members and to queue frames, never across a store call, so presence, typing
//!    and leaving never wait for the disk. A connection's own list of rooms
//!    ([`Membership`](crate::peer::Membership)) is changed only under it.
//!
//! Rooms on different stripes never wait for each other's members, so a busy room does not
//! stall the others. Store calls may block on the disk, so [`Hub::join`], [`Hub::post`] and
//! [`Hub::fetch`] belong on a blocking thread (the connection uses `spawn_blocking`), not on
//! a runtime worker. Nothing else here waits: queueing never blocks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::ws::Message;
use wirechat_protocol::{
    Ack, ChatMessage, Fetch, Frame, History, Join, Presence, PresenceChange, Typing,
    HISTORY_PAGE_LIMIT, MAX_NAME_BYTES, MAX_SERVER_FRAME_BYTES,
};

use crate::clock::stamp;
use crate::flow::FlowLimits;
use crate::history::{Appended, HistoryStore, Page, StoreError};
use crate::log_throttle::Throttle;
use crate::peer::{lock, text, ConnId, Peer};
use crate::refusal::Regarding;

mod actions;

pub use actions::{Action, ActionError};

/// Messages a `join` without a resumable cursor replays.
pub const JOIN_RECENT: usize = 100;
/// Messages a `fetch` returns when it names no limit.
pub const FETCH_DEFAULT: u32 = 50;

/// The `error` code sent when the history store fails: the request may succeed later.
pub(crate) const UNAVAILABLE: &str = wirechat_protocol::error_code::UNAVAILABLE;

/// How many stripes the rooms share. A fixed set rather than one lock per room name: any
/// client can name any number of rooms, and a fixed set needs no cleanup. Two rooms on one
/// stripe only wait for each other.
const STRIPES: usize = 64;

/// Why the hub did not act on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The connection has not joined the room.
    NotJoined,
    /// The connection is in as many rooms as it may be.
    TooManyRooms,
    /// The room has as many members as it may have.
    RoomFull,
}

/// All rooms of one server and their history.
pub struct Hub {
    resume_limit: usize,
    limits: FlowLimits,
    order: [Mutex<()>; STRIPES],
    store: Mutex<Box<dyn HistoryStore>>,
    members: [Mutex<Stripe>; STRIPES],
    /// Set when a shared engine carries messages between nodes: then a stored message
    /// reaches this node's members through [`Hub::deliver`], never straight from `post`,
    /// and a stored action through [`Hub::deliver_action`], never straight from `act`.
    shared: Option<Box<dyn SharedRooms>>,
}

/// What a hub whose rooms span several nodes needs from the engine that joins them.
pub trait SharedRooms: Send + Sync {
    /// Called before the history read of a room's first member on this node: from now on
    /// the room's messages reach [`Hub::deliver`]. May wait for the engine; an error keeps
    /// the member out.
    fn watch(&self, room: &str) -> Result<(), StoreError>;
    /// The last member of the room on this node left: its messages are not needed here.
    /// Must not wait.
    fn unwatch(&self, room: &str);
    /// Claims for `uid` the first of `candidates` that no other user goes by in `room` on
    /// any node; `None` when every one is taken. May wait for the engine.
    fn claim_name(
        &self,
        room: &str,
        uid: &str,
        candidates: &[String],
    ) -> Result<Option<String>, StoreError>;
    /// Tells the other nodes that `from` is typing in `room`. Must not wait.
    fn typing(&self, room: &str, from: &str);
    /// Someone on this node goes by `name` in `room` now (`present`), or nobody here does
    /// any more: the other nodes' presence lists change. Must not wait.
    fn presence(&self, room: &str, name: &str, present: bool);
}

/// The rooms of one stripe.
#[derive(Default)]
struct Stripe {
    rooms: HashMap<String, Room>,
}

/// One room: its members, and who goes by each name.
#[derive(Default)]
struct Room {
    members: HashMap<ConnId, Member>,
    names: BTreeMap<String, NameHolder>,
    /// With a shared engine: the names members on other nodes go by.
    elsewhere: BTreeSet<String>,
}

/// The user a name in a room belongs to, and how many of its connections use it.
struct NameHolder {
    uid: String,
    connections: usize,
}

struct Member {
    name: String,
    uid: String,
    peer: Peer,
    /// Wants `joined`/`left` changes rather than a full list on every change.
    deltas: bool,
}

impl Room {
    /// The name the user `uid` gets when it asks for `asked`: that name unless another user
    /// holds it, else the first free "asked (2)", "asked (3)"… A user's connections share
    /// a name, so a second tab is no second person.
    fn name_for(&self, asked: &str, uid: &str) -> String {
        self.free_names(asked, uid)
            .next()
            .unwrap_or_else(|| asked.to_owned())
    }

    /// The names `uid` could go by here, in the order [`Room::name_for`] prefers them:
    /// `asked`, then "asked (2)", "asked (3)"…, leaving out those another user holds.
    fn free_names<'a>(&'a self, asked: &'a str, uid: &'a str) -> impl Iterator<Item = String> + 'a {
        let free = move |name: &String| self.names.get(name).is_none_or(|holder| holder.uid == uid);
        std::iter::once(asked.to_owned())
            .chain((2..).map(move |n| numbered(asked, n)))
            .filter(free)
    }

    /// Counts one more connection named `name`; true when the name is new to the room.
    fn add_name(&mut self, name: &str, uid: &str) -> bool {
        let holder = self
            .names
            .entry(name.to_owned())
            .or_insert_with(|| NameHolder {
                uid: uid.to_owned(),
                connections: 0,
            });
        holder.connections += 1;
        holder.connections == 1
    }

    /// Counts one connection named `name` less; true when nobody goes by it any more.
    fn remove_name(&mut self, name: &str) -> bool {
        let Some(holder) = self.names.get_mut(name) else {
            return false;
        };
        holder.connections -= 1;
        if holder.connections == 0 {
            self.names.remove(name);
            return true;
        }
        false
    }

    /// Tells every member but `skip` that `user` entered (`joined`) or left the room: as a
    /// change to those who asked for changes, as a fresh list to the others.
    fn announce(&self, room: &str, skip: ConnId, change: Frame) {
        let mut encoded = None;
        for (id, member) in &self.members {
            if *id == skip {
                continue;
            }
            if member.deltas {
                let message = encoded.get_or_insert_with(|| text(&change));
                member.peer.presence_delta(room, message.clone());
            } else {
                member.peer.presence_changed(room);
            }
        }
    }
}

/// `name (n)`, with `name` cut short (at a character boundary) when the whole would be
/// longer than a name may be.
fn numbered(name: &str, n: usize) -> String {
    let suffix = format!(" ({n})");
    let mut end = name.len().min(MAX_NAME_BYTES.saturating_sub(suffix.len()));
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{suffix}", name[..end].trim_end())
}

/// The stripe of a room name.
fn stripe_of(room: &str) -> usize {
    let mut hasher = DefaultHasher::new();
    room.hash(&mut hasher);
    // The remainder is below STRIPES, so the cast cannot truncate.
    (hasher.finish() % STRIPES as u64) as usize
}

impl Hub {
    /// Rooms backed by `store`; a resuming `join` replays at most `resume_limit` messages.
    pub fn new(store: Box<dyn HistoryStore>, resume_limit: usize, limits: FlowLimits) -> Self {
        Self {
            resume_limit,
            limits,
            order: std::array::from_fn(|_| Mutex::new(())),
            store: Mutex::new(store),
            members: std::array::from_fn(|_| Mutex::default()),
            shared: None,
        }
    }

    /// Rooms whose messages reach members through `shared` and [`Hub::deliver`].
    pub fn shared(
        store: Box<dyn HistoryStore>,
        resume_limit: usize,
        limits: FlowLimits,
        shared: Box<dyn SharedRooms>,
    ) -> Self {
        Self {
            shared: Some(shared),
            ..Self::new(store, resume_limit, limits)
        }
    }

    /// Delivers a message the shared engine stored (on any node) to this node's members of
    /// its room. The engine calls it in `seq` order.
    pub fn deliver(&self, msg: ChatMessage) {
        let stripe = stripe_of(&msg.room);
        // The order lock: a join reads its history and becomes a member in one step, so it
        // gets this message from exactly one of the two.
        let _order = lock(&self.order[stripe]);
        let rooms = lock(&self.members[stripe]);
        if let Some(members) = rooms.rooms.get(&msg.room) {
            let message = text(&Frame::Msg(msg));
            for member in members.members.values() {
                member.peer.deliver(message.clone());
            }
        }
    }

    /// Shows this node's members of `room` that `from`, on another node, is typing.
    pub fn deliver_typing(&self, room: &str, from: &str) {
        let rooms = lock(&self.members[stripe_of(room)]);
        if let Some(state) = rooms.rooms.get(room) {
            let message = text(&Frame::Typing(Typing {
                room: room.to_owned(),
                from: from.to_owned(),
            }));
            for member in state.members.values() {
                member.peer.offer(message.clone());
            }
        }
    }

    /// How many rooms have members now.
    pub fn room_count(&self) -> usize {
        self.members
            .iter()
            .map(|stripe| lock(stripe).rooms.len())
            .sum()
    }

    /// The store's epoch, as announced in `hello`. A shared store may change it when the
    /// engine lost its data.
    pub fn epoch(&self) -> String {
        lock(&self.store).current_epoch()
    }

    /// Adds the peer, signed in as `uid`, to a room (or renames it there), replies with the
    /// history it missed and the name it got there, and tells the room. `join` must be
    /// validated already. Calls the store.
    pub fn join(&self, peer: &Peer, join: Join, uid: &str) -> Result<(), Refused> {
        let stripe = stripe_of(&join.room);
        let _order = lock(&self.order[stripe]);
        // Joins of a room wait for its order lock and the connection's own joins come one
        // at a time, so what is checked here still holds once the history is read.
        self.check_room_for(peer, &join.room, stripe)?;
        if let Err(err) = self.watch_if_first(&join.room, stripe) {
            unavailable(
                peer,
                &err,
                format!("{:?} cannot be joined now.", join.room),
                Regarding::request(join.req),
            );
            return Ok(());
        }
        let page = {
            let store = lock(&self.store);
            let resume = match (join.after, &join.epoch) {
                (Some(after), Some(epoch)) if *epoch == store.current_epoch() => Some(after),
                _ => None,
            };
            let page = match resume {
                Some(after) => store.after(&join.room, after, self.resume_limit),
                None => store.recent(&join.room, JOIN_RECENT),
            };
            // Without it the client only shows no "new messages" line; the join goes on.
            let read = store.read_position(&join.room, uid).unwrap_or_default();
            (
                resume.is_some(),
                page.and_then(|page| Ok((page, store.latest(&join.room)?))),
                read,
            )
        };
        let (resumed, page, read) = page;
        let claimed = self.claim_shared_name(&join.room, &join.name, uid, stripe);
        let mut rooms = lock(&self.members[stripe]);
        {
            let mut membership = peer.membership();
            // The connection may have ended while this join waited for the store; admitting
            // it now would leave a member that nothing removes.
            if membership.gone {
                return Ok(());
            }
            membership.rooms.insert(join.room.clone());
        }
        let room = rooms.rooms.entry(join.room.clone()).or_default();
        // Under the order lock nobody else joined here since the claim; leaves only free names.
        let name = claimed.unwrap_or_else(|| room.name_for(&join.name, uid));
        let previous = room.members.insert(
            peer.id(),
            Member {
                name: name.clone(),
                uid: uid.to_owned(),
                peer: peer.clone(),
                deltas: join.deltas,
            },
        );
        // Without its history the member still gets the live stream; the error tells the
        // client why the backlog is missing.
        let answer = Answer {
            room: &join.room,
            req: join.req,
            oldest_first: resumed,
            name: Some(&name),
            read,
        };
        answer.send(peer, page);
        peer.presence_changed(&join.room);
        let renamed = previous.as_ref().map(|m| m.name.as_str());
        if renamed == Some(name.as_str()) {
            return Ok(());
        }
        if let Some(old) = renamed {
            if room.remove_name(old) {
                room.announce(&join.room, peer.id(), change(&join.room, old, false));
                self.share_presence(&join.room, old, false);
            }
        }
        if room.add_name(&name, uid) {
            room.announce(&join.room, peer.id(), change(&join.room, &name, true));
            self.share_presence(&join.room, &name, true);
        }
        Ok(())
    }

    /// With a shared engine, the name `uid` gets in `room` across all nodes: the first one
    /// free on this node that no other node's user holds either. `None` without an engine,
    /// or when it cannot be asked now: then the name is only unique on this node.
    fn claim_shared_name(
        &self,
        room: &str,
        asked: &str,
        uid: &str,
        stripe: usize,
    ) -> Option<String> {
        // Names are tried in batches; a room holds at most `members_per_room` names, so a
        // batch with a free one comes soon.
        const BATCH: usize = 16;
        let shared = self.shared.as_ref()?;
        let mut skip = 0;
        loop {
            let candidates: Vec<String> = {
                let rooms = lock(&self.members[stripe]);
                match rooms.rooms.get(room) {
                    Some(state) => state
                        .free_names(asked, uid)
                        .skip(skip)
                        .take(BATCH)
                        .collect(),
                    None => Room::default()
                        .free_names(asked, uid)
                        .skip(skip)
                        .take(BATCH)
                        .collect(),
                }
            };
            match shared.claim_name(room, uid, &candidates) {
                Ok(Some(name)) => return Some(name),
                Ok(None) => skip += BATCH,
                Err(err) => {
                    tracing::warn!(%err, room, "names cannot be claimed across nodes now");
                    return None;
                }
            }
        }
    }

    /// Tells the shared engine, if any, that a name came to or left the room on this node.
    fn share_presence(&self, room: &str, name: &str, present: bool) {
        if let Some(shared) = &self.shared {
            shared.presence(room, name, present);
        }
    }

    /// Closes every member's connection with `code`: after the shared engine lost its data,
    /// their `seq` cursors mean nothing, and a reconnect brings the new epoch in `hello`.
    pub fn close_members(&self, code: u16) {
        for stripe in &self.members {
            for state in lock(stripe).rooms.values() {
                for member in state.members.values() {
                    member.peer.close(code);
                }
            }
        }
    }

    /// The names this node's members go by, per room with members here, for the shared
    /// engine to renew.
    pub fn names_here(&self) -> Vec<(String, Vec<String>)> {
        let mut all = Vec::new();
        for stripe in &self.members {
            let rooms = lock(stripe);
            for (room, state) in &rooms.rooms {
                all.push((room.clone(), state.names.keys().cloned().collect()));
            }
        }
        all
    }

    /// Sets the names that members on other nodes go by in `room`; this node's members of
    /// it get a new presence list when that changes it.
    pub fn set_names_elsewhere(&self, room: &str, names: BTreeSet<String>) {
        let mut rooms = lock(&self.members[stripe_of(room)]);
        let Some(state) = rooms.rooms.get_mut(room) else {
            return;
        };
        if state.elsewhere == names {
            return;
        }
        state.elsewhere = names;
        for member in state.members.values() {
            member.peer.presence_changed(room);
        }
    }

    /// Asks the shared engine, if any, for the room's messages when this node has no member
    /// of it yet. Joins of a room come one at a time (under its order lock), and a room
    /// without members cannot lose its last one, so the check holds until the join is done.
    fn watch_if_first(&self, room: &str, stripe: usize) -> Result<(), StoreError> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        if lock(&self.members[stripe]).rooms.contains_key(room) {
            return Ok(());
        }
        shared.watch(room)
    }

    /// Whether the peer may enter `room`: it is already in it, or neither it nor the room
    /// is full.
    fn check_room_for(&self, peer: &Peer, room: &str, stripe: usize) -> Result<(), Refused> {
        let rooms = lock(&self.members[stripe]);
        let membership = peer.membership();
        if membership.rooms.contains(room) {
            return Ok(());
        }
        if membership.rooms.len() >= self.limits.rooms_per_connection {
            return Err(Refused::TooManyRooms);
        }
        let members = rooms.rooms.get(room).map_or(0, |r| r.members.len());
        if members >= self.limits.members_per_room {
            return Err(Refused::RoomFull);
        }
        Ok(())
    }

    /// Removes the connection from one room and tells the others.
    pub fn leave(&self, peer: &Peer, room: &str) {
        let mut rooms = lock(&self.members[stripe_of(room)]);
        peer.membership().rooms.remove(room);
        self.remove_member(&mut rooms, peer.id(), room);
    }

    /// Tells the shared engine, if any, that the room has no member here any more. Called
    /// under the room's members lock, so it is ordered with the `watch` of a later join.
    fn unwatch(&self, room: &str) {
        if let Some(shared) = &self.shared {
            shared.unwatch(room);
        }
    }

    /// Removes the connection from every room it is in, for good: a `join` of it still
    /// running is not admitted afterwards.
    pub fn leave_all(&self, peer: &Peer) {
        let joined = {
            let mut membership = peer.membership();
            membership.gone = true;
            std::mem::take(&mut membership.rooms)
        };
        for room in joined {
            let mut rooms = lock(&self.members[stripe_of(&room)]);
            self.remove_member(&mut rooms, peer.id(), &room);
        }
    }

    /// Stores a message from the peer and sends it to everyone in its room, the sender
    /// included, whose copy is its confirmation. A retry of a stored id is only acknowledged
    /// to the sender. The sender's joined name replaces whatever `from` it claimed, and the
    /// server's clock whatever `ts`. Calls the store.
    pub fn post(&self, peer: &Peer, mut msg: ChatMessage) -> Result<Posted, Refused> {
        let stripe = stripe_of(&msg.room);
        let _order = lock(&self.order[stripe]);
        let (from, uid) = self.member_names(peer, &msg.room, stripe)?;
        msg.from = from;
        msg.uid = Some(uid);
        msg.seq = None;
        stamp(&mut msg);
        let room = msg.room.clone();
        let id = msg.id.clone();
        let appended = lock(&self.store).append(msg);
        match appended {
            // The engine brings it back through `deliver`, in the order of every node's posts.
            Ok(Appended::Stored(_)) if self.shared.is_some() => {}
            Ok(Appended::Stored(stored)) => {
                let rooms = lock(&self.members[stripe]);
                if let Some(members) = rooms.rooms.get(&room) {
                    let message = text(&Frame::Msg(stored));
                    for member in members.members.values() {
                        member.peer.deliver(message.clone());
                    }
                }
            }
            Ok(Appended::Duplicate(seq)) => peer.send(&Frame::Ack(Ack {
                id,
                room,
                seq: Some(seq),
            })),
            // Unconfirmed, the client keeps the message in its outbox and sends it again.
            Err(err) => {
                unavailable(
                    peer,
                    &err,
                    "The message could not be stored now.".to_owned(),
                    Regarding::message(id),
                );
                return Ok(Posted::NotStored);
            }
        }
        Ok(Posted::Stored)
    }

    /// The peer's name and uid in a room it has joined.
    fn member_names(
        &self,
        peer: &Peer,
        room: &str,
        stripe: usize,
    ) -> Result<(String, String), Refused> {
        lock(&self.members[stripe])
            .rooms
            .get(room)
            .and_then(|r| r.members.get(&peer.id()))
            .map(|m| (m.name.clone(), m.uid.clone()))
            .ok_or(Refused::NotJoined)
    }

    /// Replies with stored messages of a room the peer has joined: the newest `limit` before
    /// `before`, the oldest `limit` after `after`, or with both, the newest `limit` below
    /// `before` that are above `after`. Calls the store.
    pub fn fetch(&self, peer: &Peer, fetch: &Fetch) -> Result<(), Refused> {
        self.member_names(peer, &fetch.room, stripe_of(&fetch.room))?;
        let limit = fetch.limit.unwrap_or(FETCH_DEFAULT).min(HISTORY_PAGE_LIMIT) as usize;
        // No order lock: a fetch answers from whatever is stored, and the client merges it
        // with the live stream by seq.
        let page = {
            let store = lock(&self.store);
            match (fetch.before, fetch.after) {
                (Some(before), after) => {
                    store.before(&fetch.room, before, limit).map(|mut page| {
                        if let Some(after) = after {
                            page.msgs.retain(|m| m.seq.unwrap_or(0) > after);
                        }
                        page
                    })
                }
                (None, Some(after)) => store.after(&fetch.room, after, limit),
                (None, None) => store.recent(&fetch.room, limit),
            }
            .and_then(|page| Ok((page, store.latest(&fetch.room)?)))
        };
        let answer = Answer {
            room: &fetch.room,
            req: fetch.req,
            oldest_first: fetch.before.is_none() && fetch.after.is_some(),
            name: None,
            read: None,
        };
        answer.send(peer, page);
        Ok(())
    }

    /// Tells the other members of the room that the connection is typing.
    pub fn typing(&self, peer: &Peer, room: &str) {
        let rooms = lock(&self.members[stripe_of(room)]);
        let Some(room_state) = rooms.rooms.get(room) else {
            return;
        };
        let Some(member) = room_state.members.get(&peer.id()) else {
            return;
        };
        let message = text(&Frame::Typing(Typing {
            room: room.to_owned(),
            from: member.name.clone(),
        }));
        for (id, other) in &room_state.members {
            if *id != peer.id() {
                other.peer.offer(message.clone());
            }
        }
        if let Some(shared) = &self.shared {
            shared.typing(room, &member.name);
        }
    }

    /// The room's presence list as it is now, for the peer's writer, which found a
    /// presence marker in its queue; `None` when the peer is no longer in the room. Long
    /// lists are cut to [`FlowLimits::presence_names`] names, with `count` set.
    pub fn presence_for(&self, peer: &Peer, room: &str) -> Option<Message> {
        let rooms = lock(&self.members[stripe_of(room)]);
        // Under the room's lock: any change after this list is queued behind it.
        peer.presence_rendered(room);
        let state = rooms.rooms.get(room)?;
        if !state.members.contains_key(&peer.id()) {
            return None;
        }
        let names: BTreeSet<&String> = state.names.keys().chain(&state.elsewhere).collect();
        let total = names.len();
        let users = names
            .into_iter()
            .take(self.limits.presence_names)
            .cloned()
            .collect::<Vec<_>>();
        let count = (users.len() < total).then_some(total as u64);
        Some(text(&Frame::Presence(Presence {
            room: room.to_owned(),
            users,
            count,
        })))
    }
}

impl Hub {
    /// Removes the member and tells the room, and the shared engine, what that changed.
    fn remove_member(&self, rooms: &mut Stripe, id: ConnId, room: &str) {
        let Some(entry) = rooms.rooms.get_mut(room) else {
            return;
        };
        let Some(member) = entry.members.remove(&id) else {
            return;
        };
        if entry.members.is_empty() {
            rooms.rooms.remove(room);
            self.share_presence(room, &member.name, false);
            self.unwatch(room);
        } else if entry.remove_name(&member.name) {
            entry.announce(room, id, change(room, &member.name, false));
            self.share_presence(room, &member.name, false);
        }
    }
}

fn change(room: &str, user: &str, joined: bool) -> Frame {
    let change = PresenceChange {
        room: room.to_owned(),
        user: user.to_owned(),
    };
    if joined {
        Frame::Joined(change)
    } else {
        Frame::Left(change)
    }
}

/// The request a `history` frame answers: a `join` or a `fetch`.
struct Answer<'a> {
    room: &'a str,
    /// The request's `req`, echoed so the client knows which request a page answers.
    req: Option<u64>,
    /// Whether the client reads the page forwards (a resume, or a gap fill).
    oldest_first: bool,
    /// For a `join`: the name the connection got in the room.
    name: Option<&'a str>,
    /// For a `join`: how far the user has read the room.
    read: Option<u64>,
}

impl Answer<'_> {
    /// Sends the page read for the request, with the room's newest `seq`, or tells the
    /// client that the store failed.
    fn send(&self, peer: &Peer, read: Result<(Page, Option<u64>), StoreError>) {
        match read {
            Ok((page, latest)) => peer.deliver(self.page(page, latest)),
            Err(err) => unavailable(
                peer,
                &err,
                format!("The history of {:?} cannot be read now.", self.room),
                Regarding::request(self.req),
            ),
        }
    }

    /// A `history` frame of at most [`MAX_SERVER_FRAME_BYTES`]. A page too long for it is
    /// cut at the end the client reads later: the oldest messages of a page read backwards
    /// (it says `more`), the newest of a page read forwards (it stops short of `latest`).
    fn page(&self, mut page: Page, latest: Option<u64>) -> Message {
        let envelope = wirechat_protocol::encode(&self.frame(Vec::new(), true, latest)).len();
        let budget = MAX_SERVER_FRAME_BYTES.saturating_sub(envelope);
        if self.oldest_first {
            page.keep_oldest_within(budget);
        } else {
            page.keep_newest_within(budget);
        }
        text(&self.frame(page.msgs, page.more, latest))
    }

    fn frame(&self, msgs: Vec<ChatMessage>, more: bool, latest: Option<u64>) -> Frame {
        Frame::History(History {
            name: self.name.map(str::to_owned),
            room: self.room.to_owned(),
            msgs,
            more,
            latest,
            req: self.req,
            read: self.read,
        })
    }
}

/// What became of a message [`Hub::post`] took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// Stored now, or found stored before (a retry).
    Stored,
    /// The store could not take it; the client was told `unavailable`.
    NotStored,
}

/// Logs a store failure for the operator and tells the client that asked, so it does not
/// wait for an answer that will not come.
fn unavailable(peer: &Peer, err: &StoreError, message: String, regarding: Regarding) {
    // A full or failing disk fails every call: one line per interval says so, with a count.
    static STORE_FAILURES: Throttle = Throttle::new(Duration::from_secs(10));
    if let Some(skipped) = STORE_FAILURES.occurred() {
        tracing::error!(%err, skipped, "history store failed");
    }
    peer.send(&regarding.error(UNAVAILABLE, message, None));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::MemoryHistory;
    use crate::peer::Outgoing;

    fn hub() -> Hub {
        Hub::new(
            Box::new(MemoryHistory::new(10)),
            JOIN_RECENT,
            FlowLimits::default(),
        )
    }

    fn peer(id: ConnId) -> Peer {
        Peer::new(id, 1 << 20, Default::default())
    }

    /// Joins as a user of its own, as a guest connection does.
    fn join_as(hub: &Hub, peer: &Peer, join: Join) -> Result<(), Refused> {
        hub.join(peer, join, &format!("u{}", peer.id()))
    }

    fn join(room: &str, name: &str) -> Join {
        Join {
            room: room.into(),
            name: name.into(),
            after: None,
            epoch: None,
            deltas: false,
            req: None,
        }
    }

    /// The frames queued for a peer so far, presence lists made as the writer makes them.
    fn queued(hub: &Hub, peer: &Peer) -> Vec<Frame> {
        std::iter::from_fn(|| peer.try_next())
            .filter_map(|outgoing| match outgoing {
                Outgoing::Frame(message) => Some(message),
                Outgoing::Presence(room) => hub.presence_for(peer, &room),
            })
            .map(|message| match message {
                Message::Text(text) => wirechat_protocol::decode(&text).expect("a valid frame"),
                other => panic!("expected a text frame, got {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_join_that_finishes_after_its_connection_left_admits_no_one() {
        // A join runs on a blocking thread, so the connection can end and leave every room
        // before the join takes the membership lock.
        let hub = hub();
        let (alice, ghost) = (peer(1), peer(2));
        join_as(&hub, &alice, join("lobby", "alice")).unwrap();
        hub.leave_all(&ghost);
        join_as(&hub, &ghost, join("lobby", "ghost")).unwrap();

        let presence: Vec<Vec<String>> = queued(&hub, &alice)
            .into_iter()
            .filter_map(|f| match f {
                Frame::Presence(p) => Some(p.users),
                _ => None,
            })
            .collect();
        assert_eq!(presence, [["alice"]], "the ghost never appears");
        let boo = ChatMessage {
            uid: None,
            id: "m1".into(),
            room: "lobby".into(),
            from: "ghost".into(),
            text: "boo".into(),
            ts: wirechat_protocol::Timestamp::EPOCH,
            seq: None,
            reply_to: None,
            edited: None,
            deleted: None,
            reactions: Vec::new(),
        };
        assert_eq!(hub.post(&ghost, boo), Err(Refused::NotJoined));
    }

    #[test]
    fn a_long_presence_list_is_cut_and_counted() {
        let hub = Hub::new(
            Box::new(MemoryHistory::new(10)),
            JOIN_RECENT,
            FlowLimits {
                presence_names: 3,
                ..FlowLimits::default()
            },
        );
        let peers: Vec<Peer> = (1..=5).map(peer).collect();
        for (i, p) in peers.iter().enumerate() {
            join_as(&hub, p, join("lobby", &format!("user{i}"))).unwrap();
        }
        let last = queued(&hub, &peers[4]);
        let Some(Frame::Presence(list)) = last.last() else {
            panic!("a presence list last, got {last:?}")
        };
        assert_eq!((list.users.len(), list.count), (3, Some(5)));
    }

    #[test]
    fn rooms_per_connection_and_members_per_room_are_capped() {
        let hub = Hub::new(
            Box::new(MemoryHistory::new(10)),
            JOIN_RECENT,
            FlowLimits {
                rooms_per_connection: 2,
                members_per_room: 2,
                ..FlowLimits::default()
            },
        );
        let (a, b, c) = (peer(1), peer(2), peer(3));
        join_as(&hub, &a, join("one", "a")).unwrap();
        join_as(&hub, &a, join("two", "a")).unwrap();
        assert_eq!(
            join_as(&hub, &a, join("three", "a")),
            Err(Refused::TooManyRooms)
        );
        assert_eq!(
            join_as(&hub, &a, join("two", "a2")),
            Ok(()),
            "a rename is no new room"
        );
        hub.leave(&a, "two");
        assert_eq!(join_as(&hub, &a, join("three", "a")), Ok(()));
        join_as(&hub, &b, join("one", "b")).unwrap();
        assert_eq!(join_as(&hub, &c, join("one", "c")), Err(Refused::RoomFull));
    }
}
