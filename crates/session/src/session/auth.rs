//! Identity: who this connection is, and the tokens that say so. A server that requires a
//! token (`auth` in `hello.features`) gets one as the first frame, asked of the app with
//! [`Command::NeedToken`]; rooms are joined only once it answers `authed`. The token is
//! renewed on the open connection before it expires. A refused token is never sent again, and
//! every failure to sign in waits longer than the last (see [`SignIn::retry_delay`]).
//!
//! Guests (servers without `auth`) get a server-made `uid` in `authed`, and may get a `resume`
//! token that signs the same guest in again; it is kept and sent first on later connections.
//!
//! Own messages are recognised by that `uid` when the server stamps messages with one.

use super::{Command, LinkState, Session};
use crate::backoff::Jitter;
use wirechat_protocol::{encode, feature, Auth, Authed, ErrorFrame, Frame, Hello};

/// Renew at the latest this long before the identity expires.
const REFRESH_LEAD_MS: u64 = 30_000;

/// Never ask for a renewal sooner than this after the last identity came: a token that lives
/// only seconds would otherwise be renewed without pause.
const MIN_REFRESH_GAP_MS: u64 = 1_000;

/// How many refused tokens are remembered (none of them is ever sent again).
const REFUSED_KEPT: usize = 8;

/// Why signing in failed; the UI words it in the user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInProblem {
    /// The app could not get a token; its own words (a network error, a status code).
    NoToken(String),
    /// The app did not answer the request for a token in time.
    NoAnswer,
    /// The server refused the token (invalid or expired).
    Refused,
    /// The app gave again a token the server had refused.
    SameToken,
}

/// Who the server says this connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user id messages of this user carry.
    pub uid: String,
    /// The name from the token; empty for guests.
    pub name: String,
    /// When the identity expires (ms since the epoch); `None` for guests.
    pub exp: Option<u64>,
}

impl Identity {
    /// Whether this is a signed-in user (a token's identity) rather than a guest.
    pub fn signed_in(&self) -> bool {
        self.exp.is_some() || !self.name.is_empty()
    }
}

/// Where the request for a token stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ask {
    /// Nothing asked.
    Idle,
    /// The app was asked at this time and has not answered.
    Waiting { since: u64 },
    /// This token went to the server, which has not answered yet.
    Sent { token: String },
}

/// A token the server accepted.
#[derive(Debug, Clone)]
struct Accepted {
    token: String,
    /// Ask for a new one from this time on (and never reuse this one from then).
    renew_at: u64,
    /// When the server said it expires.
    exp: Option<u64>,
}

/// The sign-in state of a session.
#[derive(Debug)]
pub(super) struct SignIn {
    /// The app answers [`Command::NeedToken`].
    has_tokens: bool,
    /// The current connection's `hello` asked for a token.
    required: bool,
    /// Joins and messages may go out on the current connection.
    pub admitted: bool,
    ask: Ask,
    accepted: Option<Accepted>,
    /// A token the app gave while no connection could take it; used by the next one.
    fresh: Option<String>,
    refused: Vec<String>,
    /// Who the server says this connection is.
    pub identity: Option<Identity>,
    /// The last failure, until an identity is accepted again.
    pub problem: Option<SignInProblem>,
    /// Failures since the last accepted token; drives [`SignIn::retry_delay`].
    failures: u32,
    /// After a failed request for a token: ask again at this time, not before, on this
    /// connection or the next one (a dropped link must not cut the backoff short).
    renew_retry: Option<u64>,
    /// The guest's `resume` token.
    pub resume: Option<String>,
    jitter: Jitter,
}

impl SignIn {
    pub fn new(has_tokens: bool, resume: Option<String>, seed: u64) -> Self {
        Self {
            has_tokens,
            required: false,
            admitted: false,
            ask: Ask::Idle,
            accepted: None,
            fresh: None,
            refused: Vec::new(),
            identity: None,
            problem: None,
            failures: 0,
            renew_retry: None,
            resume,
            jitter: Jitter::new(seed.rotate_left(17)),
        }
    }

