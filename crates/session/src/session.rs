//! The connection state machine. It owns no socket and no timer: the browser glue feeds it
//! [`Input`]s stamped with the current time and carries out the [`Command`]s it returns.

use crate::backoff::{BackoffConfig, Jitter};
use crate::catchup::CatchUp;
use crate::outbox::Outbox;
use crate::people::RoomPeople;
use crate::store::{Delivery, Inserted, RoomLog};
use joined_room::JoinedRoom;
use std::collections::BTreeMap;
use wirechat_protocol::{
    close_code, decode_received, encode, error_code, feature, Ack, ChatMessage, DecodeError, Fetch,
    Frame, Hello, Here, History, Join, Leave, Ping, Received, Timestamp, Typing,
    DEFAULT_MAX_TEXT_BYTES,
};

/// Timing and identity settings of a [`Session`]. All times are milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// Display name sent in `join` and as `from`.
    pub name: String,
    /// Rooms to join on every connection; the first is the one [`Input::Compose`] writes to
    /// unless [`Session::set_current_room`] picks another.
    pub rooms: Vec<String>,
    /// Reconnect delay bounds.
    pub backoff: BackoffConfig,
    /// Give up on a socket that has not opened after this long. Default 10 s.
    pub connect_timeout_ms: u64,
    /// Without a `hello` this long after opening, treat the server as a plain relay. Default 2.5 s.
    pub hello_timeout_ms: u64,
    /// On servers that answer pings, probe after this much silence. Default 10 s.
    pub ping_after_ms: u64,
    /// On servers that answer pings, a link silent this long is dead. Default 25 s.
    pub dead_after_ms: u64,
    /// An unconfirmed message becomes failed this long after it was created. Default 60 s.
    pub fail_after_ms: u64,
    /// On relays, announce `here` this often. Default 15 s.
    pub here_every_ms: u64,
    /// How long a `here` keeps its sender online (sent as `ttl`, and the most honoured from
    /// others). Default 40 s.
    pub here_ttl_ms: u64,
    /// Send at most one `typing` frame per room this often. Default 3 s.
    pub typing_every_ms: u64,
    /// How long a `typing` frame shows its indicator. Default 6 s.
    pub typing_shown_ms: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            name: "guest".into(),
            rooms: vec![wirechat_protocol::DEFAULT_ROOM.into()],
            backoff: BackoffConfig::default(),
            connect_timeout_ms: 10_000,
            hello_timeout_ms: 2_500,
            ping_after_ms: 10_000,
            dead_after_ms: 25_000,
            fail_after_ms: 60_000,
            here_every_ms: 15_000,
            here_ttl_ms: 40_000,
            typing_every_ms: 3_000,
            typing_shown_ms: 6_000,
        }
    }
}

/// Something that happened, reported by the glue.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Begin connecting (once, after creating the session).
    Start,
    /// The socket opened; `protocol` is the negotiated subprotocol ("" for none).
    Opened {
        /// Negotiated subprotocol.
        protocol: String,
    },
    /// The socket closed or failed to open.
    Closed {
        /// Close code (1006 when the link dropped without a close frame).
        code: u16,
        /// Close reason, possibly empty.
        reason: String,
    },
    /// A text frame arrived.
    Text(String),
    /// A binary frame arrived; the protocol has none, so it is dropped and counted.
    Binary,
    /// A timer requested by [`Command::WakeAt`] fired (or any time the glue likes).
    Tick,
    /// The user sends `text` in the current room as a message with id `id`.
    Compose {
        /// Fresh unique id made by the glue.
        id: String,
        /// The text as typed.
        text: String,
    },
    /// The user asked to reconnect now.
    RetryNow,
    /// The browser went online.
    Online,
    /// The browser went offline (`navigator.onLine` is false).
    Offline,
    /// The page became visible again.
    Visible,
    /// A deliberate close: no reconnect follows.
    Stop,
    /// Resend a failed message.
    RetryMessage(String),
    /// Delete a failed or pending message.
    DeleteMessage(String),
    /// The user is typing in the current room.
    Typing,
    /// Join another room (on this same connection).
    JoinRoom(String),
    /// Leave a room; the last room cannot be left.
    LeaveRoom(String),
    /// Show this (joined) room: new messages go there and its unread count resets.
    SwitchRoom(String),
    /// Load older history of the current room, from servers that keep it.
    LoadOlder,
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Open a new socket (closing any previous one first).
    Connect,
    /// Send this text frame on the open socket.
    Send(String),
    /// Close the socket with this code and reason.
    Close {
        /// Close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
    /// Call back with [`Input::Tick`] at this time (replaces any earlier request).
    WakeAt(u64),
}

