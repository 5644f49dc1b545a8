//! Message actions in the session core: edits, deletions, reactions, replies, the read
//! position and search, on a server that checks them and on a plain relay that does not.

use wirechat_protocol::{
    encode, error_code, feature, ChatMessage, Delete, Edit, ErrorFrame, Frame, History, React,
    Reaction, Read, Results, Timestamp,
};
use wirechat_session::{
    ActionRefusal, Command, Delivery, Input, ServerMode, Session, READ_AFTER_MS,
};

use crate::support;

use support::sent;

const T0: u64 = 1_764_000_000_000;
const ROOM: &str = "lobby";

fn session(name: &str) -> Session {
    support::opened(name, ROOM, T0)
}

/// A session on a server that stores actions and answers searches, joined to an empty room.
fn on_server(name: &str) -> Session {
    let mut s = session(name);
    s.handle(
        T0,
        support::hello(&[
            feature::HISTORY,
            feature::ACK,
            feature::ACTIONS,
            feature::SEARCH,
        ]),
    );
    s.handle(T0, frame(Frame::History(page(vec![], None))));
    s
}

/// A session that took the server for a plain relay (no `hello` came).
fn on_relay(name: &str) -> Session {
    let mut s = session(name);
    s.handle(T0 + 3_000, Input::Tick);
    assert_eq!(s.mode(), &ServerMode::Relay);
    s
}

fn page(msgs: Vec<ChatMessage>, read: Option<u64>) -> History {
    History {
        room: ROOM.into(),
        msgs,
        more: false,
        latest: None,
        name: None,
        req: None,
        read,
    }
}

fn frame(frame: Frame) -> Input {
    Input::Text(encode(&frame))
}

