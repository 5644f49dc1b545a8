//! What the session tests share: a session with its socket open, a server's `hello` and the
//! frames a session wrote.

use wirechat_protocol::{decode, encode, Frame, Hello};
use wirechat_session::{Command, Input, Session, SessionConfig};

/// A session of user `name` in `room`, started at `now` (ms) with its socket open and no
/// frame received yet.
pub fn opened(name: &str, room: &str, now: u64) -> Session {
    let config = SessionConfig {
        name: name.into(),
        rooms: vec![room.into()],
        ..SessionConfig::default()
    };
    let mut s = Session::new(config, 7);
    s.handle(now, Input::Start);
    s.handle(
        now,
        Input::Opened {
            protocol: String::new(),
        },
    );
    s
}

/// The `hello` of a server announcing `features`.
pub fn hello(features: &[&str]) -> Input {
    Input::Text(encode(&Frame::Hello(Hello {
        server: "test".into(),
        epoch: "e1".into(),
        features: features.iter().map(|f| (*f).to_owned()).collect(),
        max_text: None,
        handshake: None,
    })))
}

/// The frames among `commands` that the session asked to send.
pub fn sent(commands: &[Command]) -> Vec<Frame> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Send(t) => Some(decode(t).expect("the session writes valid frames")),
            _ => None,
        })
        .collect()
}