/// The connection as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Opening the first socket, or one after a retry fired.
    Connecting,
    /// The socket is open.
    Connected,
    /// Waiting to reconnect at this time.
    Reconnecting {
        /// When the next attempt starts.
        at: u64,
    },
    /// The browser is offline; reconnecting waits for it.
    Offline,
    /// Closed for good (deliberately, or the server said not to retry).
    Closed {
        /// Why, for the user.
        reason: String,
    },
}

/// What kind of server is on the other end, learned after opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMode {
    /// Not known yet: waiting for a `hello`.
    Unknown,
    /// The server announced itself and its features.
    Full(Hello),
    /// No `hello` came: a plain relay or echo server. Chat works; history does not.
    Relay,
}

/// Counters a developer looks at when something is off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames that were not a valid object of a known type.
    pub dropped: u64,
    /// Frames kept after a value in them was repaired (PROTOCOL.md, "Limits"): a message
    /// shown with its time of arrival, say. Counted apart from `dropped`, because their
    /// content was shown.
    pub repaired: u64,
    /// Valid frames of a type this client does not know.
    pub ignored: u64,
    /// The reason the last frame was dropped.
    pub last_drop: Option<String>,
    /// The last `error` frame from the server.
    pub last_server_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Link {
    Idle,
    Connecting {
        since: u64,
    },
    Open {
        since: u64,
        last_rx: u64,
        ping_sent: bool,
    },
    Waiting {
        until: u64,
    },
    Offline,
    Stopped {
        reason: String,
    },
}

/// The sans-IO chat session: connection, rooms, outbox and store in one state machine.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    link: Link,
    mode: ServerMode,
    protocol: String,
    current_room: String,
    /// Every joined room and all that is kept about it.
    rooms: BTreeMap<String, JoinedRoom>,
    outbox: Outbox,
    /// Epoch of the server whose seqs the room cursors hold.
    epoch: Option<String>,
    era: u32,
    arrivals: u64,
    attempt: u32,
    online: bool,
    jitter: Jitter,
    stats: Stats,
    wake: Option<u64>,
    revision: u64,
    /// On relays: when to announce `here` next.
    next_here: Option<u64>,
    /// On relays: own requests for missed messages, and answers to peers' requests.
    catchup: CatchUp,
    /// The server said `rate_limited`: messages and `typing` wait until then.
    rate_limited_until: Option<u64>,
}

impl Session {
    /// A session that does nothing until it gets [`Input::Start`]. `seed` drives the jitter.
    pub fn new(config: SessionConfig, seed: u64) -> Self {
        let mut rooms = BTreeMap::new();
        for room in &config.rooms {
            rooms.insert(room.clone(), JoinedRoom::default());
        }
        let current_room = config
            .rooms
            .first()
            .cloned()
            .unwrap_or_else(|| wirechat_protocol::DEFAULT_ROOM.into());
        rooms.entry(current_room.clone()).or_default();
        Self {
            config,
            link: Link::Idle,
            mode: ServerMode::Unknown,
            protocol: String::new(),
            current_room,
            rooms,
            outbox: Outbox::default(),
            epoch: None,
            era: 0,
            arrivals: 0,
            attempt: 0,
            online: true,
            jitter: Jitter::new(seed),
            stats: Stats::default(),
            wake: None,
            revision: 0,
            next_here: None,
            catchup: CatchUp::new(seed),
            rate_limited_until: None,
        }
    }

    /// The connection state for display.
    pub fn status(&self) -> Status {
        match &self.link {
            Link::Idle | Link::Connecting { .. } => Status::Connecting,
            Link::Open { .. } => Status::Connected,
            Link::Waiting { until } => Status::Reconnecting { at: *until },
            Link::Offline => Status::Offline,
            Link::Stopped { reason } => Status::Closed {
                reason: reason.clone(),
            },
        }
    }

    /// What the server turned out to be.
    pub fn mode(&self) -> &ServerMode {
        &self.mode
    }