    /// Whether joins must wait for the `hello`: something may have to go first.
    fn waits_for_hello(&self) -> bool {
        self.has_tokens || self.resume.is_some()
    }

    /// Whether `token` must not be sent: the server refused it, a newer one replaced it, or
    /// the server said it expired by `now`.
    fn is_spent(&self, token: &str, now: u64) -> bool {
        self.refused.iter().any(|t| t == token)
            || self
                .accepted
                .as_ref()
                .is_some_and(|a| a.token == token && a.exp.is_some_and(|exp| exp <= now))
    }

    fn refuse(&mut self, token: String) {
        if !self.refused.contains(&token) {
            if self.refused.len() == REFUSED_KEPT {
                self.refused.remove(0);
            }
            self.refused.push(token);
        }
    }

    /// The wait after the `failures`-th failure: at least half the backoff ceiling, so that
    /// failures come ever further apart and never in a tight loop.
    fn retry_delay(&mut self, backoff: &crate::BackoffConfig) -> u64 {
        let ceiling = backoff.ceiling(self.failures.saturating_sub(1));
        let half = ceiling / 2;
        half + (half as f64 * self.jitter.next_unit()) as u64
    }

    fn failed(&mut self, problem: SignInProblem) {
        self.failures = self.failures.saturating_add(1);
        self.problem = Some(problem);
    }
}

/// When to renew an identity that came at `now` and expires at `exp`: the earlier of 80 % of
/// its remaining life and [`REFRESH_LEAD_MS`] before `exp`, but no sooner than half its life
/// (nor sooner than [`MIN_REFRESH_GAP_MS`], even for an identity that is about to end).
pub(super) fn renew_time(now: u64, exp: u64) -> u64 {
    let life = exp.saturating_sub(now);
    let lead = (life * 4 / 5).min(life.saturating_sub(REFRESH_LEAD_MS));
    now + lead.max(life / 2).max(MIN_REFRESH_GAP_MS)
}

impl Session {
    /// The identity the server gave this connection (after `authed`).
    pub fn identity(&self) -> Option<&Identity> {
        self.auth.identity.as_ref()
    }

    /// The name of the signed-in user, `None` for guests.
    pub fn signed_in_as(&self) -> Option<&str> {
        self.auth
            .identity
            .as_ref()
            .filter(|i| i.signed_in())
            .map(|i| i.name.as_str())
    }

    /// Why signing in failed last, until it succeeds again.
    pub fn sign_in_problem(&self) -> Option<&SignInProblem> {
        self.auth.problem.as_ref()
    }

    /// Whether this client's messages and joins may go out now.
    pub(super) fn can_chat(&self) -> bool {
        self.link.is_open() && self.auth.admitted
    }

    /// Joins every room (but those refused) and sends what waits in the outbox.
    pub(super) fn begin_chat(&mut self, now: u64, out: &mut Vec<Command>) {
        self.auth.admitted = true;
        let rooms: Vec<String> = self
            .rooms
            .iter()
            .filter(|(_, r)| !r.forbidden)
            .map(|(name, _)| name.clone())
            .collect();
        for room in rooms {
            self.send_join(&room, out);
        }
        self.flush_outbox(now, out);
        self.touch();
    }

    /// The socket opened: chat at once, unless something must go before the joins.
    pub(super) fn auth_on_open(&mut self, now: u64, out: &mut Vec<Command>) {
        self.auth.required = false;
        self.auth.admitted = false;
        if !self.auth.waits_for_hello() {
            self.begin_chat(now, out);
        }
    }

