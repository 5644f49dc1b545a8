//! Rooms: who is in which, and delivery of frames to them.
//!
//! One lock guards the memberships and the history store together. Storing a message and
//! queueing it for every member happen under it, so each member sees a room's messages in
//! `seq` order and a joining member gets every message exactly once, from either its history
//! or the live stream. Nothing under the lock waits: queueing is `try_send`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::extract::ws::Message;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};
use wirechat_protocol::{
    close_code, encode, Ack, ChatMessage, Fetch, Frame, History, Join, Presence, Typing,
};

use crate::history::{Appended, HistoryStore, Page, StoreError};

/// Messages a `join` without a resumable cursor replays.
pub const JOIN_RECENT: usize = 100;
/// Messages a `fetch` returns when it names no limit.
pub const FETCH_DEFAULT: usize = 50;
/// Most messages one `fetch` returns, whatever it asks for.
pub const FETCH_MAX: usize = 200;

/// Identifies one connection for as long as the process runs.
pub type ConnId = u64;

/// The sending side of one connection, shared by every room it is in.
#[derive(Debug, Clone)]
pub struct Peer {
    id: ConnId,
    outbox: mpsc::Sender<Message>,
    close: watch::Sender<Option<u16>>,
}

/// What the connection's writer reads: the queued frames and the close code, once one is
/// asked for.
#[derive(Debug)]
pub struct PeerInbox {
    /// Frames in the order they were queued.
    pub frames: mpsc::Receiver<Message>,
    /// `Some(code)` once someone asked for the socket to be closed.
    pub close: watch::Receiver<Option<u16>>,
}

impl Peer {
    /// A peer whose queue holds `queue_len` frames (at least one).
    pub fn new(id: ConnId, queue_len: usize) -> (Self, PeerInbox) {
        let (outbox, frames) = mpsc::channel(queue_len.max(1));
        let (close, close_rx) = watch::channel(None);
        let peer = Self { id, outbox, close };
        (
            peer,
            PeerInbox {
                frames,
                close: close_rx,
            },
        )
    }

    /// This connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// Queues a frame without waiting. A full queue means the client reads slower than the
    /// room talks: it is closed rather than let it hold up everyone else.
    pub fn deliver(&self, message: Message) {
        if let Err(TrySendError::Full(_)) = self.outbox.try_send(message) {
            self.close(close_code::SLOW_CONSUMER);
        }
    }

    /// Queues a protocol frame.
    pub fn send(&self, frame: &Frame) {
        self.deliver(text(frame));
    }

    /// Asks the writer to close the socket with `code`; the first code asked for wins.
    pub fn close(&self, code: u16) {
        self.close.send_if_modified(|current| {
            let first = current.is_none();
            if first {
                *current = Some(code);
            }
            first
        });
    }
}

/// One encoded frame, ready to queue for any number of peers (cloning it shares the bytes).
pub fn text(frame: &Frame) -> Message {
    Message::Text(encode(frame).into())
}

/// A `msg` was refused because the connection has not joined its room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJoined;

/// All rooms of one server and their history.
pub struct Hub {
    inner: Mutex<Rooms>,
    epoch: String,
}

struct Rooms {
    store: Box<dyn HistoryStore>,
    rooms: HashMap<String, Room>,
    /// Rooms of each connection, so leaving everything does not scan every room.
    joined: HashMap<ConnId, BTreeSet<String>>,
    resume_limit: usize,
}

#[derive(Default)]
struct Room {
    members: HashMap<ConnId, Member>,
}

struct Member {
    name: String,
    peer: Peer,
}

impl Hub {
    /// Rooms backed by `store`; a resuming `join` replays at most `resume_limit` messages.
    pub fn new(store: Box<dyn HistoryStore>, resume_limit: usize) -> Self {
        Self {
            epoch: store.epoch().to_owned(),
            inner: Mutex::new(Rooms {
                store,
                rooms: HashMap::new(),
                joined: HashMap::new(),
                resume_limit,
            }),
        }
    }

