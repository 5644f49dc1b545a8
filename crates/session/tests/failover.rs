//! Failover: a session configured with several servers moves on to the next one after
//! failed attempts, resumes there by `seq` and epoch, and sends its unconfirmed messages
//! there once.

use wirechat_protocol::{encode, feature, Ack, ChatMessage, Frame, History, Join, Timestamp};
use wirechat_session::{Command, Input, Session, SessionConfig, Status, MOVE_ON_AFTER};

use crate::support;

use support::sent;

const T0: u64 = 1_764_000_000_000;
const A: &str = "ws://a.example/ws";
const B: &str = "ws://b.example/ws";

fn session(servers: &[&str]) -> Session {
    let config = SessionConfig {
        name: "alice".into(),
        rooms: vec!["lobby".into()],
        servers: servers.iter().map(|s| (*s).to_owned()).collect(),
        ..SessionConfig::default()
    };
    Session::new(config, 7)
}

/// The address of the socket `commands` open, if they open one.
fn connects_to(commands: &[Command]) -> Option<String> {
    commands.iter().find_map(|c| match c {
        Command::Connect { url, .. } => Some(url.clone()),
        _ => None,
    })
}

fn opened() -> Input {
    Input::Opened {
        protocol: String::new(),
    }
}

fn lost() -> Input {
    Input::Closed {
        code: 1006,
        reason: String::new(),
    }
}

/// The `join` among `commands`.
fn join_of(commands: &[Command]) -> Join {
    sent(commands)
        .into_iter()
        .find_map(|f| match f {
            Frame::Join(j) => Some(j),
            _ => None,
        })
        .expect("a join")
}

fn message(seq: u64, id: &str) -> ChatMessage {
    ChatMessage {
        uid: None,
        id: id.into(),
        room: "lobby".into(),
        from: "bob".into(),
        text: format!("message {seq}"),
        ts: Timestamp::saturating_from_millis(T0),
        seq: Some(seq),
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

/// Waits out the backoff and returns the commands of the next attempt.
fn next_attempt(s: &mut Session) -> Vec<Command> {
    let Status::Reconnecting { at } = s.status() else {
        panic!("not waiting to reconnect: {:?}", s.status());
    };
    s.handle(at, Input::Tick)
}

#[test]
fn a_lost_node_is_tried_again_then_the_next_one_resumes_by_seq_and_epoch() {
    let mut s = session(&[A, B]);
    assert_eq!(connects_to(&s.handle(T0, Input::Start)).as_deref(), Some(A));
    let req = join_of(&s.handle(T0, opened())).req;
    s.handle(T0, support::hello(&[feature::HISTORY, feature::ACK]));
    // The join's answer: three messages, the newest 3.
    s.handle(
        T0,
        Input::Text(encode(&Frame::History(History {
            room: "lobby".into(),
            msgs: (1..=3)
                .map(|seq| message(seq, &format!("m{seq}")))
                .collect(),
            more: false,
            latest: Some(3),
            name: None,
            req,
            read: None,
        }))),
    );
    // A message written while the node dies waits in the outbox.
    s.handle(T0 + 1, lost());
    s.handle(
        T0 + 2,
        Input::Compose {
            id: "mine".into(),
            text: "still here?".into(),
        },
    );

    // A connection that worked is not a failure: the same node first.
    for _ in 0..MOVE_ON_AFTER {
        let attempt = next_attempt(&mut s);
        assert_eq!(connects_to(&attempt).as_deref(), Some(A));
        s.handle(T0 + 3, lost());
    }
    let attempt = next_attempt(&mut s);
    assert_eq!(connects_to(&attempt).as_deref(), Some(B));
    assert_eq!(s.server(), B);

    let on_open = s.handle(T0 + 4, opened());
    let join = join_of(&on_open);
    assert_eq!(join.after, Some(3));
    assert_eq!(join.epoch.as_deref(), Some("e1"));

    // The same epoch (one cluster): the outbox goes out once, and the ack confirms it.
    let on_hello = s.handle(T0 + 5, support::hello(&[feature::HISTORY, feature::ACK]));
    let resent: Vec<_> = sent(&[on_open, on_hello].concat())
        .into_iter()
        .filter(|f| matches!(f, Frame::Msg(m) if m.id == "mine"))
        .collect();
    assert_eq!(resent.len(), 1);
    s.handle(
        T0 + 6,
        Input::Text(encode(&Frame::Ack(Ack {
            id: "mine".into(),
            room: "lobby".into(),
            seq: Some(4),
        }))),
    );
    assert!(s.unconfirmed().is_empty());
    let seqs: Vec<_> = s
        .room("lobby")
        .unwrap()
        .entries()
        .iter()
        .filter_map(|e| e.msg.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
}

#[test]
fn a_socket_that_opens_but_never_says_hello_counts_as_a_failure() {
    let mut s = session(&[A, B]);
    s.handle(T0, Input::Start);
    let mut began = T0;
    let mut urls = Vec::new();
    for _ in 0..MOVE_ON_AFTER {
        s.handle(began, opened());
        s.handle(began + 1, lost());
        let Status::Reconnecting { at } = s.status() else {
            panic!("waits to try again: {:?}", s.status());
        };
        urls.push(connects_to(&s.handle(at, Input::Tick)).expect("tries again"));
        began = at;
    }
    assert_eq!(urls.last().map(String::as_str), Some(B));
    assert!(urls[..urls.len() - 1].iter().all(|u| u == A));
}

#[test]
fn a_socket_that_never_opens_times_out_and_counts_as_a_failure() {
    let mut s = session(&[A, B]);
    s.handle(T0, Input::Start);
    let timeout = SessionConfig::default().connect_timeout_ms;
    let mut began = T0;
    let mut last = None;
    for _ in 0..MOVE_ON_AFTER {
        s.handle(began + timeout, Input::Tick);
        let Status::Reconnecting { at } = s.status() else {
            panic!("gave up on the attempt: {:?}", s.status());
        };
        last = connects_to(&s.handle(at, Input::Tick));
        began = at;
    }
    assert_eq!(last.as_deref(), Some(B));
}

#[test]
fn without_a_list_the_glue_is_told_no_address() {
    let mut s = session(&[]);
    assert_eq!(
        connects_to(&s.handle(T0, Input::Start)).as_deref(),
        Some("")
    );
    for _ in 0..5 {
        s.handle(T0, lost());
        assert_eq!(connects_to(&next_attempt(&mut s)).as_deref(), Some(""));
    }
}