    /// The `hello` came: sign in if the server asks for it, resume the guest if not.
    pub(super) fn auth_on_hello(&mut self, now: u64, hello: &Hello, out: &mut Vec<Command>) {
        self.auth.required = hello.has(feature::AUTH);
        if !self.auth.required {
            self.link.attempt = 0;
            if let Some(resume) = self.auth.resume.clone() {
                out.push(send_auth(resume));
            }
            if !self.auth.admitted {
                self.begin_chat(now, out);
            }
            return;
        }
        if !self.auth.has_tokens {
            out.push(Command::Close {
                code: wirechat_protocol::close_code::NORMAL,
                reason: "sign-in required".into(),
            });
            self.set_link(LinkState::Stopped {
                reason: super::ClosedReason::SignInRequired,
            });
            return;
        }
        let reusable = self
            .auth
            .accepted
            .as_ref()
            .filter(|a| now < a.renew_at && a.exp.is_none_or(|exp| now < exp))
            .map(|a| a.token.clone());
        // A token kept from an earlier connection goes only while it is neither spent nor the
        // accepted one past its renewal time.
        let fresh = self.auth.fresh.take().filter(|t| {
            !self.auth.is_spent(t, now) && self.auth.accepted.as_ref().is_none_or(|a| a.token != *t)
        });
        if let Some(token) = fresh.or(reusable) {
            self.auth.ask = Ask::Sent {
                token: token.clone(),
            };
            out.push(send_auth(token));
        } else if !matches!(self.auth.ask, Ask::Waiting { .. })
            && self.auth.renew_retry.is_none_or(|at| at <= now)
        {
            self.ask_for_token(now, out);
        }
        // Otherwise the sign-in timer asks when the backoff of the last failure ends.
    }

    fn ask_for_token(&mut self, now: u64, out: &mut Vec<Command>) {
        self.auth.ask = Ask::Waiting { since: now };
        self.auth.renew_retry = None;
        out.push(Command::NeedToken);
    }

    /// The app answered [`Command::NeedToken`].
    pub(super) fn on_token(
        &mut self,
        now: u64,
        answer: Result<String, String>,
        out: &mut Vec<Command>,
    ) {
        if !matches!(self.auth.ask, Ask::Waiting { .. }) {
            // Nobody asked, or the question timed out: too late to use.
            return;
        }
        self.auth.ask = Ask::Idle;
        let problem = match answer {
            Err(why) => Some(SignInProblem::NoToken(why)),
            Ok(token) if token.is_empty() => Some(SignInProblem::NoToken(String::new())),
            Ok(token) if self.auth.is_spent(&token, now) => Some(SignInProblem::SameToken),
            Ok(token)
                if self.auth.admitted
                    && self
                        .auth
                        .accepted
                        .as_ref()
                        .is_some_and(|a| a.token == token) =>
            {
                // Nothing new to renew with: ask again later, while the current one lasts.
                self.auth.failures = self.auth.failures.saturating_add(1);
                let delay = self.auth.retry_delay(&self.config.backoff);
                self.auth.renew_retry = Some(now + delay.max(MIN_REFRESH_GAP_MS));
                self.touch();
                return;
            }
            Ok(token) => {
                if self.link.is_open() && self.auth.required {
                    self.auth.ask = Ask::Sent {
                        token: token.clone(),
                    };
                    out.push(send_auth(token));
                } else {
                    self.auth.fresh = Some(token);
                }
                return;
            }
        };
        if let Some(problem) = problem {
            self.sign_in_failed(now, problem, out);
        }
    }

    /// A failure to get a usable token. Before the identity is accepted this connection is of
    /// no use: it closes, and the next attempt waits. On a signed-in connection a renewal is
    /// tried again later, while the current identity lasts.
    fn sign_in_failed(&mut self, now: u64, problem: SignInProblem, out: &mut Vec<Command>) {
        self.auth.failed(problem);
        let delay = self.auth.retry_delay(&self.config.backoff);
        if self.link.is_open() && self.auth.admitted {
            self.auth.renew_retry = Some(now + delay.max(MIN_REFRESH_GAP_MS));
            self.touch();
            return;
        }
        if matches!(
            self.link.state,
            LinkState::Open { .. } | LinkState::Connecting { .. }
        ) {
            // The socket (open or opening) is of no use without a token; the next attempt
            // waits.
            out.push(Command::Close {
                code: wirechat_protocol::close_code::NORMAL,
                reason: "no token".into(),
            });
            self.outbox.mark_unwritten();
            self.retry_after(now, delay);
        }
        self.touch();
    }

