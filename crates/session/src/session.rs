//! The connection state machine. It owns no socket and no timer: the browser glue feeds it
//! [`Input`]s stamped with the current time and carries out the [`Command`]s it returns.
//!
//! This module owns the dispatch ([`Session::handle`]): it routes each input and frame to the
//! subsystem that owns it, and keeps what no subsystem does (the outbox and the message
//! store of each room). The subsystems are in the modules below: `api` for the public
//! types, `link` (connect, backoff, liveness), `sync` (history, gaps, older pages),
//! `joined_room` (all per-room state), `timers` (every deadline), `presence`,
//! `rate_limit` and `relay_catchup`.

use crate::catchup::CatchUp;
use crate::mentions::mentions;
use crate::outbox::Outbox;
use crate::people::RoomPeople;
use crate::store::{Delivery, Entry, Inserted, RoomLog};
pub use actions::{ActionError, ActionRefusal};
pub use api::{ClosedReason, Command, Input, ServerMode, SessionConfig, Stats, Status};
use auth::SignIn;
pub use auth::{Identity, SignInProblem};
use carriage::Carriage;
pub use carriage::{RememberedTransport, TransportKind, TransportReason};
use joined_room::JoinedRoom;
use link::{Link, LinkState};
pub use link_figures::{LinkFigures, SeenClose, CLOSES_KEPT};
use litemap::LiteMap;
pub use read_position::READ_AFTER_MS;
pub use search::SearchState;
pub use servers::{ServerList, MOVE_ON_AFTER};
use sync::HistorySync;
use wirechat_protocol::{
    close_code, decode_received, encode, error_code, feature, Ack, ChatMessage, DecodeError, Frame,
    Handshake, Here, Leave, Received, Timestamp, Typing, DEFAULT_MAX_TEXT_BYTES,
};

/// The sans-IO chat session: connection, rooms, outbox and store in one state machine.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    /// The socket, its attempts and its liveness.
    link: Link,
    mode: ServerMode,
    current_room: String,
    /// Every joined room and all that is kept about it.
    rooms: LiteMap<String, JoinedRoom>,
    outbox: Outbox,
    /// The server's numbering and this client's request ids.
    sync: HistorySync,
    arrivals: u64,
    stats: Stats,
    /// Frames, bytes, round trips, reconnects and closes of the link.
    figures: LinkFigures,
    wake: Option<u64>,
    revision: u64,
    /// On relays: when to announce `here` next.
    next_here: Option<u64>,
    /// On relays: own requests for missed messages, and answers to peers' requests.
    catchup: CatchUp,
    /// The server said `rate_limited`: messages and `typing` wait until then.
    rate_limited_until: Option<u64>,
    /// Tokens and who the server says this connection is.
    auth: SignIn,
    /// The configured servers and the one in use.
    servers: ServerList,
    /// When to write again the messages the server answered with `unavailable`.
    resend_at: Option<u64>,
    /// Since a message was refused `unavailable`: messages go out one at a time, in order
    /// (`unavailable.rs`).
    one_at_a_time: bool,
    /// Which transport carries the frames, and when to try a WebSocket again.
    carriage: Carriage,
    /// The last action on a message that did not happen.
    action_error: Option<ActionError>,
    /// The last search and its answer.
    search: Option<SearchState>,
}

impl Session {
    /// A session that does nothing until it gets [`Input::Start`]. `seed` drives the jitter.
    pub fn new(config: SessionConfig, seed: u64) -> Self {
        let mut rooms = LiteMap::new();
        for room in &config.rooms {
            rooms.insert(room.clone(), JoinedRoom::default());
        }
        let current_room = config
            .rooms
            .first()
            .cloned()
            .unwrap_or_else(|| wirechat_protocol::DEFAULT_ROOM.into());
        rooms.entry(current_room.clone()).or_default();
        let auth = SignIn::new(config.has_tokens, config.resume.clone(), seed);
        let servers = ServerList::new(config.servers.clone());
        let carriage = Carriage::new(&config.transports);
        Self {
            servers,
            carriage,
            config,
            auth,
            link: Link::new(seed),
            mode: ServerMode::Unknown,
            current_room,
            rooms,
            outbox: Outbox::default(),
            sync: HistorySync::default(),
            arrivals: 0,
            stats: Stats::default(),
            figures: LinkFigures::default(),
            wake: None,
            revision: 0,
            next_here: None,
            catchup: CatchUp::new(seed),
            rate_limited_until: None,
            resend_at: None,
            one_at_a_time: false,
            action_error: None,
            search: None,
        }
    }

