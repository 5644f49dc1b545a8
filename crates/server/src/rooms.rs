//! Rooms: who is in which, and delivery of frames to them.
//!
//! Three kinds of lock, always taken in this order:
//!
//! 1. Each room name hashes to one of a fixed set of *order* locks. Storing a message and
//!    queueing it for every member happen under the room's order lock, and so do reading a
//!    joiner's history and adding the joiner. Each member therefore sees a room's messages in
//!    `seq` order with no gaps, and a joining member gets every message exactly once, from
//!    either its history or the live stream.
//! 2. The history store, held for one store call at a time.
//! 3. The memberships, held only to look up or change them and to queue frames, never across
//!    a store call, so presence, typing and leaving never wait for the disk.
//!
//! Store calls may block on the disk, so [`Hub::join`], [`Hub::post`] and [`Hub::fetch`]
//! belong on a blocking thread (the connection uses `spawn_blocking`), not on a runtime
//! worker. Nothing else here waits: queueing is `try_send`.

use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use wirechat_protocol::{
    Ack, ChatMessage, ErrorFrame, Fetch, Frame, History, Join, Presence, Typing,
};

use crate::history::{Appended, HistoryStore, Page, StoreError};
use crate::peer::{text, ConnId, Peer};

/// Messages a `join` without a resumable cursor replays.
pub const JOIN_RECENT: usize = 100;
/// Messages a `fetch` returns when it names no limit.
pub const FETCH_DEFAULT: usize = 50;
/// Most messages one `fetch` returns, whatever it asks for.
pub const FETCH_MAX: usize = 200;

/// The `error` code sent when the history store fails: the request may succeed later.
pub(crate) const UNAVAILABLE: &str = wirechat_protocol::error_code::UNAVAILABLE;

/// How many order locks the rooms share. A fixed set rather than one lock per room name:
/// any client can name any number of rooms, and a fixed set needs no cleanup. Two rooms on
/// one stripe only wait for each other.
const ORDER_STRIPES: usize = 16;

/// A `msg` was refused because the connection has not joined its room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJoined;

/// All rooms of one server and their history.
pub struct Hub {
    epoch: String,
    resume_limit: usize,
    order: [Mutex<()>; ORDER_STRIPES],
    store: Mutex<Box<dyn HistoryStore>>,
    rooms: Mutex<Rooms>,
}

#[derive(Default)]
struct Rooms {
    rooms: HashMap<String, Room>,
    /// Rooms of each connection, so leaving everything does not scan every room.
    joined: HashMap<ConnId, BTreeSet<String>>,
}

#[derive(Default)]
struct Room {
    members: HashMap<ConnId, Member>,
}

struct Member {
    name: String,
    peer: Peer,
}

