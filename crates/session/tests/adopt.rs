//! Messages another page left unsent, taken over by this session.

use wirechat_protocol::{decode, ChatMessage, Frame};
use wirechat_session::{Command, Input, Session, SessionConfig};

const HELLO: &str =
    r#"{"type":"hello","server":"t","epoch":"e1","features":["history","ack","presence"]}"#;

fn message(id: &str, room: &str) -> ChatMessage {
    ChatMessage {
        uid: None,
        id: id.into(),
        room: room.into(),
        from: "ann".into(),
        text: format!("text of {id}"),
        ts: wirechat_protocol::Timestamp::saturating_from_millis(1),
        seq: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

fn sent_frames(commands: &[Command]) -> Vec<Frame> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Send(text) => decode(text).ok(),
            _ => None,
        })
        .collect()
}

fn open_session() -> Session {
    let config = SessionConfig {
        name: "ann".into(),
        ..SessionConfig::default()
    };
    let mut session = Session::new(config, 7);
    session.handle(0, Input::Start);
    session.handle(
        1,
        Input::Opened {
            protocol: String::new(),
        },
    );
    session.handle(2, Input::Text(HELLO.into()));
    session
}

#[test]
fn adopted_messages_go_out_at_once_on_an_open_link_with_their_rooms_joined() {
    let mut session = open_session();
    let commands =
        session.adopt_unconfirmed(10, vec![message("m1", "lobby"), message("m2", "ops")]);
    let frames = sent_frames(&commands);
    let joined_ops = frames
        .iter()
        .position(|f| matches!(f, Frame::Join(j) if j.room == "ops"))
        .expect("the adopted message's room is joined");
    let sent: Vec<(usize, &str)> = frames
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f {
            Frame::Msg(m) => Some((i, m.id.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
        ["m1", "m2"]
    );
    assert!(
        joined_ops < sent[1].0,
        "ops is joined before its message: {frames:?}"
    );
    assert_eq!(session.unconfirmed().len(), 2, "both wait for confirmation");
}

#[test]
fn a_message_this_session_already_holds_is_not_sent_again() {
    let mut session = open_session();
    session.adopt_unconfirmed(10, vec![message("m1", "lobby")]);
    let again = session.adopt_unconfirmed(11, vec![message("m1", "lobby")]);
    assert!(sent_frames(&again).is_empty(), "{again:?}");
    assert_eq!(session.unconfirmed().len(), 1);
}

#[test]
fn adopted_while_offline_they_wait_for_the_link() {
    let config = SessionConfig {
        name: "ann".into(),
        ..SessionConfig::default()
    };
    let mut session = Session::new(config, 7);
    session.handle(0, Input::Offline);
    let commands = session.adopt_unconfirmed(1, vec![message("m1", "lobby")]);
    assert!(sent_frames(&commands).is_empty(), "{commands:?}");
    session.handle(2, Input::Online);
    let opened = session.handle(
        3,
        Input::Opened {
            protocol: String::new(),
        },
    );
    assert!(
        sent_frames(&opened)
            .iter()
            .any(|f| matches!(f, Frame::Msg(m) if m.id == "m1")),
        "{opened:?}"
    );
}