    /// The connection state for display.
    pub fn status(&self) -> Status {
        match &self.link.state {
            LinkState::Idle | LinkState::Connecting { .. } => Status::Connecting,
            // Open, but still signing in: nothing can be sent or read yet.
            LinkState::Open { .. } if !self.auth.admitted => Status::Connecting,
            LinkState::Open { .. } => Status::Connected,
            LinkState::Waiting { until } => match &self.auth.problem {
                Some(problem) => Status::SignInFailed {
                    problem: problem.clone(),
                    at: *until,
                },
                None => Status::Reconnecting { at: *until },
            },
            LinkState::Offline => Status::Offline,
            LinkState::Stopped { reason } => Status::Closed {
                reason: reason.clone(),
            },
        }
    }

    /// The server the current or next attempt connects to (see [`SessionConfig::servers`]).
    pub fn server(&self) -> &str {
        self.servers.current()
    }

    /// What the server turned out to be.
    pub fn mode(&self) -> &ServerMode {
        &self.mode
    }

    /// The subprotocol of the current or last socket ("" for none).
    pub fn protocol(&self) -> &str {
        &self.link.protocol
    }

    /// Drop and error counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Frames, bytes, round trips, reconnects and recent closes of the link.
    pub fn link_figures(&self) -> &LinkFigures {
        &self.figures
    }

    /// The room new messages go to.
    pub fn current_room(&self) -> &str {
        &self.current_room
    }

    /// The display name: the signed-in user's, or the one chosen.
    pub fn name(&self) -> &str {
        self.signed_in_as().unwrap_or(&self.config.name)
    }

    /// The name this connection goes by in `room`: the one the server gave in its answer to
    /// the join ("alice (2)" when another alice was there first), else [`Session::name`].
    pub fn name_in(&self, room: &str) -> &str {
        match self.rooms.get(room).and_then(|r| r.name.as_deref()) {
            Some(name) => name,
            None => self.name(),
        }
    }

    /// Whether the server refused this user the room (`forbidden`).
    pub fn forbidden(&self, room: &str) -> bool {
        self.rooms.get(room).is_some_and(|r| r.forbidden)
    }

    /// Everyone online in `room`, sorted, this user included.
    pub fn online(&self, room: &str) -> Vec<String> {
        let me = self.name_in(room);
        self.rooms
            .get(room)
            .map(|r| r.people.online(me))
            .unwrap_or_else(|| vec![me.to_owned()])
    }

    /// The people who may be mentioned in `room`: everyone online there, then the authors
    /// of its newest messages who are not ([`mentions::mentionable`]), this user included.
    pub fn mentionable(&self, room: &str) -> Vec<String> {
        let authors = self.room(room).into_iter().flat_map(|log| {
            log.entries()
                .iter()
                .rev()
                .filter(|e| !e.is_deleted())
                .map(|e| e.msg.from.as_str())
        });
        crate::mentions::mentionable(&self.online(room), authors)
    }

    /// How many are online in `room`, this user included: the server's total when its
    /// list was cut short in a large room, otherwise the length of [`Session::online`].
    pub fn online_count(&self, room: &str) -> u64 {
        let me = self.name_in(room);
        self.rooms
            .get(room)
            .map_or(1, |r| r.people.online_count(me))
    }