    /// The store's epoch, as announced in `hello`.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    fn lock(&self) -> MutexGuard<'_, Rooms> {
        // A panic in one connection's task must not stop every room: the maps stay usable,
        // at worst holding a member that is removed when its connection ends.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the peer to a room (or renames it there), replies with the history it missed and
    /// tells the room who is in it now. `join` must be validated already.
    pub fn join(&self, peer: &Peer, join: Join) {
        let mut rooms = self.lock();
        let resume = match (join.after, &join.epoch) {
            (Some(after), Some(epoch)) if *epoch == self.epoch => Some(after),
            _ => None,
        };
        let page = match resume {
            Some(after) => {
                let limit = rooms.resume_limit;
                rooms.store.after(&join.room, after, limit)
            }
            None => rooms.store.recent(&join.room, JOIN_RECENT),
        };
        let room = rooms.rooms.entry(join.room.clone()).or_default();
        room.members.insert(
            peer.id,
            Member {
                name: join.name,
                peer: peer.clone(),
            },
        );
        rooms
            .joined
            .entry(peer.id)
            .or_default()
            .insert(join.room.clone());
        if let Some(page) = answered(page) {
            peer.send(&history(&join.room, page));
        }
        rooms.announce_presence(&join.room);
    }

    /// Removes the connection from one room and tells the others.
    pub fn leave(&self, id: ConnId, room: &str) {
        let mut rooms = self.lock();
        if let Some(joined) = rooms.joined.get_mut(&id) {
            joined.remove(room);
            if joined.is_empty() {
                rooms.joined.remove(&id);
            }
        }
        rooms.remove_member(id, room);
    }

    /// Removes the connection from every room it is in.
    pub fn leave_all(&self, id: ConnId) {
        let mut rooms = self.lock();
        for room in rooms.joined.remove(&id).unwrap_or_default() {
            rooms.remove_member(id, &room);
        }
    }

    /// Stores a message from the peer and sends it to everyone in its room, the sender
    /// included, whose copy is its confirmation. A retry of a stored id is only acknowledged
    /// to the sender. The sender's joined name replaces whatever `from` it claimed.
    pub fn post(&self, peer: &Peer, mut msg: ChatMessage) -> Result<(), NotJoined> {
        let mut rooms = self.lock();
        let name = rooms
            .member(peer.id, &msg.room)
            .map(|m| m.name.clone())
            .ok_or(NotJoined)?;
        msg.from = name;
        msg.seq = None;
        let room = msg.room.clone();
        let id = msg.id.clone();
        match rooms.store.append(msg) {
            Ok(Appended::Stored(stored)) => rooms.broadcast(&room, None, &Frame::Msg(stored)),
            Ok(Appended::Duplicate(seq)) => peer.send(&Frame::Ack(Ack {
                id,
                room,
                seq: Some(seq),
            })),
            // Unconfirmed, the client keeps the message in its outbox and retries.
            Err(err) => report(&err),
        }
        Ok(())
    }

    /// Replies with stored messages of a room, which the peer need not have joined: the
    /// newest `limit` before `before`, the oldest `limit` after `after`, or with both, the
    /// newest `limit` below `before` that are above `after`.
    pub fn fetch(&self, peer: &Peer, fetch: &Fetch) {
        let limit = fetch
            .limit
            .map_or(FETCH_DEFAULT, |l| l as usize)
            .min(FETCH_MAX);
        let rooms = self.lock();
        let page = match (fetch.before, fetch.after) {
            (Some(before), after) => {
                rooms
                    .store
                    .before(&fetch.room, before, limit)
                    .map(|mut page| {
                        if let Some(after) = after {
                            page.msgs.retain(|m| m.seq.unwrap_or(0) > after);
                        }
                        page
                    })
            }
            (None, Some(after)) => rooms.store.after(&fetch.room, after, limit),
            (None, None) => rooms.store.recent(&fetch.room, limit),
        };
        if let Some(page) = answered(page) {
            peer.send(&history(&fetch.room, page));
        }
    }

    /// Tells the other members of the room that the connection is typing.
    pub fn typing(&self, id: ConnId, room: &str) {
        let rooms = self.lock();
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

fn history(room: &str, page: Page) -> Frame {
    Frame::History(History {
        room: room.to_owned(),
        msgs: page.msgs,
        more: page.more,
    })
}

/// The page, or nothing after reporting why the store failed: the client then sees no answer
/// and asks again later, which beats a made-up empty history.
fn answered(page: Result<Page, StoreError>) -> Option<Page> {
    page.map_err(|err| report(&err)).ok()
}

fn report(err: &StoreError) {
    eprintln!("wirechat-server: history store failed: {err}");
}