    /// `authed`: who this connection is.
    pub(super) fn on_authed(&mut self, now: u64, authed: Authed, out: &mut Vec<Command>) {
        if let Some(resume) = authed.resume.clone() {
            if self.auth.resume.as_ref() != Some(&resume) {
                self.auth.resume = Some(resume.clone());
                out.push(Command::KeepResume(resume));
            }
        }
        if let Ask::Sent { token } = std::mem::replace(&mut self.auth.ask, Ask::Idle) {
            let renew_at = authed.exp.map_or(u64::MAX, |exp| renew_time(now, exp));
            if let Some(old) = self.auth.accepted.take().filter(|a| a.token != token) {
                // Replaced by a newer token: the old one is not offered again.
                self.auth.refuse(old.token);
            }
            self.auth.accepted = Some(Accepted {
                token,
                renew_at,
                exp: authed.exp,
            });
            self.auth.failures = 0;
            self.auth.problem = None;
            self.auth.renew_retry = None;
            self.link.attempt = 0;
        }
        self.auth.identity = Some(Identity {
            uid: authed.uid,
            name: authed.name,
            exp: authed.exp,
        });
        if self.auth.required && !self.auth.admitted && self.auth.accepted.is_some() {
            self.begin_chat(now, out);
        }
        self.touch();
    }

    /// `error` `unauthorized`: the token just sent, or the one in use (it expired), is refused
    /// for good. The server closes with 4001 next.
    pub(super) fn on_unauthorized(&mut self, _err: &ErrorFrame) {
        match std::mem::replace(&mut self.auth.ask, Ask::Idle) {
            Ask::Sent { token } => self.auth.refuse(token),
            _ => {
                if let Some(accepted) = self.auth.accepted.take() {
                    self.auth.refuse(accepted.token);
                }
            }
        }
        self.auth.problem = Some(SignInProblem::Refused);
    }

    /// The socket closed with 4001: reconnect with a fresh token, after a growing wait.
    pub(super) fn on_unauthorized_close(&mut self, now: u64) {
        if let Ask::Sent { token } = std::mem::replace(&mut self.auth.ask, Ask::Idle) {
            self.auth.refuse(token);
        }
        if let Some(accepted) = self.auth.accepted.take() {
            // Whichever token this connection held is not to be offered again.
            self.auth.refuse(accepted.token);
        }
        self.auth.failed(SignInProblem::Refused);
        let delay = self.auth.retry_delay(&self.config.backoff);
        self.outbox.mark_unwritten();
        self.retry_after(now, delay);
    }

    /// Any other close: a token on its way to the server was neither taken nor refused, so the
    /// next connection may offer it.
    pub(super) fn auth_on_close(&mut self) {
        // A request to the app still waiting stays: its answer serves the next connection.
        if let Ask::Sent { token } = &self.auth.ask {
            self.auth.fresh = Some(token.clone());
            self.auth.ask = Ask::Idle;
        }
        self.auth.admitted = false;
    }

    /// When the sign-in timer is due: a renewal, a renewal tried again, or an unanswered
    /// request for a token given up on.
    pub(super) fn sign_in_deadline(&self) -> Option<u64> {
        match (&self.auth.ask, &self.link.state) {
            (Ask::Waiting { since }, _) => Some(since + self.config.token_timeout_ms),
            (Ask::Idle, LinkState::Open { .. }) if self.auth.required && self.auth.admitted => {
                let renew = self.auth.accepted.as_ref().map(|a| a.renew_at);
                match (renew, self.auth.renew_retry) {
                    (Some(at), Some(retry)) => Some(at.max(retry)),
                    (Some(at), None) => Some(at),
                    (None, retry) => retry,
                }
            }
            // A new connection that needs a token, waiting out the last failure's backoff.
            (Ask::Idle, LinkState::Open { .. }) if self.auth.required => self.auth.renew_retry,
            _ => None,
        }
    }

    pub(super) fn fire_sign_in(&mut self, now: u64, out: &mut Vec<Command>) {
        if matches!(self.auth.ask, Ask::Waiting { .. }) {
            self.auth.ask = Ask::Idle;
            self.sign_in_failed(now, SignInProblem::NoAnswer, out);
        } else {
            self.ask_for_token(now, out);
        }
    }
}

fn send_auth(token: String) -> Command {
    Command::Send(encode(&Frame::Auth(Auth { token })))
}
