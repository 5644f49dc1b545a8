//! The sending side of a connection, which rooms queue frames for.
//!
//! The queue is bounded in bytes of encoded frames. What a client must get (messages,
//! history, replies) counts towards [`FlowLimits::queue_bytes`](crate::FlowLimits), and a
//! client that lets more of it pile up is closed with 4000. What only shows the moment
//! (typing, presence) never closes anyone: typing is dropped while the queue is backed up,
//! and presence is queued as a marker that the writer turns into the room's list when it
//! gets there, so any number of changes while a client lags becomes one list.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::ws::Message;
use tokio::sync::{watch, Notify};
use tokio::time::{Duration, Instant};
use wirechat_protocol::{close_code, encode, Frame};

use crate::flow::FlowCounters;

/// Identifies one connection for as long as the process runs.
pub type ConnId = u64;

/// Below this many queued bytes a reader counts as keeping up, and typing and presence
/// changes are queued for it as they come; above it they are dropped or merged.
const LOW_VALUE_BYTES: usize = 64 * 1024;

/// The sending side of one connection, shared by every room it is in.
#[derive(Debug, Clone)]
pub struct Peer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    id: ConnId,
    queue_limit: usize,
    counters: Arc<FlowCounters>,
    queue: Mutex<Outbound>,
    wake: Notify,
    close: watch::Sender<Option<u16>>,
    membership: Mutex<Membership>,
    started: Instant,
    /// A frame written just before the close frame, after the queue was dropped: why the
    /// connection is closed, for closes the client must understand (4001).
    last_words: Mutex<Option<Message>>,
    /// Milliseconds after `started` when the writer last sent a protocol frame.
    last_written: AtomicU64,
}

/// The rooms a connection is in. Changed only under the lock of the room concerned, so a
/// room and this set always agree.
#[derive(Debug, Default)]
pub(crate) struct Membership {
    /// Set once the connection has left every room for good; no room admits it again.
    pub gone: bool,
    /// The rooms it is in.
    pub rooms: HashSet<String>,
}

#[derive(Debug, Default)]
struct Outbound {
    items: VecDeque<Queued>,
    /// Bytes of every queued frame.
    bytes: usize,
    /// Bytes of the frames the client must get, which the limit applies to.
    owed_bytes: usize,
    /// Rooms with a presence marker in `items`.
    presence_pending: HashSet<String>,
    closed: bool,
}

/// What the writer takes from the queue next.
#[derive(Debug)]
pub enum Outgoing {
    /// An encoded frame.
    Frame(Message),
    /// The room's presence list, made when it is written.
    Presence(String),
}

#[derive(Debug)]
struct Queued {
    outgoing: Outgoing,
    bytes: usize,
    owed: bool,
}

