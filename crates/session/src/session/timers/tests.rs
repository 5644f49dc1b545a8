use super::*;
use crate::session::{Input, SessionConfig};
use std::collections::BTreeSet;
use wirechat_protocol::{encode, feature, ErrorFrame, Frame, Hello, Typing};

const T0: u64 = 1_764_000_000_000;

/// Feeds `inputs` at `now` and remembers the wake-up asked for last.
struct Probe {
    session: Session,
    wake: Option<u64>,
    armed: BTreeSet<String>,
}

impl Probe {
    fn new() -> Self {
        let config = SessionConfig {
            name: "alice".into(),
            has_tokens: true,
            ..SessionConfig::default()
        };
        Self {
            session: Session::new(config, 7),
            wake: None,
            armed: BTreeSet::new(),
        }
    }

    fn feed(&mut self, now: u64, input: Input) {
        // Like the glue: a tick is the timer firing, and a fired timer is gone.
        if matches!(input, Input::Tick) {
            self.wake = None;
        }
        for command in self.session.handle(now, input) {
            if let Command::WakeAt(at) = command {
                self.wake = Some(at);
            }
        }
        self.check();
    }

    /// Every armed timer is covered by the next deadline and by the wake-up asked for.
    fn check(&mut self) {
        let next = self.session.next_deadline();
        for timer in Timer::ALL {
            if let Some(at) = self.session.deadline(timer) {
                self.armed.insert(format!("{timer:?}"));
                assert!(
                    next.is_some_and(|n| n <= at),
                    "{timer:?} at {at}, next {next:?}"
                );
                assert!(self.wake.is_some_and(|w| w <= at), "{timer:?} never woken");
            }
        }
    }
}

fn hello() -> Input {
    Input::Text(encode(&Frame::Hello(Hello {
        server: "test".into(),
        epoch: "e1".into(),
        features: vec![feature::ACK.into(), feature::PING.into()],
        max_text: None,
        handshake: None,
    })))
}

fn opened() -> Input {
    Input::Opened {
        protocol: String::new(),
    }
}

fn compose(id: &str) -> Input {
    Input::Compose {
        id: id.into(),
        text: "hi".into(),
    }
}

#[test]
fn every_armed_timer_is_reported_by_next_deadline() {
    // A full server: liveness, failing messages, rate limits and people expiring.
    let mut full = Probe::new();
    full.feed(T0, Input::Start);
    full.feed(T0, opened());
    full.feed(T0, hello());
    full.feed(T0, compose("m1"));
    full.feed(
        T0 + 1,
        Input::Text(encode(&Frame::Typing(Typing {
            room: "lobby".into(),
            from: "bob".into(),
        }))),
    );
    full.feed(
        T0 + 2,
        Input::Text(encode(&Frame::Error(ErrorFrame {
            code: wirechat_protocol::error_code::RATE_LIMITED.into(),
            message: "slow down".into(),
            id: Some("m1".into()),
            retry_after: Some(5_000),
            req: None,
        }))),
    );
    // A message the server could not store for now waits to be sent again.
    full.feed(T0 + 3, compose("m2"));
    full.feed(
        T0 + 4,
        Input::Text(encode(&Frame::Error(ErrorFrame {
            code: wirechat_protocol::error_code::UNAVAILABLE.into(),
            message: "the store is out of reach".into(),
            id: Some("m2".into()),
            retry_after: None,
            req: None,
        }))),
    );
    full.feed(T0 + 20_000, Input::Tick);
    full.feed(
        T0 + 10_500,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );

    // A relay: no hello, so the hello timeout, `here`, catch-up and relayed messages.
    let mut relay = Probe::new();
    relay.feed(T0, Input::Start);
    relay.feed(T0, opened());
    relay.feed(T0, compose("r1"));
    relay.feed(T0 + 2_500, Input::Tick);

    // A server that wants a token: the wait for the app's answer, then the renewal.
    let mut signed = Probe::new();
    signed.feed(T0, Input::Start);
    signed.feed(T0, opened());
    signed.feed(
        T0,
        Input::Text(encode(&Frame::Hello(Hello {
            server: "test".into(),
            epoch: "e1".into(),
            features: vec![feature::AUTH.into()],
            max_text: None,
            handshake: None,
        }))),
    );
    signed.feed(T0 + 1, Input::Token(Ok("t1".into())));
    signed.feed(
        T0 + 2,
        Input::Text(encode(&Frame::Authed(wirechat_protocol::Authed {
            uid: "u1".into(),
            name: "Alice".into(),
            exp: Some(T0 + 60_000),
            resume: None,
        }))),
    );

    // A WebSocket that cannot open: a fallback, and the probe for a WebSocket beside it.
    let mut fallback = Probe::new();
    fallback.feed(T0, Input::Start);
    fallback.feed(
        T0,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    fallback.feed(T0 + 30_000, Input::Tick);
    fallback.feed(T0 + 30_000, opened());
    fallback.feed(T0 + 30_000, hello());

    // A server that keeps read positions: the reader's pause before sending one.
    let mut reader = Probe::new();
    reader.feed(T0, Input::Start);
    reader.feed(T0, opened());
    reader.feed(
        T0,
        Input::Text(encode(&Frame::Hello(Hello {
            server: "test".into(),
            epoch: "e1".into(),
            features: vec![feature::ACTIONS.into()],
            max_text: None,
            handshake: None,
        }))),
    );
    reader.feed(
        T0 + 1,
        Input::Seen {
            room: "lobby".into(),
            seq: 3,
        },
    );

    let armed: BTreeSet<String> = full
        .armed
        .union(&relay.armed)
        .chain(&signed.armed)
        .chain(&fallback.armed)
        .chain(&reader.armed)
        .cloned()
        .collect();
    let all: BTreeSet<String> = Timer::ALL.iter().map(|t| format!("{t:?}")).collect();
    assert_eq!(armed, all, "each timer kind is armed by some step above");
}

#[test]
fn a_tick_before_its_deadline_asks_for_a_new_wake_up() {
    // The link drops and the session waits to try again.
    let mut probe = Probe::new();
    probe.feed(T0, Input::Start);
    probe.feed(T0, opened());
    probe.feed(T0, hello());
    probe.feed(
        T0 + 10,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    let retry = probe
        .session
        .deadline(Timer::Retry)
        .expect("waiting to retry");
    // The timer fires, but the page's clock reads a little earlier than the deadline (it
    // stepped back, or the browser ran the timer ahead of `Date.now`): nothing is due yet,
    // and the session must ask to be woken again rather than wait for a timer nobody set.
    probe.feed(retry - 1, Input::Tick);
    assert_eq!(probe.wake, Some(retry), "a new wake-up for the retry");
    probe.feed(retry, Input::Tick);
    assert!(
        probe.session.deadline(Timer::Retry).is_none(),
        "the retry fired once its time came"
    );
}
