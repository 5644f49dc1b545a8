//! A session on a full server fed frames: the input is split at newlines into text frames,
//! and every tenth line is replaced by a generated frame (`wirechat_protocol::generate`)
//! seeded from it, so the fuzzer reaches deep into valid shapes too. The session never
//! panics and shows each message id once.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use wirechat_protocol::generate::{self, Rng};
use wirechat_session::{Input, Session, SessionConfig};

const T0: u64 = 1_764_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut session = Session::new(
        SessionConfig {
            name: "alice".into(),
            ..SessionConfig::default()
        },
        7,
    );
    session.handle(T0, Input::Start);
    session.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    session.handle(
        T0,
        Input::Text(r#"{"type":"hello","epoch":"e1","features":["history","ack","presence","typing","ping"]}"#.into()),
    );
    let mut now = T0;
    for (i, line) in text.split('\n').enumerate() {
        now += 50;
        let frame = if i % 10 == 9 {
            let seed = line.bytes().fold(i as u64, |h, b| {
                h.wrapping_mul(31).wrapping_add(u64::from(b))
            });
            generate::frame(&mut Rng::new(seed))
        } else {
            line.to_owned()
        };
        session.handle(now, Input::Text(frame));
        if i % 7 == 0 {
            session.handle(
                now,
                Input::Compose {
                    id: format!("own{i}"),
                    text: "hi".into(),
                },
            );
            session.handle(now, Input::Tick);
        }
    }
    if let Some(log) = session.room("lobby") {
        let ids: Vec<&str> = log.entries().iter().map(|e| e.msg.id.as_str()).collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "an id shown twice");
    }
});