/// Locks `mutex` even if a thread panicked while holding it. A panic in one connection's
/// task must not stop every room: the maps stay usable, at worst holding a member that is
/// removed when its connection ends, and a store rolls back a call that did not finish.
fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Hub {
    /// Rooms backed by `store`; a resuming `join` replays at most `resume_limit` messages.
    pub fn new(store: Box<dyn HistoryStore>, resume_limit: usize) -> Self {
        Self {
            epoch: store.epoch().to_owned(),
            resume_limit,
            order: std::array::from_fn(|_| Mutex::new(())),
            store: Mutex::new(store),
            rooms: Mutex::new(Rooms::default()),
        }
    }

    /// The store's epoch, as announced in `hello`.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The lock that orders `room`'s history and broadcasts.
    fn order_of(&self, room: &str) -> MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        room.hash(&mut hasher);
        // The remainder is below ORDER_STRIPES, so the cast cannot truncate.
        lock(&self.order[(hasher.finish() % ORDER_STRIPES as u64) as usize])
    }

    /// Adds the peer to a room (or renames it there), replies with the history it missed and
    /// tells the room who is in it now. `join` must be validated already. Calls the store.
    pub fn join(&self, peer: &Peer, join: Join) {
        let _order = self.order_of(&join.room);
        let resume = match (join.after, &join.epoch) {
            (Some(after), Some(epoch)) if *epoch == self.epoch => Some(after),
            _ => None,
        };
        let page = {
            let store = lock(&self.store);
            let page = match resume {
                Some(after) => store.after(&join.room, after, self.resume_limit),
                None => store.recent(&join.room, JOIN_RECENT),
            };
            page.and_then(|page| Ok((page, store.latest(&join.room)?)))
        };
        let mut rooms = lock(&self.rooms);
        // The connection may have ended while this join waited for the store; admitting it
        // now would leave a member that nothing removes.
        if peer.is_gone() {
            return;
        }
        let room = rooms.rooms.entry(join.room.clone()).or_default();
        room.members.insert(
            peer.id(),
            Member {
                name: join.name,
                peer: peer.clone(),
            },
        );
        rooms
            .joined
            .entry(peer.id())
            .or_default()
            .insert(join.room.clone());
        // Without its history the member still gets the live stream; the error tells the
        // client why the backlog is missing.
        match page {
            Ok((page, latest)) => peer.send(&history(&join.room, page, latest)),
            Err(err) => unavailable(
                peer,
                &err,
                format!("The history of {:?} cannot be read now.", join.room),
                None,
            ),
        }
        rooms.announce_presence(&join.room);
    }

    /// Removes the connection from one room and tells the others.
    pub fn leave(&self, id: ConnId, room: &str) {
        let mut rooms = lock(&self.rooms);
        if let Some(joined) = rooms.joined.get_mut(&id) {
            joined.remove(room);
            if joined.is_empty() {
                rooms.joined.remove(&id);
            }
        }
        rooms.remove_member(id, room);
    }

    /// Removes the connection from every room it is in, for good: a `join` of it still
    /// running is not admitted afterwards.
    pub fn leave_all(&self, peer: &Peer) {
        let mut rooms = lock(&self.rooms);
        peer.set_gone();
        for room in rooms.joined.remove(&peer.id()).unwrap_or_default() {
            rooms.remove_member(peer.id(), &room);
        }
    }

    /// Stores a message from the peer and sends it to everyone in its room, the sender
    /// included, whose copy is its confirmation. A retry of a stored id is only acknowledged
    /// to the sender. The sender's joined name replaces whatever `from` it claimed. Calls
    /// the store.
    pub fn post(&self, peer: &Peer, mut msg: ChatMessage) -> Result<(), NotJoined> {
        let _order = self.order_of(&msg.room);
        msg.from = lock(&self.rooms)
            .member(peer.id(), &msg.room)
            .map(|m| m.name.clone())
            .ok_or(NotJoined)?;
        msg.seq = None;
        let room = msg.room.clone();
        let id = msg.id.clone();
        let appended = lock(&self.store).append(msg);
        match appended {
            Ok(Appended::Stored(stored)) => {
                lock(&self.rooms).broadcast(&room, None, &Frame::Msg(stored));
            }
            Ok(Appended::Duplicate(seq)) => peer.send(&Frame::Ack(Ack {
                id,
                room,
                seq: Some(seq),
            })),
            // Unconfirmed, the client keeps the message in its outbox and sends it again.
            Err(err) => unavailable(
                peer,
                &err,
                "The message could not be stored now.".to_owned(),
                Some(id),
            ),
        }
        Ok(())
    }

    /// Replies with stored messages of a room, which the peer need not have joined: the
    /// newest `limit` before `before`, the oldest `limit` after `after`, or with both, the
    /// newest `limit` below `before` that are above `after`. Calls the store.
    pub fn fetch(&self, peer: &Peer, fetch: &Fetch) {
        let limit = fetch
            .limit
            .map_or(FETCH_DEFAULT, |l| l as usize)
            .min(FETCH_MAX);
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
        match page {
            Ok((page, latest)) => peer.send(&history(&fetch.room, page, latest)),
            Err(err) => unavailable(
                peer,
                &err,
                format!("The history of {:?} cannot be read now.", fetch.room),
                None,
            ),
        }
    }

    /// Tells the other members of the room that the connection is typing.
    pub fn typing(&self, id: ConnId, room: &str) {
        let rooms = lock(&self.rooms);
        if let Some(member) = rooms.member(id, room) {
            let frame = Frame::Typing(Typing {
                room: room.to_owned(),
                from: member.name.clone(),
            });
            rooms.broadcast(room, Some(id), &frame);
        }
    }
}

