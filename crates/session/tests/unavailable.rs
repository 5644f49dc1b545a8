//! A message the server answers with `unavailable` (its store is out of reach) stays
//! pending and goes out again by itself, once, until its usual deadline.

use wirechat_protocol::{encode, error_code, feature, Ack, ErrorFrame, Frame};
use wirechat_session::{Command, Delivery, Input, Session, SessionConfig};

use crate::support;

use support::sent;

const T0: u64 = 1_764_000_000_000;

fn connected() -> Session {
    let mut s = support::opened("alice", "lobby", T0);
    s.handle(T0, support::hello(&[feature::HISTORY, feature::ACK]));
    s
}

fn unavailable(id: &str) -> Input {
    Input::Text(encode(&Frame::Error(ErrorFrame {
        code: error_code::UNAVAILABLE.into(),
        message: "the store is out of reach".into(),
        id: Some(id.into()),
        retry_after: None,
        req: None,
    })))
}

fn writes_of(commands: &[Command], id: &str) -> usize {
    sent(commands)
        .iter()
        .filter(|f| matches!(f, Frame::Msg(m) if m.id == id))
        .count()
}

fn delivery(s: &Session, id: &str) -> Option<Delivery> {
    s.room("lobby")?.get(id)?.delivery
}

/// Runs the session's timers from `from` to `to`, returning every command.
fn run_until(s: &mut Session, from: u64, to: u64) -> Vec<Command> {
    let mut out = Vec::new();
    let mut now = from;
    while now <= to {
        out.extend(s.handle(now, Input::Tick));
        now += 100;
    }
    out
}

#[test]
fn an_unavailable_message_stays_pending_and_goes_out_again_once() {
    let mut s = connected();
    let first = s.handle(
        T0 + 10,
        Input::Compose {
            id: "m1".into(),
            text: "hello".into(),
        },
    );
    assert_eq!(writes_of(&first, "m1"), 1);
    s.handle(T0 + 20, unavailable("m1"));
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Pending));

    let later = run_until(&mut s, T0 + 20, T0 + 5_000);
    assert_eq!(writes_of(&later, "m1"), 1, "written again once");

    s.handle(
        T0 + 5_100,
        Input::Text(encode(&Frame::Ack(Ack {
            id: "m1".into(),
            room: "lobby".into(),
            seq: Some(1),
        }))),
    );
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Delivered));
    assert!(s.unconfirmed().is_empty());
}

#[test]
fn a_message_the_server_keeps_refusing_fails_at_its_usual_deadline() {
    let mut s = connected();
    s.handle(
        T0,
        Input::Compose {
            id: "m1".into(),
            text: "hello".into(),
        },
    );
    s.handle(T0, unavailable("m1"));
    let deadline = T0 + SessionConfig::default().fail_after_ms;
    let mut now = T0;
    let mut writes = 1;
    while now < deadline + 1_000 {
        let out = s.handle(now, Input::Tick);
        if writes_of(&out, "m1") > 0 {
            writes += 1;
            s.handle(now, unavailable("m1"));
        }
        now += 100;
    }
    assert!(writes > 10, "tried again and again: {writes}");
    assert_eq!(delivery(&s, "m1"), Some(Delivery::Failed));
}

fn compose(s: &mut Session, now: u64, id: &str) -> Vec<Command> {
    s.handle(
        now,
        Input::Compose {
            id: id.into(),
            text: format!("text of {id}"),
        },
    )
}

fn ack(id: &str, seq: u64) -> Input {
    Input::Text(encode(&Frame::Ack(Ack {
        id: id.into(),
        room: "lobby".into(),
        seq: Some(seq),
    })))
}

/// The ids of the messages written by `commands`, in order.
fn written(commands: &[Command]) -> Vec<String> {
    sent(commands)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Msg(m) => Some(m.id),
            _ => None,
        })
        .collect()
}

#[test]
fn after_a_refusal_messages_go_out_one_at_a_time_in_the_order_written() {
    let mut s = connected();
    assert_eq!(written(&compose(&mut s, T0 + 10, "m1")), ["m1"]);
    s.handle(T0 + 20, unavailable("m1"));
    // Written during the wait: held back, behind m1.
    assert!(written(&compose(&mut s, T0 + 300, "m2")).is_empty());
    assert!(written(&compose(&mut s, T0 + 400, "m3")).is_empty());

    // The wait is over: m1 alone, so a store that comes back cannot take m2 first.
    let resent = run_until(&mut s, T0 + 400, T0 + 3_000);
    assert_eq!(written(&resent), ["m1"]);
    // Refused again: still first in line.
    s.handle(T0 + 3_100, unavailable("m1"));
    let resent = run_until(&mut s, T0 + 3_100, T0 + 6_000);
    assert_eq!(written(&resent), ["m1"]);

    // Each confirmation lets the next one go.
    assert_eq!(written(&s.handle(T0 + 6_100, ack("m1", 1))), ["m2"]);
    assert_eq!(written(&s.handle(T0 + 6_200, ack("m2", 2))), ["m3"]);
    assert!(written(&s.handle(T0 + 6_300, ack("m3", 3))).is_empty());

    // Nothing waits any more: messages go out at once again, as many as are written.
    assert_eq!(written(&compose(&mut s, T0 + 6_400, "m4")), ["m4"]);
    assert_eq!(written(&compose(&mut s, T0 + 6_410, "m5")), ["m5"]);
}

#[test]
fn one_at_a_time_holds_across_a_reconnect() {
    let mut s = connected();
    compose(&mut s, T0 + 10, "m1");
    compose(&mut s, T0 + 11, "m2");
    s.handle(T0 + 20, unavailable("m1"));
    s.handle(T0 + 21, unavailable("m2"));
    s.handle(
        T0 + 30,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    let mut out = run_until(&mut s, T0 + 30, T0 + 10_000);
    out.extend(s.handle(
        T0 + 10_100,
        Input::Opened {
            protocol: String::new(),
        },
    ));
    out.extend(s.handle(
        T0 + 10_100,
        support::hello(&[feature::HISTORY, feature::ACK]),
    ));
    out.extend(run_until(&mut s, T0 + 10_100, T0 + 12_000));
    assert_eq!(written(&out), ["m1"], "m2 waits for m1");
    assert_eq!(written(&s.handle(T0 + 12_100, ack("m1", 1))), ["m2"]);
}