fn msg(id: &str, from: &str, seq: Option<u64>) -> ChatMessage {
    ChatMessage {
        id: id.into(),
        room: ROOM.into(),
        from: from.into(),
        text: format!("text of {id}"),
        ts: Timestamp::saturating_from_millis(T0),
        seq,
        uid: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

fn edit(id: &str, from: &str, text: &str) -> Frame {
    Frame::Edit(Edit {
        room: ROOM.into(),
        id: id.into(),
        text: text.into(),
        from: Some(from.into()),
        uid: None,
        ts: None,
    })
}

fn delete(id: &str, from: &str) -> Frame {
    Frame::Delete(Delete {
        room: ROOM.into(),
        id: id.into(),
        from: Some(from.into()),
        uid: None,
        ts: None,
    })
}

fn react(id: &str, from: &str, emoji: &str, on: bool) -> Frame {
    Frame::React(React {
        room: ROOM.into(),
        id: id.into(),
        emoji: emoji.into(),
        on,
        from: Some(from.into()),
        uid: None,
    })
}

fn text_of(s: &Session, id: &str) -> String {
    s.room(ROOM).unwrap().get(id).unwrap().msg.text.clone()
}

/// Each emoji with its count, listed users, and whether this user is among them.
fn reactions_of(s: &Session, id: &str) -> Vec<(String, u64, Vec<String>, bool)> {
    s.room(ROOM)
        .unwrap()
        .get(id)
        .unwrap()
        .reactions()
        .map(|(r, mine)| (r.emoji.clone(), r.count, r.users.clone(), mine))
        .collect()
}

fn error(code: &str, id: &str) -> Input {
    frame(Frame::Error(ErrorFrame {
        code: code.into(),
        message: String::new(),
        id: Some(id.into()),
        retry_after: None,
        req: None,
    }))
}

#[test]
fn a_server_s_edit_delete_and_reactions_apply_by_id() {
    let mut s = on_server("alice");
    s.handle(T0, frame(Frame::Msg(msg("m1", "bob", Some(1)))));
    s.handle(T0, frame(Frame::Msg(msg("m2", "bob", Some(2)))));
    // The server checked authorship by user id: its frames are believed as they come.
    s.handle(T0, frame(edit("m1", "bob", "fixed")));
    s.handle(T0, frame(react("m1", "carol", "👍", true)));
    s.handle(T0, frame(react("m1", "alice", "👍", true)));
    s.handle(T0, frame(delete("m2", "bob")));
    let log = s.room(ROOM).unwrap();
    let m1 = log.get("m1").unwrap();
    assert_eq!(m1.msg.text, "fixed");
    assert!(m1.is_edited());
    assert_eq!(
        reactions_of(&s, "m1"),
        [(
            "👍".to_owned(),
            2,
            vec!["carol".to_owned(), "alice".to_owned()],
            true
        )]
    );
    let m2 = log.get("m2").unwrap();
    assert!(m2.is_deleted());
    assert_eq!(m2.msg.text, "", "a tombstone keeps no text");
    // An edit after the deletion changes nothing.
    s.handle(T0, frame(edit("m2", "bob", "back")));
    assert_eq!(text_of(&s, "m2"), "");
}

#[test]
fn own_actions_on_a_server_show_when_it_relays_them_back() {
    let mut s = on_server("alice");
    s.handle(T0, frame(Frame::Msg(msg("m1", "alice", Some(1)))));
    let out = s.handle(
        T0,
        Input::Edit {
            id: "m1".into(),
            text: "better".into(),
        },
    );
    assert!(matches!(&sent(&out)[..], [Frame::Edit(e)] if e.id == "m1" && e.text == "better"));
    assert_eq!(
        text_of(&s, "m1"),
        "text of m1",
        "not before the server stored it"
    );
    s.handle(T0, frame(edit("m1", "alice", "better")));
    assert_eq!(text_of(&s, "m1"), "better");

    let out = s.handle(
        T0,
        Input::React {
            id: "m1".into(),
            emoji: "🎉".into(),
            on: true,
        },
    );
    assert!(matches!(&sent(&out)[..], [Frame::React(r)] if r.on && r.emoji == "🎉"));
    // A sent message is deleted for everyone with `delete`, not dropped from the outbox.
    let out = s.handle(T0, Input::DeleteMessage("m1".into()));
    assert!(matches!(&sent(&out)[..], [Frame::Delete(d)] if d.id == "m1"));
}

#[test]
fn only_own_sent_messages_can_be_edited_or_deleted() {
    let mut s = on_server("alice");
    s.handle(T0, frame(Frame::Msg(msg("theirs", "bob", Some(1)))));
    let out = s.handle(
        T0,
        Input::Edit {
            id: "theirs".into(),
            text: "mine now".into(),
        },
    );
    assert!(sent(&out).is_empty());
    let out = s.handle(T0, Input::DeleteMessage("theirs".into()));
    assert!(sent(&out).is_empty());
}

/// An action refused by the server names a message that was delivered (or still waits for
/// its echo): it is an action error, never a failed send of that message.
#[test]
fn a_refused_action_is_an_action_error_not_a_failed_message() {
    let mut s = on_server("alice");
    let out = s.handle(
        T0,
        Input::Compose {
            id: "m1".into(),
            text: "hello".into(),
        },
    );
    assert_eq!(sent(&out).len(), 1);
    for (code, refusal) in [
        (error_code::NOT_FOUND, ActionRefusal::NotFound),
        (error_code::FORBIDDEN, ActionRefusal::Forbidden),
        (error_code::UNSUPPORTED, ActionRefusal::Unsupported),
    ] {
        s.handle(T0, error(code, "m1"));
        assert_eq!(
            s.room(ROOM).unwrap().get("m1").unwrap().delivery,
            Some(Delivery::Pending),
            "{code}"
        );
        let err = s.action_error().expect("an action error");
        assert_eq!((err.id.as_deref(), err.refusal), (Some("m1"), refusal));
    }
}

#[test]
fn history_brings_the_current_state_of_messages_already_held() {
    let mut s = on_server("alice");
    s.handle(T0, frame(Frame::Msg(msg("m1", "bob", Some(1)))));
    let mut now = msg("m1", "bob", Some(1));
    now.text = "edited since".into();
    now.edited = Some(Timestamp::saturating_from_millis(T0 + 5));
    now.reactions = vec![Reaction {
        emoji: "👍".into(),
        count: 3,
        users: vec!["bob".into(), "alice".into(), "carol".into()],
    }];
    let mut gone = msg("m2", "bob", Some(2));
    gone.text = String::new();
    gone.deleted = Some(Timestamp::saturating_from_millis(T0 + 6));
    s.handle(T0, frame(Frame::History(page(vec![now, gone], None))));
    assert_eq!(text_of(&s, "m1"), "edited since");
    assert_eq!(reactions_of(&s, "m1")[0].1, 3);
    assert!(
        reactions_of(&s, "m1")[0].3,
        "alice is among those who reacted"
    );
    assert!(s.room(ROOM).unwrap().get("m2").unwrap().is_deleted());
}

#[test]
fn on_a_relay_only_the_original_sender_edits_or_deletes() {
    let mut s = on_relay("alice");
    s.handle(T0, frame(Frame::Msg(msg("m1", "bob", None))));
    s.handle(T0, frame(edit("m1", "mallory", "forged")));
    s.handle(T0, frame(delete("m1", "mallory")));
    assert_eq!(text_of(&s, "m1"), "text of m1");
    s.handle(T0, frame(edit("m1", "bob", "fixed")));
    assert_eq!(text_of(&s, "m1"), "fixed");
    s.handle(T0, frame(delete("m1", "bob")));
    assert!(s.room(ROOM).unwrap().get("m1").unwrap().is_deleted());
}

#[test]
fn on_a_relay_reactions_are_counted_once_per_name() {
    let mut s = on_relay("alice");
    s.handle(T0, frame(Frame::Msg(msg("m1", "bob", None))));
    for who in ["bob", "carol", "dave", "carol"] {
        s.handle(T0, frame(react("m1", who, "👍", true)));
    }
    assert_eq!(reactions_of(&s, "m1")[0].1, 3);
    s.handle(T0, frame(react("m1", "dave", "👍", false)));
    s.handle(T0, frame(react("m1", "dave", "👍", false)));
    assert_eq!(reactions_of(&s, "m1")[0].1, 2);
    // Own reactions show at once: a relay may not echo them.
    let out = s.handle(
        T0,
        Input::React {
            id: "m1".into(),
            emoji: "👍".into(),
            on: true,
        },
    );
    assert_eq!(sent(&out).len(), 1);
    assert_eq!(
        reactions_of(&s, "m1")[0],
        (
            "👍".to_owned(),
            3,
            vec!["bob".into(), "carol".into(), "alice".into()],
            true
        )
    );
    // And its echo changes nothing.
    s.handle(T0, frame(react("m1", "alice", "👍", true)));
    assert_eq!(reactions_of(&s, "m1")[0].1, 3);
}

#[test]
fn on_a_relay_an_action_that_overtook_its_message_waits_for_it() {
    let mut s = on_relay("alice");
    s.handle(T0, frame(edit("late", "bob", "fixed")));
    s.handle(T0, frame(edit("late", "mallory", "forged")));
    s.handle(T0, frame(react("late", "carol", "👍", true)));
    assert_eq!(s.unplaced_actions(ROOM), 3);
    s.handle(T0, frame(Frame::Msg(msg("late", "bob", None))));
    assert_eq!(text_of(&s, "late"), "fixed");
    assert_eq!(reactions_of(&s, "late")[0].1, 1);
    assert_eq!(s.unplaced_actions(ROOM), 0);
    // What waits is bounded: the oldest go first.
    for n in 0..1_000 {
        s.handle(T0, frame(edit(&format!("x{n}"), "bob", "never placed")));
    }
    assert!(s.unplaced_actions(ROOM) <= 64);
}

#[test]
fn own_edits_on_a_relay_show_at_once() {
    let mut s = on_relay("alice");
    s.handle(
        T0,
        Input::Compose {
            id: "m1".into(),
            text: "helo".into(),
        },
    );
    let out = s.handle(
        T0,
        Input::Edit {
            id: "m1".into(),
            text: "hello".into(),
        },
    );
    assert!(matches!(&sent(&out)[..], [Frame::Edit(e)] if e.from.as_deref() == Some("alice")));
    assert_eq!(text_of(&s, "m1"), "hello");
    let out = s.handle(T0, Input::DeleteMessage("m1".into()));
    assert_eq!(sent(&out).len(), 1);
    assert!(s.room(ROOM).unwrap().get("m1").unwrap().is_deleted());
}

#[test]
fn a_reply_carries_the_id_it_answers() {
    let mut s = on_server("alice");
    let out = s.handle(
        T0,
        Input::Reply {
            id: "r1".into(),
            text: "yes".into(),
            reply_to: "m1".into(),
        },
    );
    assert!(matches!(&sent(&out)[..], [Frame::Msg(m)] if m.reply_to.as_deref() == Some("m1")));
    assert_eq!(
        s.room(ROOM)
            .unwrap()
            .get("r1")
            .unwrap()
            .msg
            .reply_to
            .as_deref(),
        Some("m1")
    );
}

fn reads(out: &[Command]) -> Vec<u64> {
    sent(out)
        .iter()
        .filter_map(|f| match f {
            Frame::Read(r) => Some(r.seq),
            _ => None,
        })
        .collect()
}

#[test]
fn the_read_position_goes_out_once_the_reader_pauses_and_only_forward() {
    let mut s = session("alice");
    s.handle(T0, support::hello(&[feature::HISTORY, feature::ACTIONS]));
    s.handle(T0, frame(Frame::History(page(vec![], Some(40)))));
    assert_eq!(s.read_at_join(ROOM), Some(40));
    assert_eq!(s.read_position(ROOM), Some(40));
    // Behind what the server has: nothing to send.
    s.handle(
        T0,
        Input::Seen {
            room: ROOM.into(),
            seq: 30,
        },
    );
    let mut out = Vec::new();
    for seq in 41..=45 {
        out.extend(s.handle(
            T0 + seq,
            Input::Seen {
                room: ROOM.into(),
                seq,
            },
        ));
    }
    assert!(reads(&out).is_empty(), "not while reading on");
    let out = s.handle(T0 + 41 + READ_AFTER_MS, Input::Tick);
    assert_eq!(reads(&out), [45]);
    assert_eq!(s.read_position(ROOM), Some(45));
    assert_eq!(
        s.read_at_join(ROOM),
        Some(40),
        "the unread marker stays put"
    );
    // Another device read further.
    s.handle(
        T0,
        frame(Frame::Read(Read {
            room: ROOM.into(),
            seq: 50,
        })),
    );
    assert_eq!(s.read_position(ROOM), Some(50));
    s.handle(
        T0 + 10_000,
        Input::Seen {
            room: ROOM.into(),
            seq: 48,
        },
    );
    let out = s.handle(T0 + 20_000, Input::Tick);
    assert!(reads(&out).is_empty());
}

#[test]
fn a_position_read_while_disconnected_goes_out_after_the_next_join() {
    let mut s = session("alice");
    s.handle(T0, support::hello(&[feature::HISTORY, feature::ACTIONS]));
    s.handle(T0, frame(Frame::History(page(vec![], Some(40)))));
    s.handle(
        T0,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    s.handle(
        T0 + 1,
        Input::Seen {
            room: ROOM.into(),
            seq: 44,
        },
    );
    let out = s.handle(T0 + 1 + READ_AFTER_MS, Input::Tick);
    assert!(reads(&out).is_empty(), "nowhere to send it");
    let mut now = T0 + 1 + READ_AFTER_MS;
    let mut opened = false;
    while !opened {
        now += 100;
        opened = s
            .handle(now, Input::Tick)
            .iter()
            .any(|c| matches!(c, Command::Connect { .. }));
    }
    s.handle(
        now,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s.handle(now, support::hello(&[feature::HISTORY, feature::ACTIONS]));
    s.handle(now, frame(Frame::History(page(vec![], Some(40)))));
    let out = s.handle(now + READ_AFTER_MS, Input::Tick);
    assert_eq!(reads(&out), [44]);
}

#[test]
fn on_a_relay_the_read_position_stays_on_the_device() {
    let mut s = on_relay("alice");
    s.handle(
        T0 + 3_000,
        Input::Seen {
            room: ROOM.into(),
            seq: 7,
        },
    );
    let out = s.handle(T0 + 60_000, Input::Tick);
    assert!(reads(&out).is_empty());
    assert_eq!(s.read_position(ROOM), Some(7));
}

#[test]
fn search_results_answer_the_last_search() {
    let mut s = on_server("alice");
    let out = s.handle(T0, Input::Search("lunch".into()));
    let Some(Frame::Search(search)) = sent(&out).pop() else {
        panic!("a search frame");
    };
    assert_eq!(search.q, "lunch");
    let results = |req| {
        frame(Frame::Results(Results {
            room: ROOM.into(),
            msgs: vec![msg("m9", "bob", Some(9))],
            req,
        }))
    };
    s.handle(T0, results(Some(search.req.unwrap() + 1)));
    assert_eq!(s.search().unwrap().found, None, "another search's answer");
    s.handle(T0, results(search.req));
    assert_eq!(s.search().unwrap().found.as_ref().unwrap()[0].id, "m9");
    assert!(
        s.room(ROOM).unwrap().get("m9").is_none(),
        "results are not the room"
    );
}

#[test]
fn on_a_relay_nothing_is_searched() {
    let mut s = on_relay("alice");
    let out = s.handle(T0 + 3_000, Input::Search("lunch".into()));
    assert!(sent(&out).is_empty());
    assert_eq!(
        s.action_error().map(|e| e.refusal),
        Some(ActionRefusal::Unsupported)
    );
}
