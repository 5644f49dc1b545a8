//! The carriage: which transport carries the frames (WebSocket, server-sent events or long
//! polling), why that one, and when to try a WebSocket again.
//!
//! The rules, all decided here and carried out by the glue:
//! - transports are tried in the configured order; the next one is taken when the current one
//!   cannot open, or dies before its first frame (a proxy that refuses the upgrade, or one
//!   that lets it through and then cuts it);
//! - once a server's `hello` listed what it offers, a fallback it did not announce is skipped,
//!   and a relay (no `hello`) is taken to offer none;
//! - a transport that reached `hello` is remembered (the glue keeps it per server), and the
//!   next page load starts with it while that memory is fresh;
//! - while on a fallback, a WebSocket is opened beside it every so often; when that probe
//!   reaches `hello`, the session reconnects over a WebSocket. The switch is an ordinary
//!   reconnect, so resume by `seq` and the outbox's resend-until-confirmed keep it free of loss
//!   and duplicates.

use super::{Command, LinkState, Session};
use wirechat_protocol::{decode, Frame};

/// One way to carry frames between the client and the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportKind {
    /// A WebSocket: one upgrade, then light frames both ways.
    WebSocket,
    /// Server-sent events down, `POST`s up.
    Sse,
    /// Long-polling `GET`s down, `POST`s up.
    LongPolling,
}

impl TransportKind {
    /// Every transport, in the default order of preference.
    pub const ALL: [TransportKind; 3] = [
        TransportKind::WebSocket,
        TransportKind::Sse,
        TransportKind::LongPolling,
    ];

    /// The name used in configuration, in storage and in `hello.features`.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::WebSocket => "websocket",
            TransportKind::Sse => "sse",
            TransportKind::LongPolling => "long-polling",
        }
    }

    /// The transport called `name` ([`TransportKind::name`]), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// Why the session carries its frames over the transport it uses now. The UI words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportReason {
    /// It is the first one configured.
    FirstChoice,
    /// It worked with this server a short while ago.
    Remembered,
    /// The transport before it could not open.
    CouldNotOpen(TransportKind),
    /// The transport before it closed before its first frame.
    DiedEarly(TransportKind),
    /// A WebSocket opened beside the fallback reached the server's `hello`.
    Upgraded,
}

/// A transport that reached `hello` with a server, and when; kept by the glue per server and
/// handed back in [`super::SessionConfig::remembered_transport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RememberedTransport {
    /// The transport.
    pub kind: TransportKind,
    /// When it reached `hello`, in ms since the epoch.
    pub at: u64,
}

/// The carriage's state.
#[derive(Debug)]
pub(super) struct Carriage {
    /// The transport of the current or next connection.
    pub kind: TransportKind,
    /// Why that one.
    pub reason: TransportReason,
    /// The current connection delivered a frame.
    pub got_frame: bool,
    /// The fallbacks the server announced in its last `hello`; `None` until one came.
    offered: Option<Vec<TransportKind>>,
    /// The remembered choice was looked at (on the first attempt).
    started: bool,
    /// When to open the next WebSocket probe, while on a fallback.
    pub next_probe: Option<u64>,
    /// When the probe now opening began.
    pub probing_since: Option<u64>,
}

impl Carriage {
    /// Before the first attempt: the first configured transport.
    pub fn new(order: &[TransportKind]) -> Self {
        Self {
            kind: order.first().copied().unwrap_or(TransportKind::WebSocket),
            reason: TransportReason::FirstChoice,
            got_frame: false,
            offered: None,
            started: false,
            next_probe: None,
            probing_since: None,
        }
    }

    /// Whether the server is known not to offer `kind` (a WebSocket is always offered).
    fn refused(&self, kind: TransportKind) -> bool {
        kind != TransportKind::WebSocket
            && self
                .offered
                .as_ref()
                .is_some_and(|offered| !offered.contains(&kind))
    }
}

impl Session {
    /// The transport in use (or about to be), and why.
    pub fn transport(&self) -> (TransportKind, TransportReason) {
        (self.carriage.kind, self.carriage.reason)
    }

    /// The transport for the attempt starting now. On the first attempt a fresh remembered
    /// choice wins over the configured order.
    pub(super) fn transport_for_attempt(&mut self, now: u64) -> TransportKind {
        if !std::mem::replace(&mut self.carriage.started, true) {
            let fresh = self.config.remembered_transport.filter(|r| {
                now.saturating_sub(r.at) < self.config.remember_transport_ms
                    && self.config.transports.contains(&r.kind)
            });
            if let Some(remembered) = fresh {
                if remembered.kind != self.carriage.kind {
                    self.carriage.kind = remembered.kind;
                    self.carriage.reason = TransportReason::Remembered;
                }
            }
        }
        self.carriage.got_frame = false;
        self.end_probe_quietly();
        self.carriage.kind
    }

    /// The attempt ended before its first frame: the next configured transport the server
    /// does not refuse is used for the next attempt (after the last comes the first again).
    pub(super) fn fall_back(&mut self, opened: bool) {
        if self.carriage.got_frame {
            return;
        }
        let order = &self.config.transports;
        let failed = self.carriage.kind;
        let at = order.iter().position(|k| *k == failed).unwrap_or(0);
        let next = (1..=order.len())
            .map(|step| order[(at + step) % order.len()])
            .find(|kind| !self.carriage.refused(*kind))
            .unwrap_or(failed);
        if next == failed {
            return;
        }
        self.carriage.kind = next;
        self.carriage.reason = if order.first() == Some(&next) {
            TransportReason::FirstChoice
        } else if opened {
            TransportReason::DiedEarly(failed)
        } else {
            TransportReason::CouldNotOpen(failed)
        };
        self.touch();
    }

