//! Loading older history until a wanted message is held (`Input::LoadUntil`), so the list
//! can show a search result or a reply's original among its neighbours.

use wirechat_protocol::{encode, feature, ChatMessage, Fetch, Frame, History, Timestamp};
use wirechat_session::{Command, Input, Session};

use crate::support;

use support::sent;

const T0: u64 = 1_764_000_000_000;
const ROOM: &str = "lobby";

fn msg(seq: u64) -> ChatMessage {
    ChatMessage {
        id: format!("m{seq}"),
        room: ROOM.into(),
        from: "bob".into(),
        text: format!("message {seq}"),
        ts: Timestamp::saturating_from_millis(T0),
        seq: Some(seq),
        uid: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

/// A page of the messages numbered `seqs`, answering request `req`.
fn page(seqs: std::ops::RangeInclusive<u64>, more: bool, req: Option<u64>) -> Input {
    Input::Text(encode(&Frame::History(History {
        room: ROOM.into(),
        msgs: seqs.map(msg).collect(),
        more,
        latest: Some(1_000),
        name: None,
        req,
        read: None,
    })))
}

/// The `fetch` frames among `commands`.
fn fetches(commands: &[Command]) -> Vec<Fetch> {
    sent(commands)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Fetch(fetch) => Some(fetch),
            _ => None,
        })
        .collect()
}

/// A session joined to a room of 1,000 messages whose join answer held the newest 200.
fn joined() -> Session {
    let mut s = support::opened("alice", ROOM, T0);
    s.handle(T0, support::hello(&[feature::HISTORY, feature::SEARCH]));
    s.handle(T0, page(801..=1_000, true, None));
    s
}

#[test]
fn older_pages_are_loaded_until_the_wanted_message_is_held() {
    let mut s = joined();
    let first = fetches(&s.handle(T0 + 1, Input::LoadUntil(350)));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].before, Some(801));
    assert!(s.revealing(ROOM));

    // The page below 801 does not reach 350 yet: the next one is asked for at once.
    let second = fetches(&s.handle(T0 + 2, page(601..=800, true, first[0].req)));
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].before, Some(601));
    let third = fetches(&s.handle(T0 + 3, page(401..=600, true, second[0].req)));
    assert_eq!(third[0].before, Some(401));

    // This page holds 350: nothing more is asked, and the log has it among its neighbours.
    let done = fetches(&s.handle(T0 + 4, page(201..=400, true, third[0].req)));
    assert!(done.is_empty(), "asked again: {done:?}");
    assert!(!s.revealing(ROOM));
    let log = s.room(ROOM).unwrap();
    assert!(log.get("m350").is_some());
    let seqs: Vec<u64> = log.entries().iter().filter_map(|e| e.msg.seq).collect();
    assert_eq!(
        seqs,
        (201..=1_000).collect::<Vec<_>>(),
        "no hole in the log"
    );
}

#[test]
fn a_message_already_held_needs_no_fetch() {
    let mut s = joined();
    assert!(fetches(&s.handle(T0 + 1, Input::LoadUntil(900))).is_empty());
    assert!(!s.revealing(ROOM));
}

#[test]
fn loading_stops_at_the_beginning_of_the_room() {
    let mut s = joined();
    let first = fetches(&s.handle(T0 + 1, Input::LoadUntil(5)));
    // The server has nothing before 790 after all (trimmed): no further page is asked.
    let after = fetches(&s.handle(T0 + 2, page(790..=800, false, first[0].req)));
    assert!(after.is_empty());
    assert!(!s.revealing(ROOM));
}

/// The unread part of a room as it was when the room was opened: from the join answer's
/// `read` to its `latest`, however far the reader reads on and whatever arrives later.
#[test]
fn the_unread_part_is_the_one_at_join() {
    let mut s = support::opened("alice", ROOM, T0);
    s.handle(T0, support::hello(&[feature::HISTORY, feature::ACTIONS]));
    s.handle(
        T0,
        Input::Text(encode(&Frame::History(History {
            room: ROOM.into(),
            msgs: (1..=20).map(msg).collect(),
            more: false,
            latest: Some(20),
            name: None,
            req: None,
            read: Some(12),
        }))),
    );
    assert_eq!(s.unread_at_join(ROOM), Some((12, 20)));
    s.handle(
        T0 + 1,
        Input::Seen {
            room: ROOM.into(),
            seq: 20,
        },
    );
    s.handle(T0 + 2, Input::Text(encode(&Frame::Msg(msg(21)))));
    assert_eq!(s.read_position(ROOM), Some(20));
    assert_eq!(
        s.unread_at_join(ROOM),
        Some((12, 20)),
        "the marker stays put"
    );
}

#[test]
fn a_room_is_synced_once_its_join_is_answered_on_the_current_socket() {
    let mut s = support::opened("alice", ROOM, T0);
    s.handle(T0, support::hello(&[feature::HISTORY]));
    // Until the room's newest page is held, a message not held may still be on its way.
    assert!(!s.synced(ROOM));
    s.handle(T0, page(801..=1_000, true, None));
    assert!(s.synced(ROOM));

    // A new socket asks again.
    s.handle(
        T0 + 1,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    s.handle(T0 + 2, Input::RetryNow);
    s.handle(
        T0 + 2,
        Input::Opened {
            protocol: String::new(),
        },
    );
    assert!(!s.synced(ROOM));
}