impl Rooms {
    fn member(&self, id: ConnId, room: &str) -> Option<&Member> {
        self.rooms.get(room)?.members.get(&id)
    }

    /// Queues one frame for every member of `room` except `skip`, encoding it once.
    fn broadcast(&self, room: &str, skip: Option<ConnId>, frame: &Frame) {
        let Some(room) = self.rooms.get(room) else {
            return;
        };
        let message = text(frame);
        for (id, member) in &room.members {
            if Some(*id) != skip {
                member.peer.deliver(message.clone());
            }
        }
    }

    fn announce_presence(&self, room: &str) {
        let Some(members) = self.rooms.get(room).map(|r| &r.members) else {
            return;
        };
        let users: BTreeSet<&str> = members.values().map(|m| m.name.as_str()).collect();
        let frame = Frame::Presence(Presence {
            room: room.to_owned(),
            users: users.into_iter().map(str::to_owned).collect(),
            count: None,
        });
        self.broadcast(room, None, &frame);
    }

    fn remove_member(&mut self, id: ConnId, room: &str) {
        let Some(entry) = self.rooms.get_mut(room) else {
            return;
        };
        if entry.members.remove(&id).is_none() {
            return;
        }
        if entry.members.is_empty() {
            self.rooms.remove(room);
        } else {
            self.announce_presence(room);
        }
    }
}

fn history(room: &str, page: Page, latest: Option<u64>) -> Frame {
    Frame::History(History {
        room: room.to_owned(),
        msgs: page.msgs,
        more: page.more,
        latest,
    })
}

/// Logs a store failure for the operator and tells the client that asked, so it does not
/// wait for an answer that will not come.
fn unavailable(peer: &Peer, err: &StoreError, message: String, id: Option<String>) {
    eprintln!("wirechat-server: history store failed: {err}");
    peer.send(&Frame::Error(ErrorFrame {
        code: UNAVAILABLE.to_owned(),
        message,
        id,
        retry_after: None,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::MemoryHistory;
    use crate::peer::PeerInbox;

    fn hub() -> Hub {
        Hub::new(Box::new(MemoryHistory::new(10)), JOIN_RECENT)
    }

    fn join(room: &str, name: &str) -> Join {
        Join {
            room: room.into(),
            name: name.into(),
            after: None,
            epoch: None,
            deltas: false,
        }
    }

    /// The frames queued for a peer so far.
    fn queued(inbox: &mut PeerInbox) -> Vec<Frame> {
        std::iter::from_fn(|| inbox.frames.try_recv().ok())
            .map(|message| match message {
                axum::extract::ws::Message::Text(text) => {
                    wirechat_protocol::decode(&text).expect("a valid frame")
                }
                other => panic!("expected a text frame, got {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_join_that_finishes_after_its_connection_left_admits_no_one() {
        // A join runs on a blocking thread, so the connection can end and leave every room
        // before the join takes the membership lock.
        let hub = hub();
        let (alice, mut alice_inbox) = Peer::new(1, 16);
        let (ghost, _ghost_inbox) = Peer::new(2, 16);
        hub.join(&alice, join("lobby", "alice"));
        hub.leave_all(&ghost);
        hub.join(&ghost, join("lobby", "ghost"));

        let presence: Vec<Vec<String>> = queued(&mut alice_inbox)
            .into_iter()
            .filter_map(|f| match f {
                Frame::Presence(p) => Some(p.users),
                _ => None,
            })
            .collect();
        assert_eq!(presence, [["alice"]], "the ghost never appears");
        assert_eq!(
            hub.post(
                &ghost,
                ChatMessage {
                    id: "m1".into(),
                    room: "lobby".into(),
                    from: "ghost".into(),
                    text: "boo".into(),
                    ts: wirechat_protocol::Timestamp::EPOCH,
                    seq: None,
                }
            ),
            Err(NotJoined)
        );
    }
}