    /// A frame arrived on the current connection. A `hello` also says which fallbacks the
    /// server offers, makes the transport worth remembering, and on a fallback starts the
    /// wait for the first WebSocket probe.
    pub(super) fn carriage_saw_frame(&mut self, now: u64, frame: &Frame, out: &mut Vec<Command>) {
        self.carriage.got_frame = true;
        let Frame::Hello(hello) = frame else {
            return;
        };
        self.carriage.offered = Some(
            hello
                .features
                .iter()
                .filter_map(|f| TransportKind::from_name(f))
                .collect(),
        );
        out.push(Command::RememberTransport(self.carriage.kind));
        self.carriage.next_probe = (self.carriage.kind != TransportKind::WebSocket
            && self.config.transports.contains(&TransportKind::WebSocket))
        .then_some(now + self.config.upgrade_every_ms);
    }

    /// The server turned out to be a relay (no `hello` within the wait): it announced no
    /// fallback, so none is tried. A relay serves WebSockets only, and trying its address over
    /// HTTP after an outage would only add failed attempts, each lengthening the backoff.
    pub(super) fn carriage_on_relay(&mut self) {
        self.carriage.offered = Some(Vec::new());
    }

    /// The probe timer: opens a WebSocket probe, or gives up on one that took too long.
    pub(super) fn fire_probe(&mut self, now: u64, out: &mut Vec<Command>) {
        if self.carriage.probing_since.take().is_some() {
            out.push(Command::EndProbe);
            self.carriage.next_probe = Some(now + self.config.upgrade_every_ms);
        } else {
            self.carriage.next_probe = None;
            self.carriage.probing_since = Some(now);
            out.push(Command::Probe);
        }
    }

    /// When the probe timer is due.
    pub(super) fn probe_deadline(&self) -> Option<u64> {
        if !matches!(self.link.state, LinkState::Open { .. }) {
            return None;
        }
        match self.carriage.probing_since {
            Some(since) => Some(since + self.config.connect_timeout_ms),
            None => self.carriage.next_probe,
        }
    }

    /// The probe's first frame: a `hello` means WebSockets get through now, so the session
    /// reconnects over one; anything else (or nothing) waits for the next probe.
    pub(super) fn on_probe_frame(&mut self, now: u64, text: &str, out: &mut Vec<Command>) {
        if self.carriage.probing_since.take().is_none() {
            return;
        }
        out.push(Command::EndProbe);
        let hello = matches!(decode(text), Ok(Frame::Hello(_)));
        if !hello || !matches!(self.link.state, LinkState::Open { .. }) {
            self.carriage.next_probe = Some(now + self.config.upgrade_every_ms);
            return;
        }
        self.carriage.kind = TransportKind::WebSocket;
        self.carriage.reason = TransportReason::Upgraded;
        self.carriage.next_probe = None;
        out.push(Command::Close {
            code: wirechat_protocol::close_code::NORMAL,
            reason: "moving to a WebSocket".into(),
        });
        // Whatever the old connection had not confirmed goes out again on the new one, and
        // the new one signs in again.
        self.outbox.mark_unwritten();
        self.auth_on_close();
        self.set_link(LinkState::Idle);
        self.link.attempt = 0;
        self.connect_now(now, out);
    }

    /// The probe closed before its first frame: try again later.
    pub(super) fn on_probe_closed(&mut self, now: u64) {
        if self.carriage.probing_since.take().is_some() {
            self.carriage.next_probe = Some(now + self.config.upgrade_every_ms);
        }
    }

    /// Forgets a probe without a command: its connection is replaced anyway.
    fn end_probe_quietly(&mut self) {
        self.carriage.probing_since = None;
        self.carriage.next_probe = None;
    }
}

impl TransportKind {
    /// Where this transport reaches the server whose WebSocket URL is `ws_url`: the scheme
    /// `ws` becomes `http` and `wss` becomes `https`, and a path ending in `/ws` ends in
    /// `/sse` or `/poll` instead (any other path gets that added); query and fragment are
    /// dropped. A WebSocket keeps `ws_url` as it is; `None` for a URL that is not `ws://` or
    /// `wss://`.
    pub fn url_for(self, ws_url: &str) -> Option<String> {
        let tail = match self {
            TransportKind::WebSocket => return Some(ws_url.to_owned()),
            TransportKind::Sse => "/sse",
            TransportKind::LongPolling => "/poll",
        };
        let (scheme, rest) = if let Some(rest) = ws_url.strip_prefix("wss://") {
            ("https://", rest)
        } else {
            ("http://", ws_url.strip_prefix("ws://")?)
        };
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = path.trim_end_matches('/');
        let base = path.strip_suffix("/ws").unwrap_or(path);
        let mut url = String::with_capacity(scheme.len() + authority.len() + base.len() + 5);
        url.push_str(scheme);
        url.push_str(authority);
        url.push_str(base);
        url.push_str(tail);
        Some(url)
    }
}

#[cfg(test)]
mod tests;