/// Locks `mutex` even if a thread panicked while holding it: the state stays usable.
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Peer {
    /// A peer whose queue holds at most `queue_limit` bytes of frames it must deliver,
    /// counting into `counters`.
    pub fn new(id: ConnId, queue_limit: usize, counters: Arc<FlowCounters>) -> Self {
        Self {
            inner: Arc::new(Inner {
                id,
                queue_limit,
                counters,
                queue: Mutex::default(),
                wake: Notify::new(),
                close: watch::channel(None).0,
                membership: Mutex::default(),
                started: Instant::now(),
                last_words: Mutex::default(),
                last_written: AtomicU64::new(0),
            }),
        }
    }

    /// This connection's id.
    pub fn id(&self) -> ConnId {
        self.inner.id
    }

    pub(crate) fn membership(&self) -> MutexGuard<'_, Membership> {
        lock(&self.inner.membership)
    }

    /// Queues a frame the client must get. A client whose queue is over its limit reads
    /// slower than its rooms talk: it is closed rather than let it hold up everyone else.
    pub fn deliver(&self, message: Message) {
        let bytes = message_len(&message);
        let mut queue = lock(&self.inner.queue);
        if queue.closed {
            return;
        }
        if queue.owed_bytes + bytes > self.inner.queue_limit {
            drop(queue);
            self.close(close_code::SLOW_CONSUMER);
            return;
        }
        self.push(&mut queue, Outgoing::Frame(message), bytes, true);
    }

    /// Queues a protocol frame the client must get.
    pub fn send(&self, frame: &Frame) {
        self.deliver(text(frame));
    }

    /// Queues a frame that only matters now (typing), unless the client is behind.
    pub fn offer(&self, message: Message) {
        let bytes = message_len(&message);
        let mut queue = lock(&self.inner.queue);
        if queue.closed || queue.bytes + bytes > LOW_VALUE_BYTES {
            self.inner.counters.dropped();
            return;
        }
        self.push(&mut queue, Outgoing::Frame(message), bytes, false);
    }

    /// Queues the room's presence list, unless one is already waiting: that one is made
    /// when written, so it will show this change too.
    pub fn presence_changed(&self, room: &str) {
        let mut queue = lock(&self.inner.queue);
        if queue.closed || !queue.presence_pending.insert(room.to_owned()) {
            self.inner.counters.dropped();
            return;
        }
        self.push(&mut queue, Outgoing::Presence(room.to_owned()), 0, false);
    }

    /// Queues a `joined`/`left` change. When a list of the room is waiting, the change is
    /// in it already; when the client is behind, a list replaces the changes from here on.
    pub fn presence_delta(&self, room: &str, message: Message) {
        let bytes = message_len(&message);
        let mut queue = lock(&self.inner.queue);
        if queue.closed || queue.presence_pending.contains(room) {
            self.inner.counters.dropped();
            return;
        }
        if queue.bytes + bytes > LOW_VALUE_BYTES {
            self.inner.counters.dropped();
            queue.presence_pending.insert(room.to_owned());
            self.push(&mut queue, Outgoing::Presence(room.to_owned()), 0, false);
            return;
        }
        self.push(&mut queue, Outgoing::Frame(message), bytes, false);
    }

    /// The presence marker of `room` is being made into a list. Called under the room's
    /// lock, so every later change is queued after that list.
    pub(crate) fn presence_rendered(&self, room: &str) {
        lock(&self.inner.queue).presence_pending.remove(room);
    }

    fn push(&self, queue: &mut Outbound, outgoing: Outgoing, bytes: usize, owed: bool) {
        queue.items.push_back(Outgoing::wrap(outgoing, bytes, owed));
        queue.bytes += bytes;
        if owed {
            queue.owed_bytes += bytes;
        }
        self.inner.counters.queued(bytes);
        self.inner.wake.notify_one();
    }

    pub(crate) fn try_next(&self) -> Option<Outgoing> {
        let mut queue = lock(&self.inner.queue);
        let queued = queue.items.pop_front()?;
        queue.bytes -= queued.bytes;
        if queued.owed {
            queue.owed_bytes -= queued.bytes;
        }
        self.inner.counters.unqueued(queued.bytes);
        Some(queued.outgoing)
    }

    /// The next thing to write, waiting until there is one.
    pub async fn next_outgoing(&self) -> Outgoing {
        loop {
            if let Some(outgoing) = self.try_next() {
                return outgoing;
            }
            // A push between the pop and here leaves a permit, so no wake-up is lost.
            self.inner.wake.notified().await;
        }
    }

    /// Notes that the writer sent a protocol frame now.
    pub(crate) fn wrote(&self) {
        let ms = u64::try_from(self.inner.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.inner.last_written.store(ms, Ordering::Relaxed);
    }

    /// How long ago the writer last sent a protocol frame (or the connection started).
    pub(crate) fn since_written(&self) -> Duration {
        let at = Duration::from_millis(self.inner.last_written.load(Ordering::Relaxed));
        self.inner.started.elapsed().saturating_sub(at)
    }

    /// Asks the writer to close with `code`, writing `frame` right before the close frame.
    pub fn close_with(&self, code: u16, frame: &Frame) {
        *lock(&self.inner.last_words) = Some(text(frame));
        self.close(code);
    }

    /// The frame to write before the close frame, if any (see [`Peer::close_with`]).
    pub fn take_last_words(&self) -> Option<Message> {
        lock(&self.inner.last_words).take()
    }

    /// Asks the writer to close the socket with `code`; the first code asked for wins.
    /// What was still queued is dropped and its memory freed at once.
    pub fn close(&self, code: u16) {
        {
            let mut queue = lock(&self.inner.queue);
            queue.closed = true;
            self.inner.counters.unqueued(queue.bytes);
            *queue = Outbound {
                closed: true,
                ..Outbound::default()
            };
        }
        self.inner.close.send_if_modified(|current| {
            let first = current.is_none();
            if first {
                *current = Some(code);
            }
            first
        });
    }

    /// `Some(code)` once a close was asked for.
    pub fn close_requests(&self) -> watch::Receiver<Option<u16>> {
        self.inner.close.subscribe()
    }
}

