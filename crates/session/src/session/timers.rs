//! Every timer of the session, in one table. Each [`Timer`] is one entry that says when it
//! is due ([`Session::deadline`]) and what happens then (`fire`). Both the tick handler and
//! [`Session::next_deadline`] read the table, so they cannot drift apart: a new timer is a new
//! entry, and the compiler asks for both halves.

use super::{Command, Delivery, LinkState, ServerMode, Session};
use wirechat_protocol::close_code;

/// One kind of timer the session keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timer {
    /// The wait before the next connection attempt is over.
    Retry,
    /// A socket that has not opened in time is given up on.
    ConnectTimeout,
    /// No `hello` came in time after opening: the server is a plain relay.
    HelloTimeout,
    /// On relays: announce `here` again.
    Here,
    /// A ping went unanswered for too long: the link is dead.
    Dead,
    /// The link has been silent a while: probe it with a ping.
    Ping,
    /// Relay catch-up: answers due, or request windows closing.
    CatchUp,
    /// The wait the server asked for with `rate_limited` is over.
    RateLimit,
    /// Messages the server answered with `unavailable` go out again.
    Resend,
    /// An unconfirmed own message has waited too long and becomes failed.
    FailMessage,
    /// A message left with a relay has been kept long enough.
    ForgetRelayed,
    /// Someone's presence or typing indicator runs out.
    PeopleExpiry,
    /// Signing in: renew the token, try a failed renewal again, or give up waiting for
    /// the app's token.
    SignIn,
    /// On a fallback: open a WebSocket probe, or give up on one.
    Probe,
    /// The reader paused: send how far they read.
    Read,
}

impl Timer {
    /// Every timer, in the order a tick fires those that are due.
    pub(super) const ALL: [Timer; 15] = [
        Timer::Retry,
        Timer::ConnectTimeout,
        Timer::HelloTimeout,
        Timer::Here,
        Timer::Dead,
        Timer::Ping,
        Timer::CatchUp,
        Timer::RateLimit,
        Timer::Resend,
        Timer::FailMessage,
        Timer::ForgetRelayed,
        Timer::PeopleExpiry,
        Timer::SignIn,
        Timer::Probe,
        Timer::Read,
    ];
}

impl Session {
    /// When `timer` is due, if it is armed.
    pub(super) fn deadline(&self, timer: Timer) -> Option<u64> {
        let config = &self.config;
        match (timer, &self.link.state) {
            (Timer::Retry, LinkState::Waiting { until }) => Some(*until),
            (Timer::ConnectTimeout, LinkState::Connecting { since }) => {
                Some(since + config.connect_timeout_ms)
            }
            (Timer::HelloTimeout, LinkState::Open { since, .. }) => {
                (self.mode == ServerMode::Unknown).then_some(since + config.hello_timeout_ms)
            }
            (Timer::Here, LinkState::Open { .. }) => {
                self.next_here.filter(|_| self.mode == ServerMode::Relay)
            }
            // Death needs an unanswered probe, however long the silence: a late tick probes.
            (
                Timer::Dead,
                LinkState::Open {
                    ping_sent: Some(at),
                    ..
                },
            ) => self
                .answers_pings()
                .then_some(at + config.dead_after_ms.saturating_sub(config.ping_after_ms)),
            (
                Timer::Ping,
                LinkState::Open {
                    last_rx,
                    ping_sent: None,
                    ..
                },
            ) => self
                .answers_pings()
                .then_some(last_rx + config.ping_after_ms),
            (Timer::CatchUp, _) => self.catchup.next_deadline(),
            (Timer::RateLimit, _) => self.rate_limited_until,
            (Timer::Resend, _) => self.resend_at,
            (Timer::FailMessage, _) => self
                .outbox
                .oldest_pending()
                .map(|created| created + config.fail_after_ms),
            (Timer::ForgetRelayed, _) => self
                .outbox
                .oldest_relayed()
                .map(|left| left.saturating_add(config.fail_after_ms)),
            (Timer::PeopleExpiry, _) => self
                .rooms
                .values()
                .filter_map(|r| r.people.next_expiry())
                .min(),
            (Timer::SignIn, _) => self.sign_in_deadline(),
            (Timer::Probe, _) => self.probe_deadline(),
            (Timer::Read, _) => self.read_deadline(),
            _ => None,
        }
    }

    /// The earliest time any timer is due.
    pub(super) fn next_deadline(&self) -> Option<u64> {
        Timer::ALL.iter().filter_map(|t| self.deadline(*t)).min()
    }

    /// Fires, in table order, every timer due at `now`. Each deadline is read just before
    /// its turn, so a timer armed by an earlier one in the same tick (a relay's first
    /// `here`, say) fires in that tick too.
    pub(super) fn on_tick(&mut self, now: u64, out: &mut Vec<Command>) {
        for timer in Timer::ALL {
            if self.deadline(timer).is_some_and(|at| now >= at) {
                self.fire(timer, now, out);
            }
        }
    }

    fn fire(&mut self, timer: Timer, now: u64, out: &mut Vec<Command>) {
        match timer {
            Timer::Retry => self.connect_now(now, out),
            Timer::ConnectTimeout => {
                out.push(Command::Close {
                    code: close_code::NORMAL,
                    reason: "connect timeout".into(),
                });
                self.fall_back(false);
                self.schedule_retry(now);
            }
            Timer::HelloTimeout => {
                self.mode = ServerMode::Relay;
                self.link.attempt = 0;
                self.carriage_on_relay();
                // A relay never confirms: what was written is as far as it goes.
                for item in self.outbox.mark_relayed(now) {
                    self.set_delivery(&item.room, &item.id, Delivery::Sent, None);
                }
                if !self.auth.admitted {
                    self.begin_chat(now, out);
                }
                self.next_here = Some(now);
                self.ask_all_for_missed(now, out);
                self.touch();
            }
            Timer::Here => self.announce_here(now, out),
            Timer::Dead => {
                out.push(Command::Close {
                    code: close_code::NORMAL,
                    reason: "no sign of life".into(),
                });
                self.outbox.mark_unwritten();
                self.schedule_retry(now);
            }
            Timer::Ping => self.send_ping(now, out),
            Timer::CatchUp => self.answer_due(now, out),
            Timer::RateLimit => self.end_rate_limit(now, out),
            Timer::Resend => self.resend_unavailable(now, out),
            Timer::FailMessage => {
                self.fail_overdue(now);
                self.send_next_in_line(now, out);
            }
            Timer::ForgetRelayed => self.outbox.prune_relayed(now, self.config.fail_after_ms),
            Timer::PeopleExpiry => {
                let mut expired = false;
                for (_, joined) in self.rooms.iter_mut() {
                    expired |= joined.people.expire(now);
                }
                if expired {
                    self.touch();
                }
            }
            Timer::SignIn => self.fire_sign_in(now, out),
            Timer::Probe => self.fire_probe(now, out),
            Timer::Read => self.send_read_positions(now, out),
        }
    }
}

#[cfg(test)]
mod tests;