    /// Everyone else typing in `room` now, sorted.
    pub fn typing(&self, room: &str) -> Vec<String> {
        let me = self.name_in(room);
        self.rooms
            .get(room)
            .map(|r| r.people.typing(me))
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

    /// The opening handshake the server reported in this connection's `hello`: `None`
    /// before the hello, on relays, and from servers (or transports) that report none.
    pub fn handshake(&self) -> Option<&Handshake> {
        match &self.mode {
            ServerMode::Full(hello) => hello.handshake.as_ref(),
            _ => None,
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
        self.figures.sent(&out);
        out
    }

    /// Makes `room` the one new messages go to (it must be joined).
    pub fn set_current_room(&mut self, room: &str) {
        if let Some(joined) = self.rooms.get_mut(room) {
            joined.unread = 0;
            joined.unread_mentions = 0;
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

    /// Of the unread messages of `room`, how many mention this user.
    pub fn unread_mentions(&self, room: &str) -> u32 {
        self.rooms.get(room).map_or(0, |r| r.unread_mentions)
    }

    /// Whether `entry` of `room` mentions this user by the name they go by there. Their own
    /// messages never do, nor deleted ones.
    pub fn mentions_me(&self, room: &str, entry: &Entry) -> bool {
        entry.delivery.is_none()
            && !entry.is_deleted()
            && !self.is_own(&entry.msg)
            && mentions(&entry.msg.text, self.name_in(room))
    }

    /// Feeds one input at time `now` (ms since the epoch) and returns the commands to run.
    pub fn handle(&mut self, now: u64, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        match input {
            Input::Start | Input::RetryNow => self.connect_now(now, &mut out),
            Input::Online => {
                self.link.online = true;
                if matches!(
                    self.link.state,
                    LinkState::Offline | LinkState::Waiting { .. }
                ) {
                    self.link.attempt = 0;
                    self.connect_now(now, &mut out);
                }
            }
            Input::Offline => {
                self.link.online = false;
                if matches!(self.link.state, LinkState::Waiting { .. } | LinkState::Idle) {
                    self.set_link(LinkState::Offline);
                }
            }
            Input::Visible => {
                if matches!(self.link.state, LinkState::Waiting { .. }) {
                    self.connect_now(now, &mut out);
                } else if self.answers_pings() && self.link.is_open() {
                    // A tab coming back from the background may hold a socket that died
                    // silently; a ping finds out quickly.
                    self.send_ping(now, &mut out);
                }
            }
            Input::Opened { protocol } => self.on_opened(now, protocol, &mut out),
            Input::Closed { code, reason } => self.on_closed(now, code, reason),
            Input::Text(text) => {
                self.figures.received(&text);
                self.on_text(now, &text, &mut out);
            }
            // Binary frames are not part of the protocol.
            Input::Binary => self.drop_frame(),
            Input::Tick => {
                // The glue's timer is spent once it calls, so whatever is still ahead needs a
                // new one, even when this tick came before its deadline (a wall clock stepped
                // back, or a timer that ran ahead of `Date.now`). Without this, an early tick
                // left the session waiting for a wake-up nobody had asked for.
                self.wake = None;
                self.on_tick(now, &mut out)
            }
            Input::Compose { id, text } => self.on_compose(now, id, text, None, &mut out),
            Input::Reply { id, text, reply_to } => {
                self.on_compose(now, id, text, Some(reply_to), &mut out)
            }
            Input::Edit { id, text } => self.edit(now, id, text, &mut out),
            Input::React { id, emoji, on } => self.react(id, emoji, on, &mut out),
            Input::Seen { room, seq } => self.on_seen(now, &room, seq),
            Input::Search(q) => self.start_search(q, &mut out),
            Input::Stop => {
                if !matches!(self.link.state, LinkState::Stopped { .. }) {
                    out.push(Command::Close {
                        code: close_code::NORMAL,
                        reason: "bye".into(),
                    });
                    self.set_link(LinkState::Stopped {
                        reason: ClosedReason::Deliberate,
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
            Input::LoadUntil(seq) => self.load_until(seq, &mut out),
            Input::Token(answer) => self.on_token(now, answer, &mut out),
            Input::ProbeFrame(text) => self.on_probe_frame(now, &text, &mut out),
            Input::ProbeClosed => self.on_probe_closed(now),
            Input::DeleteMessage(id) => {
                if self.written(&id) {
                    self.delete_sent(now, id, &mut out);
                } else if let Some(item) = self.outbox.remove(&id) {
                    if let Some(joined) = self.rooms.get_mut(&item.room) {
                        joined.log.remove(&id);
                    }
                    self.touch();
                }
            }
        }
        self.schedule(now, &mut out);
        self.figures.sent(&out);
        out
    }

    fn touch(&mut self) {
        self.revision += 1;
    }

    fn confirms_messages(&self) -> bool {
        // A relay that echoes to the sender also confirms, but we cannot know in advance;
        // only a server that promised acks makes silence mean "not delivered".
        matches!(&self.mode, ServerMode::Full(h) if h.has(feature::ACK))
    }

    fn join_room(&mut self, now: u64, room: String, out: &mut Vec<Command>) {
        if self.rooms.contains_key(&room) || wirechat_protocol::validate_room(&room).is_err() {
            return;
        }
        self.rooms.insert(room.clone(), JoinedRoom::default());
        if self.can_chat() {
            self.send_join(&room, out);
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
        if self.can_chat() {
            out.push(Command::Send(encode(&Frame::Leave(Leave {
                room: room.to_owned(),
            }))));
        }
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
        if !relays_typing || !self.can_chat() || self.rate_limited(now) {
            return;
        }
        let room = self.current_room.clone();
        let from = self.name_in(&room).to_owned();
        let every = self.config.typing_every_ms;
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        if joined.typing_sent.is_some_and(|t| now < t + every) {
            return;
        }
        joined.typing_sent = Some(now);
        out.push(Command::Send(encode(&Frame::Typing(Typing { room, from }))));
    }

    fn fail_overdue(&mut self, now: u64) {
        if !self.confirms_messages() && self.mode != ServerMode::Unknown {
            return;
        }
        for item in self.outbox.overdue(now, self.config.fail_after_ms) {
            self.set_delivery(&item.room, &item.id, Delivery::Failed, None);
        }
    }

    fn on_compose(
        &mut self,
        now: u64,
        id: String,
        text: String,
        reply_to: Option<String>,
        out: &mut Vec<Command>,
    ) {
        if text.trim().is_empty() || text.len() > self.max_text_bytes() {
            return;
        }
        let msg = ChatMessage {
            uid: None,
            id,
            room: self.current_room.clone(),
            // The chosen (or signed-in) name: the server sets `from` itself, and messages
            // another tab left behind go out under whichever name this tab got in the room.
            from: self.name().to_owned(),
            text,
            ts: Timestamp::saturating_from_millis(now),
            seq: None,
            reply_to,
            edited: None,
            deleted: None,
            reactions: Vec::new(),
        };
        self.queue_own(now, msg);
        self.flush_outbox(now, out);
    }

    fn queue_own(&mut self, now: u64, msg: ChatMessage) {
        let room = msg.room.clone();
        let id = msg.id.clone();
        let arrival = self.next_arrival();
        let log = &mut self.rooms.entry(room.clone()).or_default().log;
        if log.insert(msg, Some(Delivery::Pending), self.sync.era, arrival) == Inserted::New {
            self.outbox.push(id, room, now);
            self.touch();
        }
    }

    fn flush_outbox(&mut self, now: u64, out: &mut Vec<Command>) {
        if !self.can_chat() || self.rate_limited(now) {
            return;
        }
        let relay = self.mode == ServerMode::Relay;
        let due = match self.in_order_writes() {
            Some(due) => due,
            None => self.outbox.take_unwritten(),
        };
        for item in due {
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
        let era = self.sync.era;
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

    fn drop_frame(&mut self) {
        self.stats.dropped += 1;
        self.touch();
    }

    fn on_text(&mut self, now: u64, text: &str, out: &mut Vec<Command>) {
        if let LinkState::Open {
            last_rx, ping_sent, ..
        } = &mut self.link.state
        {
            // Any frame at all proves the link is alive.
            *last_rx = now;
            *ping_sent = None;
        }
        let frame = match decode_received(text, Timestamp::saturating_from_millis(now)) {
            Ok(Received { frame, repaired }) => {
                self.stats.repaired += u64::from(repaired);
                frame
            }
            // Counted, not kept: no one reads why a frame was dropped, only how many were.
            Err(DecodeError::TooLarge { .. } | DecodeError::Invalid(_)) => {
                return self.drop_frame()
            }
        };
        self.carriage_saw_frame(now, &frame, out);
        match frame {
            Frame::Hello(hello) => {
                self.auth_on_hello(now, &hello, out);
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
                let mentioned = !self.is_own(&msg) && mentions(&msg.text, self.name_in(&room));
                if self.on_message(msg) && live {
                    if let Some(joined) = self.rooms.get_mut(&room) {
                        joined.unread += 1;
                        joined.unread_mentions += u32::from(mentioned);
                    }
                }
                self.fetch_gap(&room, out);
                // The echo confirms an own message as an `ack` does.
                self.send_next_in_line(now, out);
            }
            Frame::Ack(ack) => {
                self.on_ack(&ack);
                self.send_next_in_line(now, out);
            }
            Frame::History(history) => self.on_history(now, history, out),
            Frame::Ping(ping) if self.answers_pings() => {
                out.push(Command::Send(encode(&Frame::Pong(ping))));
            }
            Frame::Pong(pong) => self.figures.pong(now, pong.ts),
            Frame::Authed(authed) => self.on_authed(now, authed, out),
            Frame::Error(err) => {
                self.stats.last_server_error = Some(format!("{}: {}", err.code, err.message));
                if self.on_action_refused(&err) {
                    // An action on a sent message: that message stays as it was.
                } else if err.code == error_code::RATE_LIMITED {
                    self.on_rate_limited(now, &err);
                } else if err.code == error_code::UNAUTHORIZED {
                    self.on_unauthorized(&err);
                } else if err.code == error_code::FORBIDDEN {
                    self.on_forbidden(&err);
                } else if err.code == error_code::UNAVAILABLE && err.id.is_some() {
                    self.on_unavailable(now, &err);
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
            Frame::Typing(typing) if typing.from != self.name_in(&typing.room) => {
                let until = now + self.config.typing_shown_ms;
                if let Some(people) = self.people_of(&typing.room) {
                    people.saw_typing(&typing.from, until);
                    self.touch();
                }
            }
            Frame::Catchup(request) => self.on_catchup(now, request),
            Frame::Missed(answer) => self.on_missed(now, answer),
            frame @ (Frame::Edit(_) | Frame::Delete(_) | Frame::React(_)) => {
                self.on_action_frame(now, frame)
            }
            Frame::Read(read) => self.on_read_from_server(&read.room, read.seq, None),
            Frame::Results(results) => self.on_results(results),
            Frame::Unknown => {
                self.stats.ignored += 1;
            }
            // Presence, typing and frames meant for servers (relays pass on everything)
            // carry nothing the message store needs.
            _ => {}
        }
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

    /// Stores a page of history: as [`Session::on_message`] does each message, with the new
    /// ones put in place in one pass (older pages go in at the front of the room).
    fn store_page(&mut self, room: &str, msgs: Vec<ChatMessage>) {
        let mut fresh = Vec::with_capacity(msgs.len());
        for msg in msgs {
            let known = self.room(room).is_none_or(|log| log.get(&msg.id).is_some());
            if known || msg.room != room || self.outbox.iter().any(|o| o.id == msg.id) {
                // Confirmations of own messages and repeats: the one-by-one path.
                self.on_message(msg);
                continue;
            }
            let delivery = self.delivery_of_received(&msg);
            let arrival = self.next_arrival();
            fresh.push((msg, delivery, arrival));
        }
        if fresh.is_empty() {
            return;
        }
        let era = self.sync.era;
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        for id in joined.log.insert_page(fresh, era) {
            self.settle_stored(room, &id);
        }
        self.touch();
    }

    /// The delivery of a received message that is new to the room. This user's messages
    /// that come back from history (after a reload, or from another tab) were confirmed by
    /// the server, so they read as delivered.
    fn delivery_of_received(&self, msg: &ChatMessage) -> Option<Delivery> {
        (self.is_own(msg) && msg.seq.is_some()).then_some(Delivery::Delivered)
    }

    /// What follows storing message `id` of `room`: which of its reactions are this user's,
    /// and the actions that waited for it.
    fn settle_stored(&mut self, room: &str, id: &str) {
        let reacted = self
            .room(room)
            .and_then(|log| log.get(id))
            .is_some_and(|e| !e.msg.reactions.is_empty());
        if reacted {
            let me = self.name_in(room).to_owned();
            if let Some(entry) = self.rooms.get_mut(room).and_then(|r| r.log.get_mut(id)) {
                entry.count_mine(&me);
            }
        }
        self.place_waiting(room, id);
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
            let era = self.sync.era;
            let delivery = self.delivery_of_received(&msg);
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
            let id = msg.id.clone();
            log.insert(msg, delivery, era, arrival);
            self.settle_stored(&room, &id);
            self.touch();
            true
        }
    }

    /// Whether `msg` is this user's: by the server's user id when both it and the message
    /// carry one, else (relays carry no identity) by the name this user goes by in the room.
    fn is_own(&self, msg: &ChatMessage) -> bool {
        match (self.identity(), &msg.uid) {
            (Some(me), Some(uid)) => me.uid == *uid,
            _ => msg.from == self.name_in(&msg.room),
        }
    }

    /// `forbidden` answering a join: that room is shown as refused and not joined again.
    fn on_forbidden(&mut self, err: &wirechat_protocol::ErrorFrame) {
        let Some(req) = err.req else {
            return;
        };
        for (_, joined) in self.rooms.iter_mut() {
            if joined.sync.join == Some(req) {
                joined.sync.join = None;
                joined.forbidden = true;
            }
        }
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

mod actions;
mod api;
mod auth;
mod carriage;
mod joined_room;
mod link;
mod link_figures;
mod presence;
mod rate_limit;
mod read_position;
mod relay_catchup;
mod reveal;
mod search;
mod servers;
mod sync;
#[cfg(test)]
mod tests;
mod timers;
mod unavailable;