impl Outgoing {
    fn wrap(self, bytes: usize, owed: bool) -> Queued {
        Queued {
            outgoing: self,
            bytes,
            owed,
        }
    }
}

fn message_len(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) | Message::Ping(bytes) | Message::Pong(bytes) => bytes.len(),
        Message::Close(_) => 0,
    }
}

/// One encoded frame, ready to queue for any number of peers (cloning it shares the bytes).
pub fn text(frame: &Frame) -> Message {
    Message::Text(encode(frame).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_of(bytes: usize) -> Message {
        Message::Text("x".repeat(bytes).into())
    }

    fn queued_bytes(peer: &Peer) -> usize {
        lock(&peer.inner.queue).bytes
    }

    fn drain(peer: &Peer) -> Vec<Outgoing> {
        std::iter::from_fn(|| peer.try_next()).collect()
    }

    #[test]
    fn owed_frames_over_the_byte_limit_close_with_4000_and_free_the_queue() {
        let counters = Arc::new(FlowCounters::default());
        let peer = Peer::new(1, 1000, counters.clone());
        let closes = peer.close_requests();
        for _ in 0..3 {
            peer.deliver(frame_of(300));
        }
        assert_eq!((*closes.borrow(), counters.queued_bytes()), (None, 900));
        peer.deliver(frame_of(300));
        assert_eq!(*closes.borrow(), Some(close_code::SLOW_CONSUMER));
        assert_eq!((queued_bytes(&peer), counters.queued_bytes()), (0, 0));
        peer.deliver(frame_of(1));
        assert!(drain(&peer).is_empty(), "nothing is queued after the close");
    }

    #[test]
    fn typing_is_dropped_for_a_reader_that_is_behind_and_never_closes_it() {
        let peer = Peer::new(1, 10 * LOW_VALUE_BYTES, Arc::default());
        let closes = peer.close_requests();
        for _ in 0..10_000 {
            peer.offer(frame_of(100));
        }
        assert_eq!(*closes.borrow(), None);
        assert!(queued_bytes(&peer) <= LOW_VALUE_BYTES);
        // An owed frame still fits: typing does not count towards the limit.
        peer.deliver(frame_of(9 * LOW_VALUE_BYTES));
        assert_eq!(*closes.borrow(), None);
    }

    #[test]
    fn presence_changes_merge_into_one_list_per_room_until_it_is_written() {
        let peer = Peer::new(1, 1000, Arc::default());
        for _ in 0..100 {
            peer.presence_changed("a");
            peer.presence_changed("b");
        }
        let rooms: Vec<String> = drain(&peer)
            .into_iter()
            .filter_map(|o| match o {
                Outgoing::Presence(room) => Some(room),
                Outgoing::Frame(_) => None,
            })
            .collect();
        assert_eq!(rooms, ["a", "b"]);
        peer.presence_changed("a");
        assert_eq!(drain(&peer).len(), 0, "the list of a is still being made");
        peer.presence_rendered("a");
        peer.presence_changed("a");
        assert_eq!(drain(&peer).len(), 1);
    }

    #[test]
    fn changes_behind_a_waiting_list_are_dropped() {
        let peer = Peer::new(1, 1000, Arc::default());
        peer.presence_delta("a", frame_of(10));
        peer.presence_changed("a");
        peer.presence_delta("a", frame_of(10));
        assert_eq!(drain(&peer).len(), 2, "the first change and the list");
    }
}
