//! The link: opening a socket (and whether it offers the subprotocols), waiting between
//! attempts (backoff), and noticing a silent socket (liveness). Its state is [`Link`]; the
//! session's reactions to the socket opening and closing live here too.

use super::{ClosedReason, Command, ServerMode, Session};
use crate::backoff::Jitter;
use wirechat_protocol::{close_code, encode, feature, Frame, Ping};

/// Where the socket stands.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum LinkState {
    /// Created, not started yet.
    Idle,
    /// A socket is opening.
    Connecting {
        /// When the attempt began.
        since: u64,
    },
    /// The socket is open.
    Open {
        /// When it opened.
        since: u64,
        /// When the last frame arrived.
        last_rx: u64,
        /// When a ping went out that no frame has answered yet. Liveness is judged from
        /// this probe, not from how many timers fired: a background tab's timers may be
        /// throttled to one a minute, and a link nobody probed in that minute is not dead.
        ping_sent: Option<u64>,
    },
    /// Waiting to try again.
    Waiting {
        /// When the next attempt starts.
        until: u64,
    },
    /// The browser is offline.
    Offline,
    /// Closed for good.
    Stopped {
        /// Why.
        reason: ClosedReason,
    },
}

/// The link's state: the socket, the attempts made, and whether the browser is online.
#[derive(Debug)]
pub(super) struct Link {
    /// Where the socket stands.
    pub state: LinkState,
    /// Failed attempts since the last good connection; drives the backoff.
    pub attempt: u32,
    /// The browser's `navigator.onLine`.
    pub online: bool,
    /// Randomness for the backoff.
    pub jitter: Jitter,
    /// The subprotocol of the current or last socket ("" for none).
    pub protocol: String,
    /// Whether the next attempt offers the configured subprotocols.
    pub offer_protocols: bool,
}

impl Link {
    /// A link that has not started; `seed` drives the backoff jitter.
    pub fn new(seed: u64) -> Self {
        Self {
            state: LinkState::Idle,
            attempt: 0,
            online: true,
            jitter: Jitter::new(seed),
            protocol: String::new(),
            offer_protocols: true,
        }
    }

    /// Whether a socket is open.
    pub fn is_open(&self) -> bool {
        matches!(self.state, LinkState::Open { .. })
    }
}

impl Session {
    pub(super) fn set_link(&mut self, state: LinkState) {
        if self.link.state != state {
            if self.link.is_open() {
                // Answers planned for peers cannot go out on a socket that is gone.
                self.catchup.link_lost();
            }
            self.link.state = state;
            self.touch();
        }
    }

    pub(super) fn answers_pings(&self) -> bool {
        matches!(&self.mode, ServerMode::Full(h) if h.has(feature::PING))
    }

    pub(super) fn connect_now(&mut self, now: u64, out: &mut Vec<Command>) {
        if !self.link.online {
            self.set_link(LinkState::Offline);
            return;
        }
        let transport = self.transport_for_attempt(now);
        out.push(Command::Connect {
            url: self.servers.current().to_owned(),
            offer_protocols: self.link.offer_protocols,
            transport,
        });
        self.mode = ServerMode::Unknown;
        self.set_link(LinkState::Connecting { since: now });
    }

    pub(super) fn schedule_retry(&mut self, now: u64) {
        // Failover: an attempt that ended before the server proved itself counts against its
        // address; a connection that worked does not (servers.rs).
        if self.mode == ServerMode::Unknown {
            self.servers.attempt_failed();
        } else {
            self.servers.reached();
        }
        if !self.link.online {
            self.set_link(LinkState::Offline);
            return;
        }
        let delay = self
            .config
            .backoff
            .delay(self.link.attempt, self.link.jitter.next_unit());
        self.retry_after(now, delay);
    }

    /// Waits `delay` before the next attempt (or for the browser to come online).
    pub(super) fn retry_after(&mut self, now: u64, delay: u64) {
        if !self.link.online {
            self.set_link(LinkState::Offline);
            return;
        }
        self.link.attempt = self.link.attempt.saturating_add(1);
        self.set_link(LinkState::Waiting { until: now + delay });
    }

    pub(super) fn on_opened(&mut self, now: u64, protocol: String, out: &mut Vec<Command>) {
        if !matches!(self.link.state, LinkState::Connecting { .. }) {
            return;
        }
        self.link.protocol = protocol;
        self.figures.opened();
        for (_, joined) in self.rooms.iter_mut() {
            joined.sync.socket_opened();
        }
        self.set_link(LinkState::Open {
            since: now,
            last_rx: now,
            ping_sent: None,
        });
        self.auth_on_open(now, out);
    }

    pub(super) fn on_closed(&mut self, now: u64, code: u16, reason: String) {
        match self.link.state {
            LinkState::Stopped { .. }
            | LinkState::Offline
            | LinkState::Waiting { .. }
            | LinkState::Idle => return,
            // Browsers fail the handshake when the server picks none of the subprotocols
            // offered, so a socket that never opened may open when the next attempt offers
            // the other choice.
            LinkState::Connecting { .. } => {
                self.link.offer_protocols = !self.link.offer_protocols;
                self.fall_back(false);
            }
            LinkState::Open { .. } => self.fall_back(true),
        }
        self.figures.closed(code, reason.clone());
        if code == close_code::UNAUTHORIZED {
            return self.on_unauthorized_close(now);
        }
        self.auth_on_close();
        if !close_code::should_retry(code) {
            let why = if reason.is_empty() {
                ClosedReason::ServerRefused { code }
            } else {
                ClosedReason::ServerSaid(reason)
            };
            self.set_link(LinkState::Stopped { reason: why });
            return;
        }
        self.outbox.mark_unwritten();
        self.schedule_retry(now);
    }

    pub(super) fn send_ping(&mut self, now: u64, out: &mut Vec<Command>) {
        out.push(Command::Send(encode(&Frame::Ping(Ping { ts: Some(now) }))));
        self.figures.ping_sent(now);
        if let LinkState::Open { ping_sent, .. } = &mut self.link.state {
            // A second probe does not move the first one's deadline.
            ping_sent.get_or_insert(now);
        }
    }
}