    /// The subprotocol of the current or last socket ("" for none).
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// Drop and error counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The room new messages go to.
    pub fn current_room(&self) -> &str {
        &self.current_room
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Everyone online in `room`, sorted, this user included.
    pub fn online(&self, room: &str) -> Vec<String> {
        self.rooms
            .get(room)
            .map(|r| r.people.online(&self.config.name))
            .unwrap_or_else(|| vec![self.config.name.clone()])
    }

    /// How many are online in `room`, this user included: the server's total when its
    /// list was cut short in a large room, otherwise the length of [`Session::online`].
    pub fn online_count(&self, room: &str) -> u64 {
        self.rooms
            .get(room)
            .map_or(1, |r| r.people.online_count(&self.config.name))
    }

    /// Everyone else typing in `room` now, sorted.
    pub fn typing(&self, room: &str) -> Vec<String> {
        self.rooms
            .get(room)
            .map(|r| r.people.typing(&self.config.name))
            .unwrap_or_default()
    }

    /// Messages of `room`, if joined.
    pub fn room(&self, room: &str) -> Option<&RoomLog> {
        self.rooms.get(room).map(|r| &r.log)
    }

    /// Grows by one whenever anything visible changed; the UI re-reads when it moves.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Longest text the server accepts, in bytes.
    pub fn max_text_bytes(&self) -> usize {
        match &self.mode {
            ServerMode::Full(hello) => hello.max_text.unwrap_or(DEFAULT_MAX_TEXT_BYTES),
            _ => DEFAULT_MAX_TEXT_BYTES,
        }
    }

    /// Unconfirmed own messages, oldest first, for keeping them across reloads.
    pub fn unconfirmed(&self) -> Vec<ChatMessage> {
        self.outbox
            .iter()
            .filter_map(|item| self.rooms.get(&item.room)?.log.get(&item.id))
            .map(|entry| entry.msg.clone())
            .collect()
    }

    /// Puts messages saved by [`Session::unconfirmed`] back in the outbox as pending.
    pub fn restore_unconfirmed(&mut self, now: u64, messages: Vec<ChatMessage>) {
        for msg in messages {
            self.queue_own(now, msg);
        }
    }

    /// Takes over messages that another page of this user left unsent (it closed or
    /// reloaded): their rooms are joined, they wait in this outbox, and on an open link they
    /// go out now. Messages this session already holds are skipped.
    pub fn adopt_unconfirmed(&mut self, now: u64, messages: Vec<ChatMessage>) -> Vec<Command> {
        let mut out = Vec::new();
        for msg in messages {
            self.join_room(now, msg.room.clone(), &mut out);
            if self.rooms.contains_key(&msg.room) {
                self.queue_own(now, msg);
            }
        }
        self.flush_outbox(now, &mut out);
        self.schedule(now, &mut out);
        out
    }

    /// Makes `room` the one new messages go to (it must be joined).
    pub fn set_current_room(&mut self, room: &str) {
        if let Some(joined) = self.rooms.get_mut(room) {
            joined.unread = 0;
            self.current_room = room.to_owned();
            self.touch();
        }
    }

    /// The joined rooms, sorted.
    pub fn joined_rooms(&self) -> impl Iterator<Item = &str> {
        self.rooms.keys().map(String::as_str)
    }

    /// Live messages that arrived in `room` while another room was shown.
    pub fn unread(&self, room: &str) -> u32 {
        self.rooms.get(room).map_or(0, |r| r.unread)
    }

    /// Whether older history of `room` is being fetched.
    pub fn loading_older(&self, room: &str) -> bool {
        self.rooms
            .get(room)
            .is_some_and(|r| r.older_fetch.is_some())
    }

    /// Whether the server keeps history (so older messages can be loaded).
    pub fn has_history(&self) -> bool {
        matches!(&self.mode, ServerMode::Full(h) if h.has(feature::HISTORY))
    }

    /// Feeds one input at time `now` (ms since the epoch) and returns the commands to run.
    pub fn handle(&mut self, now: u64, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        match input {
            Input::Start | Input::RetryNow => self.connect_now(now, &mut out),
            Input::Online => {
                self.online = true;
                if matches!(self.link, Link::Offline | Link::Waiting { .. }) {
                    self.attempt = 0;
                    self.connect_now(now, &mut out);
                }
            }
            Input::Offline => {
                self.online = false;
                if matches!(self.link, Link::Waiting { .. } | Link::Idle) {
                    self.set_link(Link::Offline);
                }
            }
            Input::Visible => {
                if matches!(self.link, Link::Waiting { .. }) {
                    self.connect_now(now, &mut out);
                } else if self.answers_pings() && matches!(self.link, Link::Open { .. }) {
                    // A tab coming back from the background may hold a socket that died
                    // silently; a ping finds out quickly.
                    self.send_ping(now, &mut out);
                }
            }
            Input::Opened { protocol } => self.on_opened(now, protocol, &mut out),
            Input::Closed { code, reason } => self.on_closed(now, code, reason, &mut out),
            Input::Text(text) => self.on_text(now, &text, &mut out),
            Input::Binary => self.drop_frame("binary frames are not part of the protocol"),
            Input::Tick => self.on_tick(now, &mut out),
            Input::Compose { id, text } => self.on_compose(now, id, text, &mut out),
            Input::Stop => {
                if !matches!(self.link, Link::Stopped { .. }) {
                    out.push(Command::Close {
                        code: close_code::NORMAL,
                        reason: "bye".into(),
                    });
                    self.set_link(Link::Stopped {
                        reason: "Disconnected".into(),
                    });
                }
            }
            Input::RetryMessage(id) => {
                if let Some(room) = self.outbox.retry(&id, now) {
                    self.set_delivery(&room, &id, Delivery::Pending, None);
                    self.flush_outbox(now, &mut out);
                }
            }
            Input::Typing => self.on_typing(now, &mut out),
            Input::JoinRoom(room) => self.join_room(now, room, &mut out),
            Input::LeaveRoom(room) => self.leave_room(&room, &mut out),
            Input::SwitchRoom(room) => self.set_current_room(&room),
            Input::LoadOlder => self.load_older(&mut out),
            Input::DeleteMessage(id) => {
                if let Some(item) = self.outbox.remove(&id) {
                    if let Some(joined) = self.rooms.get_mut(&item.room) {
                        joined.log.remove(&id);
                    }
                    self.touch();
                }
            }
        }
        self.schedule(now, &mut out);
        out
    }

    fn touch(&mut self) {
        self.revision += 1;
    }

    fn set_link(&mut self, link: Link) {
        if self.link != link {
            self.link = link;
            self.touch();
        }
    }

    fn answers_pings(&self) -> bool {
        matches!(&self.mode, ServerMode::Full(h) if h.has(feature::PING))
    }

    fn confirms_messages(&self) -> bool {
        // A relay that echoes to the sender also confirms, but we cannot know in advance;
        // only a server that promised acks makes silence mean "not delivered".
        matches!(&self.mode, ServerMode::Full(h) if h.has(feature::ACK))
    }

    fn connect_now(&mut self, now: u64, out: &mut Vec<Command>) {
        if !self.online {
            self.set_link(Link::Offline);
            return;
        }
        out.push(Command::Connect);
        self.mode = ServerMode::Unknown;
        self.set_link(Link::Connecting { since: now });
    }

    fn schedule_retry(&mut self, now: u64) {
        if !self.online {
            self.set_link(Link::Offline);
            return;
        }
        let delay = self
            .config
            .backoff
            .delay(self.attempt, self.jitter.next_unit());
        self.attempt = self.attempt.saturating_add(1);
        self.set_link(Link::Waiting { until: now + delay });
    }

    fn on_opened(&mut self, now: u64, protocol: String, out: &mut Vec<Command>) {
        if !matches!(self.link, Link::Connecting { .. }) {
            return;
        }
        self.protocol = protocol;
        // Answers to fetches sent on the old socket will never come.
        for joined in self.rooms.values_mut() {
            joined.gap_fetch = None;
            joined.awaiting_join_reply = true;
        }
        self.set_link(Link::Open {
            since: now,
            last_rx: now,
            ping_sent: false,
        });
        for room in self.rooms.keys().cloned().collect::<Vec<_>>() {
            out.push(Command::Send(self.join_frame(&room)));
        }
        self.flush_outbox(now, out);
    }

    fn join_frame(&self, room: &str) -> String {
        let after = self.rooms.get(room).and_then(|r| r.log.resume_after());
        encode(&Frame::Join(Join {
            room: room.to_owned(),
            name: self.config.name.clone(),
            after: after.filter(|_| self.epoch.is_some()),
            epoch: self.epoch.clone().filter(|_| after.is_some()),
            // Joins go out before the `hello` arrives, so they ask for changes unless this
            // server already said it cannot send them; servers without the feature ignore
            // the field and keep sending full lists.
            deltas: !matches!(&self.mode, ServerMode::Full(h) if !h.has(feature::PRESENCE_DELTAS)),
        }))
    }

    fn on_closed(&mut self, now: u64, code: u16, reason: String, _out: &mut [Command]) {
        match self.link {
            Link::Stopped { .. } | Link::Offline | Link::Waiting { .. } | Link::Idle => return,
            Link::Connecting { .. } | Link::Open { .. } => {}
        }
        if !close_code::should_retry(code) {
            let why = if reason.is_empty() {
                format!("The server closed the connection (code {code}) and asked not to retry.")
            } else {
                format!("The server closed the connection: {reason}")
            };
            self.set_link(Link::Stopped { reason: why });
            return;
        }
        self.outbox.mark_unwritten();
        self.schedule_retry(now);
    }

    fn on_tick(&mut self, now: u64, out: &mut Vec<Command>) {
        match self.link.clone() {
            Link::Waiting { until } if now >= until => self.connect_now(now, out),
            Link::Connecting { since } if now >= since + self.config.connect_timeout_ms => {
                out.push(Command::Close {
                    code: close_code::NORMAL,
                    reason: "connect timeout".into(),
                });
                self.schedule_retry(now);
            }
            Link::Open {
                since,
                last_rx,
                ping_sent,
            } => {
                if self.mode == ServerMode::Unknown && now >= since + self.config.hello_timeout_ms {
                    self.mode = ServerMode::Relay;
                    self.attempt = 0;
                    // A relay never confirms: what was written is as far as it goes.
                    for item in self.outbox.mark_relayed(now) {
                        self.set_delivery(&item.room, &item.id, Delivery::Sent, None);
                    }
                    self.next_here = Some(now);
                    self.ask_all_for_missed(now, out);
                    self.touch();
                }
                if self.mode == ServerMode::Relay && self.next_here.is_some_and(|t| now >= t) {
                    self.announce_here(now, out);
                }
                if self.answers_pings() {
                    if now >= last_rx + self.config.dead_after_ms {
                        out.push(Command::Close {
                            code: close_code::NORMAL,
                            reason: "no sign of life".into(),
                        });
                        self.outbox.mark_unwritten();
                        self.schedule_retry(now);
                    } else if !ping_sent && now >= last_rx + self.config.ping_after_ms {
                        self.send_ping(now, out);
                    }
                }
            }
            _ => {}
        }
        self.answer_due(now, out);
        self.end_rate_limit(now, out);
        self.fail_overdue(now);
        self.outbox.prune_relayed(now, self.config.fail_after_ms);
        let mut expired = false;
        for joined in self.rooms.values_mut() {
            expired |= joined.people.expire(now);
        }
        if expired {
            self.touch();
        }
    }

    fn join_room(&mut self, now: u64, room: String, out: &mut Vec<Command>) {
        if self.rooms.contains_key(&room) || wirechat_protocol::validate_room(&room).is_err() {
            return;
        }
        let mut joined = JoinedRoom::default();
        let open = matches!(self.link, Link::Open { .. });
        joined.awaiting_join_reply = open;
        self.rooms.insert(room.clone(), joined);
        if open {
            out.push(Command::Send(self.join_frame(&room)));
            if self.mode == ServerMode::Relay {
                out.push(Command::Send(encode(&Frame::Here(Here {
                    room: room.clone(),
                    from: self.config.name.clone(),
                    ttl: self.config.here_ttl_ms,
                }))));
                self.ask_for_missed(now, &room, out);
            }
        }
        self.touch();
    }

    fn leave_room(&mut self, room: &str, out: &mut Vec<Command>) {
        if self.rooms.len() <= 1 || self.rooms.remove(room).is_none() {
            return;
        }
        self.outbox.remove_room(room);
        self.catchup.forget_room(room);
        if self.current_room == room {
            if let Some(first) = self.rooms.keys().next() {
                self.current_room = first.clone();
            }
        }
        if matches!(self.link, Link::Open { .. }) {
            out.push(Command::Send(encode(&Frame::Leave(Leave {
                room: room.to_owned(),
            }))));
        }
        self.touch();
    }

    fn load_older(&mut self, out: &mut Vec<Command>) {
        let room = self.current_room.clone();
        if !self.has_history()
            || !matches!(self.link, Link::Open { .. })
            || self.loading_older(&room)
        {
            return;
        }
        let era = self.era;
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        let log = &joined.log;
        let Some(before) = log.oldest_seq(era).filter(|_| log.more_before) else {
            return;
        };
        joined.older_fetch = Some(before);
        out.push(Command::Send(encode(&Frame::Fetch(Fetch {
            room,
            before: Some(before),
            after: None,
            // As much as the reference server gives in one page: fewer round trips when a
            // reader scrolls far back.
            limit: Some(200),
        }))));
        self.touch();
    }

    fn announce_here(&mut self, now: u64, out: &mut Vec<Command>) {
        for room in self.rooms.keys() {
            out.push(Command::Send(encode(&Frame::Here(Here {
                room: room.clone(),
                from: self.config.name.clone(),
                ttl: self.config.here_ttl_ms,
            }))));
        }
        self.next_here = Some(now + self.config.here_every_ms);
    }

    fn on_typing(&mut self, now: u64, out: &mut Vec<Command>) {
        let relays_typing = match &self.mode {
            ServerMode::Full(hello) => hello.has(feature::TYPING),
            ServerMode::Relay => true,
            ServerMode::Unknown => false,
        };
        if !relays_typing || !matches!(self.link, Link::Open { .. }) || self.rate_limited(now) {
            return;
        }
        let room = self.current_room.clone();
        let every = self.config.typing_every_ms;
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        if joined.typing_sent.is_some_and(|t| now < t + every) {
            return;
        }
        joined.typing_sent = Some(now);
        out.push(Command::Send(encode(&Frame::Typing(Typing {
            room,
            from: self.config.name.clone(),
        }))));
    }

    fn send_ping(&mut self, now: u64, out: &mut Vec<Command>) {
        out.push(Command::Send(encode(&Frame::Ping(Ping { ts: Some(now) }))));
        if let Link::Open { ping_sent, .. } = &mut self.link {
            *ping_sent = true;
        }
    }

    fn fail_overdue(&mut self, now: u64) {
        if !self.confirms_messages() && self.mode != ServerMode::Unknown {
            return;
        }
        for item in self.outbox.overdue(now, self.config.fail_after_ms) {
            self.set_delivery(&item.room, &item.id, Delivery::Failed, None);
        }
    }

    fn on_compose(&mut self, now: u64, id: String, text: String, out: &mut Vec<Command>) {
        if text.trim().is_empty() || text.len() > self.max_text_bytes() {
            return;
        }
        let msg = ChatMessage {
            id,
            room: self.current_room.clone(),
            from: self.config.name.clone(),
            text,
            ts: Timestamp::saturating_from_millis(now),
            seq: None,
        };
        self.queue_own(now, msg);
        self.flush_outbox(now, out);
    }

    fn queue_own(&mut self, now: u64, msg: ChatMessage) {
        let room = msg.room.clone();
        let id = msg.id.clone();
        let arrival = self.next_arrival();
        let log = &mut self.rooms.entry(room.clone()).or_default().log;
        if log.insert(msg, Some(Delivery::Pending), self.era, arrival) == Inserted::New {
            self.outbox.push(id, room, now);
            self.touch();
        }
    }

    fn flush_outbox(&mut self, now: u64, out: &mut Vec<Command>) {
        if !matches!(self.link, Link::Open { .. }) || self.rate_limited(now) {
            return;
        }
        let relay = self.mode == ServerMode::Relay;
        for item in self.outbox.take_unwritten() {
            let Some(entry) = self.rooms.get(&item.room).and_then(|r| r.log.get(&item.id)) else {
                continue;
            };
            out.push(Command::Send(encode(&Frame::Msg(entry.msg.clone()))));
            if relay {
                self.outbox.mark_relayed(now);
                self.set_delivery(&item.room, &item.id, Delivery::Sent, None);
            }
        }
    }

    fn set_delivery(&mut self, room: &str, id: &str, delivery: Delivery, seq: Option<u64>) {
        let era = self.era;
        if let Some(joined) = self.rooms.get_mut(room) {
            if joined.log.confirm(id, delivery, seq, era) {
                self.touch();
            }
        }
    }

    fn next_arrival(&mut self) -> u64 {
        self.arrivals += 1;
        self.arrivals
    }

    fn drop_frame(&mut self, reason: &str) {
        self.stats.dropped += 1;
        self.stats.last_drop = Some(reason.to_owned());
        self.touch();
    }

    fn on_text(&mut self, now: u64, text: &str, out: &mut Vec<Command>) {
        if let Link::Open {
            last_rx, ping_sent, ..
        } = &mut self.link
        {
            // Any frame at all proves the link is alive.
            *last_rx = now;
            *ping_sent = false;
        }
        let frame = match decode_received(text, Timestamp::saturating_from_millis(now)) {
            Ok(Received { frame, repaired }) => {
                self.stats.repaired += u64::from(repaired);
                frame
            }
            Err(DecodeError::TooLarge { len, limit }) => {
                return self.drop_frame(&format!("frame of {len} bytes over the {limit} limit"))
            }
            Err(DecodeError::Invalid(reason)) => return self.drop_frame(&reason),
        };
        match frame {
            Frame::Hello(hello) => {
                self.on_hello(hello);
                // Messages handed over while this looked like a relay now wait for the
                // server's confirmation like any other.
                for item in self.outbox.unrelay(now) {
                    self.set_delivery(&item.room, &item.id, Delivery::Pending, None);
                }
                self.flush_outbox(now, out);
            }
            Frame::Msg(msg) => {
                let room = msg.room.clone();
                let from = msg.from.clone();
                if let Some(people) = self.people_of(&room) {
                    if people.stopped_typing(&from) {
                        self.touch();
                    }
                }
                let live = room != self.current_room;
                if self.on_message(msg) && live {
                    if let Some(joined) = self.rooms.get_mut(&room) {
                        joined.unread += 1;
                    }
                }
                self.fetch_gap(&room, out);
            }
            Frame::Ack(ack) => self.on_ack(&ack),
            Frame::History(history) => self.on_history(history, out),
            Frame::Ping(ping) if self.answers_pings() => {
                out.push(Command::Send(encode(&Frame::Pong(ping))));
            }
            Frame::Error(err) => {
                self.stats.last_server_error = Some(format!("{}: {}", err.code, err.message));
                if err.code == error_code::RATE_LIMITED {
                    self.on_rate_limited(now, &err);
                } else if let Some(id) = err.id {
                    // Kept in the outbox, failed, so the user can still retry or delete it.
                    if let Some(item) = self.outbox.fail(&id) {
                        self.set_delivery(&item.room, &id, Delivery::Failed, None);
                    }
                }
                self.touch();
            }
            Frame::Presence(presence) => {
                if let Some(people) = self.people_of(&presence.room) {
                    people.set_snapshot(presence.users, presence.count);
                    self.touch();
                }
            }
            Frame::Joined(change) => self.on_presence_change(&change, true),
            Frame::Left(change) => self.on_presence_change(&change, false),
            Frame::Here(here) if here.from != self.config.name => {
                let until = now + here.ttl.min(self.config.here_ttl_ms);
                if let Some(people) = self.people_of(&here.room) {
                    people.saw_peer(&here.from, until);
                    self.touch();
                }
            }
            Frame::Typing(typing) if typing.from != self.config.name => {
                let until = now + self.config.typing_shown_ms;
                if let Some(people) = self.people_of(&typing.room) {
                    people.saw_typing(&typing.from, until);
                    self.touch();
                }
            }
            Frame::Catchup(request) => self.on_catchup(now, request),
            Frame::Missed(answer) => self.on_missed(now, answer),
            Frame::Unknown => {
                self.stats.ignored += 1;
            }
            // Presence, typing and frames meant for servers (relays pass on everything)
            // carry nothing the message store needs.
            _ => {}
        }
    }

    fn on_history(&mut self, history: History, out: &mut Vec<Command>) {
        let room = history.room.clone();
        let newest = history.msgs.iter().filter_map(|m| m.seq).max();
        // Older history answers a `fetch` with `before`: all of it lies below what was asked.
        let Some(joined) = self.rooms.get(&room) else {
            return;
        };
        if let Some(before) = joined.older_fetch {
            if newest.is_none_or(|n| n < before) && !joined.awaiting_join_reply {
                for msg in history.msgs {
                    self.on_message(msg);
                }
                if let Some(joined) = self.rooms.get_mut(&room) {
                    joined.older_fetch = None;
                    joined.log.more_before = history.more;
                }
                self.touch();
                return;
            }
        }
        let page_len = history.msgs.len();
        for msg in history.msgs {
            self.on_message(msg);
        }
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        let join_reply = std::mem::take(&mut joined.awaiting_join_reply);
        let asked = joined.gap_fetch.take();
        let log = &mut joined.log;
        let resumed = join_reply && log.has_baseline();
        if join_reply && !log.has_baseline() {
            // Only a fresh join's page says whether older history exists before this client's
            // first message; resume and gap pages start later.
            log.more_before = history.more;
            // The first history after a fresh join says where the room stands: what it
            // holds is the baseline, and only seqs past it can be missing.
            log.set_baseline(newest.or(history.latest).unwrap_or(0));
        }
        if asked.is_some() && log.gap_after() == asked {
            // The answer to a gap fetch left the gap as it was: the server no longer has
            // those messages, and asking again would loop forever.
            log.skip_gap();
        }
        match history.latest {
            Some(latest) => log.note_latest(latest),
            // A server that does not say where the room stands may have cut the page short:
            // ask for what follows until a page comes back empty.
            None if page_len > 0 && (resumed || asked.is_some()) => {
                if let Some(after) = log.resume_after() {
                    joined.gap_fetch = Some(after);
                    out.push(fetch_after(&room, after));
                }
            }
            None => {}
        }
        self.fetch_gap(&room, out);
    }

    fn on_ack(&mut self, ack: &Ack) {
        if self.outbox.remove(&ack.id).is_some() {
            self.set_delivery(&ack.room, &ack.id, Delivery::Delivered, ack.seq);
        }
    }

    /// The people of a joined room (`None` for rooms this client is not in).
    fn people_of(&mut self, room: &str) -> Option<&mut RoomPeople> {
        self.rooms.get_mut(room).map(|r| &mut r.people)
    }

    fn on_hello(&mut self, hello: Hello) {
        if self.epoch.as_deref() != Some(hello.epoch.as_str()) {
            if self.epoch.is_some() {
                // The server renumbered: old cursors mean nothing to it now.
                self.era += 1;
                for joined in self.rooms.values_mut() {
                    joined.log.reset_cursor();
                }
            }
            self.epoch = Some(hello.epoch.clone());
        }
        self.attempt = 0;
        self.mode = ServerMode::Full(hello);
        self.touch();
    }

    /// Stores a received message; returns whether it is new to the list.
    fn on_message(&mut self, msg: ChatMessage) -> bool {
        let room = msg.room.clone();
        if !self.rooms.contains_key(&room) {
            return false;
        }
        if self.outbox.remove(&msg.id).is_some() {
            self.set_delivery(&room, &msg.id, Delivery::Delivered, msg.seq);
            false
        } else {
            let arrival = self.next_arrival();
            let era = self.era;
            let Some(log) = self.rooms.get_mut(&room).map(|r| &mut r.log) else {
                return false;
            };
            if let Some(existing) = log.get(&msg.id) {
                // Our own message, confirmed again after a reload or resend.
                if existing.delivery.is_some() && existing.msg.seq.is_none() {
                    let seq = msg.seq;
                    log.confirm(&msg.id, Delivery::Delivered, seq, era);
                    self.touch();
                }
                return false;
            }
            // Messages under this user's name that come back from history (after a reload, or
            // from another tab) were confirmed by the server, so they read as delivered.
            let delivery =
                (msg.from == self.config.name && msg.seq.is_some()).then_some(Delivery::Delivered);
            log.insert(msg, delivery, era, arrival);
            self.touch();
            true
        }
    }

    fn fetch_gap(&mut self, room: &str, out: &mut Vec<Command>) {
        let history = matches!(&self.mode, ServerMode::Full(h) if h.has(feature::HISTORY));
        if !history {
            return;
        }
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        let Some(after) = joined.log.gap_after() else {
            return;
        };
        if joined.gap_fetch != Some(after) {
            joined.gap_fetch = Some(after);
            out.push(fetch_after(room, after));
        }
    }

    fn next_deadline(&self) -> Option<u64> {
        let link = match &self.link {
            Link::Waiting { until } => Some(*until),
            Link::Connecting { since } => Some(since + self.config.connect_timeout_ms),
            Link::Open {
                since,
                last_rx,
                ping_sent,
            } => {
                let hello = (self.mode == ServerMode::Unknown)
                    .then_some(since + self.config.hello_timeout_ms);
                let liveness = self.answers_pings().then(|| {
                    if *ping_sent {
                        last_rx + self.config.dead_after_ms
                    } else {
                        last_rx + self.config.ping_after_ms
                    }
                });
                let here = self.next_here.filter(|_| self.mode == ServerMode::Relay);
                hello.into_iter().chain(liveness).chain(here).min()
            }
            _ => None,
        };
        let expiry = self
            .rooms
            .values()
            .filter_map(|r| r.people.next_expiry())
            .min();
        let outbox = self
            .outbox
            .oldest_pending()
            .map(|created| created + self.config.fail_after_ms);
        let catchup = self.catchup.next_deadline();
        link.into_iter()
            .chain(outbox)
            .chain(expiry)
            .chain(catchup)
            .chain(self.rate_limited_until)
            .min()
    }

    fn schedule(&mut self, now: u64, out: &mut Vec<Command>) {
        let next = self.next_deadline().map(|t| t.max(now));
        if next != self.wake {
            self.wake = next;
            if let Some(t) = next {
                out.push(Command::WakeAt(t));
            }
        }
    }
}

/// `fetch` for what follows `after`, as much as servers usually allow in one page.
fn fetch_after(room: &str, after: u64) -> Command {
    Command::Send(encode(&Frame::Fetch(Fetch {
        room: room.to_owned(),
        before: None,
        after: Some(after),
        limit: Some(200),
    })))
}

mod joined_room;
mod presence;
mod rate_limit;
mod relay_catchup;
#[cfg(test)]
mod tests;
