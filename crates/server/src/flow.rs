//! Flow limits: how much one connection may queue, send and hold, in one place.
//!
//! Every number a client can push against is a field of [`FlowLimits`], with its default
//! documented there. [`FlowCounters`] counts what the limits did, for the operator.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// The `error` code for a `join` that would put a connection in more rooms than
/// [`FlowLimits::rooms_per_connection`] allows.
pub const TOO_MANY_ROOMS: &str = "too_many_rooms";
/// The `error` code for a `join` to a room that already has
/// [`FlowLimits::members_per_room`] members.
pub const ROOM_FULL: &str = "room_full";

/// A token bucket's shape: `per_second` tokens flow in, at most `burst` are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Sustained frames per second.
    pub per_second: u32,
    /// Frames that may come at once after a quiet spell.
    pub burst: u32,
}

/// Written as the command line reads it: `PER_SECOND:BURST`.
impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.per_second, self.burst)
    }
}

impl Rate {
    /// `per_second` frames a second, in bursts of up to `burst`.
    pub const fn new(per_second: u32, burst: u32) -> Self {
        Self { per_second, burst }
    }
}

/// What each connection may do, and how much of the server it may hold. The defaults leave
/// people and well-behaved bots far below every limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLimits {
    /// Bytes of encoded frames that may wait for one socket. A client that lets more pile
    /// up of what it must get (messages, history, replies) is closed with 4000. Presence
    /// and typing never count towards it: for a slow reader they are merged or dropped.
    /// Default 1 MiB.
    pub queue_bytes: usize,
    /// `msg` frames. Default 20/s, bursts of 100: a client coming back online sends its
    /// whole outbox at once.
    pub msg: Rate,
    /// `typing` frames. Default 2/s, bursts of 10 (clients send one every few seconds).
    pub typing: Rate,
    /// `join` and `leave` frames together. Default 10/s, bursts of 160, so a client can
    /// join [`rooms_per_connection`](Self::rooms_per_connection) rooms at once.
    pub membership: Rate,
    /// `fetch` frames. Default 10/s, bursts of 50.
    pub fetch: Rate,
    /// `here` frames. Default 2/s, bursts of 10.
    pub here: Rate,
    /// A client still sending frames over its limits after this long, with no pause of
    /// [`abuse_pause`](Self::abuse_pause) between refusals, is closed with 1008.
    /// Default 3 s.
    pub abuse_after: Duration,
    /// A pause in refusals this long ends a run of abuse. Default 1 s.
    pub abuse_pause: Duration,
    /// Rooms one connection may be in at once. Default 128.
    pub rooms_per_connection: usize,
    /// Connections one room may hold. Default 10,000.
    pub members_per_room: usize,
    /// Names a full `presence` list carries at most; a longer list is cut, and `count`
    /// says how many are in the room. Default 200.
    pub presence_names: usize,
    /// A connection on which neither side has sent a protocol frame for this long is
    /// closed with 1001. WebSocket pings and pongs do not count. Default 120 s; the web
    /// client pings every 10 s when nothing arrives.
    pub idle_timeout: Duration,
}

impl Default for FlowLimits {
    fn default() -> Self {
        Self {
            queue_bytes: 1024 * 1024,
            msg: Rate::new(20, 100),
            typing: Rate::new(2, 10),
            membership: Rate::new(10, 160),
            fetch: Rate::new(10, 50),
            here: Rate::new(2, 10),
            abuse_after: Duration::from_secs(3),
            abuse_pause: Duration::from_secs(1),
            rooms_per_connection: 128,
            members_per_room: 10_000,
            presence_names: 200,
            idle_timeout: Duration::from_secs(120),
        }
    }
}

impl FlowLimits {
    /// Limits that never refuse or close for the rate of frames: for tests and benchmarks
    /// that flood on purpose.
    pub fn unmetered() -> Self {
        let unlimited = Rate::new(u32::MAX, u32::MAX);
        Self {
            msg: unlimited,
            typing: unlimited,
            membership: unlimited,
            fetch: unlimited,
            here: unlimited,
            ..Self::default()
        }
    }
}

/// What the flow limits did since the server started, shared by all connections.
#[derive(Debug, Default)]
pub struct FlowCounters {
    queued_bytes: AtomicUsize,
    dropped: AtomicU64,
    refused: AtomicU64,
}

impl FlowCounters {
    /// Bytes of encoded frames waiting for all sockets now.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::Relaxed)
    }

    /// `typing` and presence frames dropped or merged for slow readers.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Frames refused with `rate_limited`.
    pub fn rate_limited(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    pub(crate) fn queued(&self, bytes: usize) {
        self.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn unqueued(&self, bytes: usize) {
        self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }

    pub(crate) fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }
}
