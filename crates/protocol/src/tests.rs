//! The wire format's own tests: round trips, forgiving and strict decoding, and the limits
//! every decoded value is held to.

use super::*;

const CORE: &str =
    r#"{"type":"msg","id":"m-1","room":"lobby","from":"alice","text":"Hello","ts":1764000000000}"#;

fn msg() -> ChatMessage {
    ChatMessage {
        uid: None,
        id: "m-1".into(),
        room: "lobby".into(),
        from: "alice".into(),
        text: "Hello".into(),
        ts: Timestamp::from_millis(1_764_000_000_000).unwrap(),
        seq: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

#[test]
fn core_frame_reads_and_writes_exactly() {
    assert_eq!(decode(CORE).unwrap(), Frame::Msg(msg()));
    assert_eq!(encode(&Frame::Msg(msg())), CORE);
}

#[test]
fn server_added_fields_are_read_and_unknown_fields_ignored() {
    let text = r#"{"type":"msg","id":"m-1","room":"lobby","from":"alice","text":"Hello","ts":1764000000000,"seq":7,"color":"red"}"#;
    let Frame::Msg(m) = decode(text).unwrap() else {
        panic!("msg")
    };
    assert_eq!(m.seq, Some(7));
    assert_eq!(m.text, "Hello");
}

#[test]
fn every_frame_type_round_trips() {
    let frames = vec![
        Frame::Hello(Hello {
            server: "wirechat-server/0.1.0".into(),
            epoch: "e1".into(),
            features: vec![feature::HISTORY.into(), feature::ACK.into()],
            max_text: Some(4000),
            handshake: Some(Handshake {
                key: "dGhlIHNhbXBsZSBub25jZQ==".into(),
                accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
            }),
        }),
        Frame::Join(Join {
            room: "lobby".into(),
            name: "alice".into(),
            after: Some(41),
            epoch: Some("e1".into()),
            deltas: false,
            req: Some(7),
        }),
        Frame::Leave(Leave {
            room: "lobby".into(),
        }),
        Frame::Msg(ChatMessage {
            seq: Some(3),
            ..msg()
        }),
        Frame::Ack(Ack {
            id: "m-1".into(),
            room: "lobby".into(),
            seq: Some(3),
        }),
        Frame::Fetch(Fetch {
            room: "lobby".into(),
            before: Some(10),
            after: None,
            limit: Some(50),
            req: Some(8),
        }),
        Frame::History(History {
            name: None,
            room: "lobby".into(),
            msgs: vec![msg()],
            more: true,
            latest: Some(9),
            req: Some(8),
            read: None,
        }),
        Frame::Presence(Presence {
            room: "lobby".into(),
            users: vec!["alice".into(), "bob".into()],
            count: None,
        }),
        Frame::Here(Here {
            room: "lobby".into(),
            from: "alice".into(),
            ttl: 30_000,
        }),
        Frame::Typing(Typing {
            room: "lobby".into(),
            from: "alice".into(),
        }),
        Frame::Ping(Ping { ts: Some(5) }),
        Frame::Pong(Ping { ts: None }),
        Frame::Error(ErrorFrame {
            code: error_code::TOO_LARGE.into(),
            message: "too long".into(),
            id: Some("m-1".into()),
            retry_after: None,
            req: None,
        }),
        Frame::Error(ErrorFrame {
            code: error_code::NOT_JOINED.into(),
            message: "join first".into(),
            id: None,
            retry_after: None,
            req: Some(8),
        }),
    ];
    for frame in frames {
        let text = encode(&frame);
        assert_eq!(decode(&text).unwrap(), frame, "round trip of {text}");
    }
}

#[test]
fn request_ids_are_written_only_when_set_and_read_when_present() {
    // Older peers neither send nor expect `req`: leaving it out keeps their frames as they were.
    let plain = Fetch {
        room: "lobby".into(),
        before: Some(10),
        after: None,
        limit: None,
        req: None,
    };
    assert_eq!(
        encode(&Frame::Fetch(plain.clone())),
        r#"{"type":"fetch","room":"lobby","before":10}"#
    );
    let asked = Fetch {
        req: Some(MAX_SEQ),
        ..plain
    };
    let text = encode(&Frame::Fetch(asked.clone()));
    assert_eq!(
        text,
        r#"{"type":"fetch","room":"lobby","before":10,"req":9007199254740991}"#
    );
    assert_eq!(decode(&text).unwrap(), Frame::Fetch(asked));
    let answer = decode(r#"{"type":"history","room":"lobby","msgs":[],"more":false,"req":3}"#);
    let Ok(Frame::History(answer)) = answer else {
        panic!("a history page, got {answer:?}")
    };
    assert_eq!(answer.req, Some(3));
    let join = decode(r#"{"type":"join","room":"lobby","name":"alice","req":0}"#);
    assert!(matches!(join, Ok(Frame::Join(Join { req: Some(0), .. }))));
}

#[test]
fn unknown_type_is_ignored_not_an_error() {
    assert_eq!(
        decode(r#"{"type":"reaction","emoji":"+1"}"#).unwrap(),
        Frame::Unknown
    );
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let bad = [
        "",
        "not json",
        "[1,2,3]",
        "42",
        "\"msg\"",
        "null",
        "{}",
        r#"{"type":null}"#,
        r#"{"type":7}"#,
        r#"{"type":"msg"}"#,
        r#"{"type":"msg","id":"m","room":"lobby","from":"alice","text":5,"ts":1}"#,
        r#"{"type":"msg","id":"m","room":"lobby","from":"alice","text":"x","ts":"yesterday"}"#,
        r#"{"type":"msg","id":"m","room":"lobby","from":"alice","ts":1}"#,
        r#"{"type":"history","room":"lobby","msgs":"none"}"#,
        r#"{"type":"msg","id":"m","room":"lobby","from":"alice","text":"\ud800","ts":1}"#,
        r#"{"type":"msg","id":"m""#,
    ];
    for text in bad {
        assert!(
            matches!(decode(text), Err(DecodeError::Invalid(_))),
            "{text:?} must be rejected"
        );
    }
}

#[test]
fn deep_nesting_is_rejected_without_overflowing_the_stack() {
    let depth = 5000;
    let text = format!(
        r#"{{"type":"msg","x":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(matches!(decode(&text), Err(DecodeError::Invalid(_))));
}

#[test]
fn a_whole_message_with_a_deeply_nested_extra_field_is_rejected() {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let text = format!(
        r#"{{"type":"msg","id":"d","room":"r","from":"a","text":"x","ts":1,"extra":{deep}}}"#
    );
    assert!(matches!(decode(&text), Err(DecodeError::Invalid(_))));
    // Brackets inside strings are text, not nesting.
    let text = format!(
        r#"{{"type":"msg","id":"d","room":"r","from":"a","text":"{}","ts":1}}"#,
        "[\\\"[".repeat(200)
    );
    assert!(decode(&text).is_ok(), "{text}");
}

#[test]
fn oversized_frames_are_refused_before_parsing() {
    let text = format!(
        r#"{{"type":"msg","id":"m","room":"r","from":"a","text":"x","ts":1,"pad":"{}"}}"#,
        "x".repeat(MAX_INBOUND_FRAME_BYTES)
    );
    assert!(matches!(
        decode(&text),
        Err(DecodeError::TooLarge { limit, .. }) if limit == MAX_INBOUND_FRAME_BYTES
    ));
    assert!(decode_with_limit(&text, usize::MAX).is_ok());
}

#[test]
fn markup_and_control_characters_survive_as_data() {
    let text = r#"{"type":"msg","id":"m","room":"lobby","from":"<b>eve</b>","text":"<img src=x onerror=alert(1)>\u0007","ts":1}"#;
    let Frame::Msg(m) = decode(text).unwrap() else {
        panic!("msg")
    };
    assert_eq!(m.text, "<img src=x onerror=alert(1)>\u{7}");
    assert_eq!(m.from, "<b>eve</b>");
}

#[test]
fn names_and_rooms_are_validated_with_readable_reasons() {
    assert!(validate_room("lobby").is_ok());
    assert!(validate_name("안녕").is_ok());
    assert!(validate_room("").unwrap_err().contains("empty"));
    assert!(validate_room(" lobby").unwrap_err().contains("space"));
    assert!(validate_name("a\u{0}b").unwrap_err().contains("control"));
    assert!(validate_name(&"n".repeat(MAX_NAME_BYTES + 1))
        .unwrap_err()
        .contains("longer"));
}

#[test]
fn names_and_rooms_are_refused_with_a_problem_a_ui_can_word() {
    assert_eq!(check_room_name(""), Err(LabelProblem::Empty));
    assert_eq!(check_room_name(" lobby"), Err(LabelProblem::EdgeSpace));
    assert_eq!(check_display_name("a\u{0}b"), Err(LabelProblem::Control));
    assert_eq!(
        check_display_name(&"n".repeat(MAX_NAME_BYTES + 1)),
        Err(LabelProblem::TooLong {
            max: MAX_NAME_BYTES
        })
    );
    assert_eq!(
        check_display_name("a\u{202E}b"),
        Err(LabelProblem::Invisible('\u{202E}'))
    );
}

#[test]
fn close_codes_that_forbid_retry() {
    assert!(!close_code::should_retry(close_code::POLICY));
    assert!(!close_code::should_retry(close_code::FORBIDDEN));
    assert!(close_code::should_retry(close_code::GOING_AWAY));
    assert!(close_code::should_retry(close_code::SLOW_CONSUMER));
    assert!(close_code::should_retry(close_code::ABNORMAL));
}

fn msg_with_ts(ts: &str) -> String {
    format!(r#"{{"type":"msg","id":"m","room":"lobby","from":"alice","text":"x","ts":{ts}}}"#)
}

const ARRIVAL: Timestamp = Timestamp::saturating_from_millis(1_800_000_000_000);

#[test]
fn timestamps_hold_only_what_a_browser_date_can() {
    assert_eq!(
        Timestamp::from_millis(8_640_000_000_000_000),
        Some(Timestamp::MAX)
    );
    assert_eq!(Timestamp::from_millis(8_640_000_000_000_001), None);
    assert_eq!(Timestamp::saturating_from_millis(u64::MAX), Timestamp::MAX);
    assert_eq!(decode(&msg_with_ts("8640000000000000")).map(|_| ()), Ok(()));
}

/// Finding: a `ts` past what `Date` holds went straight to the browser and killed the page.
#[test]
fn unrepresentable_times_are_refused_by_decode_and_replaced_by_arrival_for_readers() {
    for ts in [
        "18446744073709551615",
        "8640000000000001",
        "1e300",
        "-1",
        "1.5",
        "100000000000000000000000000000",
    ] {
        let text = msg_with_ts(ts);
        assert!(
            matches!(decode(&text), Err(DecodeError::Invalid(_))),
            "{ts}: strict decode refuses it"
        );
        let received = decode_received(&text, ARRIVAL).unwrap();
        let Frame::Msg(m) = received.frame else {
            panic!("{ts}: still a message")
        };
        assert_eq!((m.ts, m.text.as_str()), (ARRIVAL, "x"), "{ts}");
        assert!(received.repaired, "{ts}: counted");
    }
}

#[test]
fn a_time_of_the_wrong_type_is_still_invalid_for_readers() {
    for ts in [r#""1764000000000""#, "null", "[]", "{}"] {
        assert!(decode_received(&msg_with_ts(ts), ARRIVAL).is_err(), "{ts}");
    }
}

// The repair is a pass of the ordinary decoder with a per-thread setting: it must end with
// the pass, and reach only the frames readers show as messages.
#[test]
fn repairs_reach_only_messages_and_history_and_end_with_their_pass() {
    let msg = msg_with_ts("1.5");
    assert!(decode_received(&msg, ARRIVAL).unwrap().repaired);
    assert!(
        matches!(decode(&msg), Err(DecodeError::Invalid(_))),
        "strict decoding after a repair is strict"
    );
    let missed = r#"{"type":"missed","room":"lobby","to":"alice","msgs":[{"id":"a","room":"lobby","from":"bob","text":"x","ts":-1}]}"#;
    assert!(
        decode_received(missed, ARRIVAL).is_err(),
        "a relay peer's answer is not repaired"
    );
    assert!(
        decode_received(&missed.replace("-1", "1"), ARRIVAL).is_ok(),
        "the same answer with a good time is read"
    );
}

#[test]
fn history_pages_keep_their_good_messages() {
    let text = format!(
        r#"{{"type":"history","room":"lobby","more":false,"msgs":[{},{},{}]}}"#,
        r#"{"id":"a","room":"lobby","from":"bob","text":"ok","ts":1,"seq":1}"#,
        r#"{"id":"b","room":"lobby","from":"bob","text":"late","ts":1e300,"seq":2}"#,
        r#"{"id":"","room":"lobby","from":"bob","text":"no id","ts":1,"seq":3}"#,
    );
    let received = decode_received(&text, ARRIVAL).unwrap();
    let Frame::History(history) = received.frame else {
        panic!("history")
    };
    let ids: Vec<_> = history.msgs.iter().map(|m| (m.id.as_str(), m.ts)).collect();
    assert_eq!(
        ids,
        [("a", Timestamp::from_millis(1).unwrap()), ("b", ARRIVAL)]
    );
    assert!(received.repaired);
}

#[test]
fn values_past_their_limits_drop_the_frame() {
    let long_id = "i".repeat(MAX_ID_BYTES + 1);
    let long_text = "t".repeat(MAX_TEXT_BYTES_LIMIT + 1);
    let over = MAX_SEQ + 1;
    let bad = [
        format!(r#"{{"type":"msg","id":"{long_id}","room":"lobby","from":"a","text":"x","ts":1}}"#),
        r#"{"type":"msg","id":"","room":"lobby","from":"a","text":"x","ts":1}"#.to_owned(),
        r#"{"type":"msg","id":"m","room":"","from":"a","text":"x","ts":1}"#.to_owned(),
        r#"{"type":"msg","id":"m","room":"lobby","from":"\u202eecila","text":"x","ts":1}"#
            .to_owned(),
        format!(
            r#"{{"type":"msg","id":"m","room":"lobby","from":"a","text":"{long_text}","ts":1}}"#
        ),
        format!(
            r#"{{"type":"msg","id":"m","room":"lobby","from":"a","text":"x","ts":1,"seq":{over}}}"#
        ),
        format!(r#"{{"type":"ack","id":"m","room":"lobby","seq":{over}}}"#),
        format!(r#"{{"type":"history","room":"lobby","msgs":[],"latest":{over}}}"#),
        format!(r#"{{"type":"join","room":"lobby","name":"a","after":{over}}}"#),
        format!(r#"{{"type":"fetch","room":"lobby","before":{over}}}"#),
        format!(r#"{{"type":"join","room":"lobby","name":"a","req":{over}}}"#),
        format!(r#"{{"type":"fetch","room":"lobby","req":{over}}}"#),
        format!(r#"{{"type":"history","room":"lobby","msgs":[],"req":{over}}}"#),
        format!(
            r#"{{"type":"hello","epoch":"{}"}}"#,
            "e".repeat(MAX_LABEL_BYTES + 1)
        ),
        r#"{"type":"typing","room":"lobby","from":"a\u200bb"}"#.to_owned(),
        r#"{"type":"here","room":"lob\u2066by","from":"a","ttl":1}"#.to_owned(),
        r#"{"type":"joined","room":"lobby","user":""}"#.to_owned(),
        format!(r#"{{"type":"error","code":"x","id":"{long_id}"}}"#),
        format!(r#"{{"type":"error","code":"x","req":{over}}}"#),
    ];
    for text in &bad {
        assert!(
            matches!(decode_received(text, ARRIVAL), Err(DecodeError::Invalid(_))),
            "{text:.120} must be dropped"
        );
    }
}

#[test]
fn values_past_a_soft_limit_are_repaired() {
    let hello = decode_received(
        r#"{"type":"hello","epoch":"e","max_text":99999999999}"#,
        ARRIVAL,
    )
    .unwrap();
    assert!(hello.repaired);
    assert!(matches!(hello.frame, Frame::Hello(h) if h.max_text == Some(MAX_TEXT_BYTES_LIMIT)));

    // An oversized handshake is left out; the hello itself still counts.
    let long = "A".repeat(MAX_LABEL_BYTES + 1);
    let hello = decode_received(
        &format!(r#"{{"type":"hello","epoch":"e","handshake":{{"key":"{long}","accept":"x"}}}}"#),
        ARRIVAL,
    )
    .unwrap();
    assert!(hello.repaired);
    assert!(matches!(hello.frame, Frame::Hello(h) if h.handshake.is_none()));

    let users: Vec<String> = (0..MAX_PRESENCE_USERS + 5)
        .map(|i| format!("u{i}"))
        .collect();
    let mut presence = serde_json::json!({"type":"presence","room":"lobby","users":users});
    presence["users"][0] = "\u{200f}u0".into();
    let received = decode_received(&presence.to_string(), ARRIVAL).unwrap();
    let Frame::Presence(p) = received.frame else {
        panic!("presence")
    };
    assert_eq!(p.users.len(), MAX_PRESENCE_USERS);
    assert_eq!(p.count, Some((MAX_PRESENCE_USERS + 5) as u64));

    let error = decode_received(
        &format!(
            r#"{{"type":"error","code":"rate_limited","message":"{}","retry_after":{}}}"#,
            "é".repeat(MAX_ERROR_MESSAGE_BYTES),
            u64::MAX
        ),
        ARRIVAL,
    )
    .unwrap();
    let Frame::Error(e) = error.frame else {
        panic!("error")
    };
    assert!(e.message.len() <= MAX_ERROR_MESSAGE_BYTES);
    assert_eq!(e.retry_after, Some(MAX_RETRY_AFTER_MS));
}

#[test]
fn names_that_could_pass_for_others_are_refused() {
    for name in [
        "\u{202e}ecila",
        "ali\u{200b}ce",
        "al\u{200c}ice",
        "alice\u{200d}",
        "\u{2066}alice\u{2069}",
        "ali\u{00ad}ce",
        "\u{feff}alice",
        "ali\u{061c}ce",
        "ali\u{200e}ce",
        "alice\u{e0041}",
    ] {
        assert!(
            validate_name(name).unwrap_err().contains("invisible"),
            "{name:?}"
        );
    }
    // Joiners that shape Persian words and glue emoji sequences are part of how they look.
    for name in [
        "می\u{200c}خواهم",
        "👨\u{200d}👩\u{200d}👧",
        "❤\u{fe0f}\u{200d}🔥",
        "Zoë",
        "안녕",
    ] {
        assert_eq!(validate_name(name), Ok(()), "{name:?}");
    }
}

#[test]
fn identity_frames_round_trip_and_uid_is_optional_on_messages() {
    let auth = r#"{"type":"auth","token":"a.b.c"}"#;
    assert_eq!(
        decode(auth).unwrap(),
        Frame::Auth(Auth {
            token: "a.b.c".into()
        })
    );
    let authed = Frame::Authed(Authed {
        uid: "u-42".into(),
        name: "Alice".into(),
        exp: Some(1_764_003_600_000),
        resume: None,
    });
    assert_eq!(
        encode(&authed),
        r#"{"type":"authed","uid":"u-42","name":"Alice","exp":1764003600000}"#
    );
    assert_eq!(decode(&encode(&authed)).unwrap(), authed);
    // Relays and older servers send no uid; the core frame stays exactly as it was.
    assert_eq!(encode(&Frame::Msg(msg())), CORE);
    let with_uid = Frame::Msg(ChatMessage {
        uid: Some("u-42".into()),
        ..msg()
    });
    assert!(encode(&with_uid).ends_with(r#","uid":"u-42"}"#));
    assert_eq!(decode(&encode(&with_uid)).unwrap(), with_uid);
}

#[test]
fn identity_values_outside_their_limits_are_refused() {
    let long_token = format!(
        r#"{{"type":"auth","token":"{}"}}"#,
        "a".repeat(MAX_TOKEN_BYTES + 1)
    );
    assert!(decode(&long_token).is_err());
    assert!(decode(r#"{"type":"auth","token":""}"#).is_err());
    for uid in ["", "has space", "é", &"u".repeat(MAX_UID_BYTES + 1)] {
        let authed = format!(r#"{{"type":"authed","uid":{uid:?},"name":""}}"#);
        assert!(decode(&authed).is_err(), "uid {uid:?}");
        let with_uid = CORE.replace('}', &format!(r#","uid":{uid:?}}}"#));
        assert!(decode(&with_uid).is_err(), "uid {uid:?}");
    }
    assert!(validate_uid("auth0|5f1e:alice@example.com").is_ok());
    let late = r#"{"type":"authed","uid":"u","exp":8640000000000001}"#;
    assert!(decode(late).is_err());
}

#[test]
fn a_token_never_shows_in_debug_output() {
    let auth = Auth {
        token: "secret.token.value".into(),
    };
    assert!(!format!("{auth:?}").contains("secret"));
}

#[test]
fn unauthorized_closes_are_retried_with_a_fresh_token_and_forbidden_ones_not() {
    assert!(close_code::should_retry(close_code::UNAUTHORIZED));
    assert!(!close_code::should_retry(close_code::FORBIDDEN));
}

/// Values for the fields of message actions: valid ones of every shape and length, which
/// must survive a round trip unchanged.
mod actions {
    use super::*;
    #[cfg(feature = "actions")]
    use crate::generate::Rng;

    const EMOJI: &[&str] = &["👍", "❤️", "👍🏽", "👩‍👩‍👧‍👦", "🇰🇷", "#️⃣", "©"];
    #[cfg(feature = "actions")]
    const TEXTS: &[&str] = &[
        "",
        "fixed",
        "<b>x</b>",
        "\"quoted\" \\ back",
        "한국어",
        "\u{202e}x",
    ];

    #[cfg(feature = "actions")]
    fn id(rng: &mut Rng) -> String {
        "i".repeat(1 + rng.below(MAX_ID_BYTES))
    }

    #[cfg(feature = "actions")]
    fn maybe<T>(rng: &mut Rng, make: impl FnOnce(&mut Rng) -> T) -> Option<T> {
        if rng.one_in(2) {
            Some(make(rng))
        } else {
            None
        }
    }

    #[cfg(feature = "actions")]
    fn action(rng: &mut Rng) -> Frame {
        let (room, id) = (crate::generate::ROOM.to_owned(), id(rng));
        let from = maybe(rng, |_| "alice".to_owned());
        let uid = maybe(rng, |_| "u-42".to_owned());
        let ts = maybe(rng, |rng| Timestamp::saturating_from_millis(rng.next_u64()));
        match rng.below(7) {
            0 => Frame::Edit(Edit {
                room,
                id,
                text: rng.pick(TEXTS).to_owned(),
                from,
                uid,
                ts,
            }),
            1 => Frame::Delete(Delete {
                room,
                id,
                from,
                uid,
                ts,
            }),
            2 => Frame::React(React {
                room,
                id,
                emoji: rng.pick(EMOJI).to_owned(),
                on: rng.one_in(2),
                from,
                uid,
            }),
            3 => Frame::Read(Read {
                room,
                seq: rng.next_u64() % (MAX_SEQ + 1),
            }),
            4 => Frame::Search(Search {
                room,
                q: "q".repeat(rng.below(MAX_QUERY_BYTES + 1)),
                req: maybe(rng, |rng| rng.next_u64() % (MAX_SEQ + 1)),
            }),
            5 => Frame::Results(Results {
                room,
                msgs: (0..rng.below(4)).map(|_| state(rng)).collect(),
                req: maybe(rng, |_| 7),
            }),
            _ => Frame::History(History {
                room,
                msgs: (0..rng.below(4)).map(|_| state(rng)).collect(),
                more: rng.one_in(2),
                latest: None,
                name: None,
                req: None,
                read: maybe(rng, |rng| rng.next_u64() % (MAX_SEQ + 1)),
            }),
        }
    }

    #[cfg(feature = "actions")]
    /// A message with the state history gives it.
    fn state(rng: &mut Rng) -> ChatMessage {
        let deleted = maybe(rng, |rng| Timestamp::saturating_from_millis(rng.next_u64()));
        let reactions = (0..rng.below(MAX_REACTION_KINDS + 1))
            .map(|n| Reaction {
                emoji: EMOJI[n % EMOJI.len()].to_owned(),
                count: 3 + rng.below(100) as u64,
                users: vec!["bob".into(), "carol".into()],
            })
            .collect();
        ChatMessage {
            text: if deleted.is_some() {
                String::new()
            } else {
                rng.pick(TEXTS).to_owned()
            },
            reply_to: maybe(rng, id),
            edited: maybe(rng, |rng| Timestamp::saturating_from_millis(rng.next_u64())),
            deleted,
            reactions,
            seq: Some(1 + rng.below(1000) as u64),
            ..msg()
        }
    }

    #[cfg(feature = "actions")]
    #[test]
    fn generated_actions_round_trip() {
        let mut rng = Rng::new(0x5eed_ac71);
        for _ in 0..2_000 {
            let frame = action(&mut rng);
            let text = encode(&frame);
            assert_eq!(decode(&text).as_ref(), Ok(&frame), "{text}");
            assert_eq!(
                decode_received(&text, Timestamp::EPOCH).map(|r| (r.frame, r.repaired)),
                Ok((frame, false))
            );
        }
    }

    #[test]
    fn empty_fields_are_left_out_so_old_readers_see_the_old_frames() {
        assert_eq!(encode(&Frame::Msg(msg())), CORE);
        let history = Frame::History(History {
            room: "lobby".into(),
            msgs: vec![],
            more: false,
            latest: None,
            name: None,
            req: None,
            read: None,
        });
        assert_eq!(
            encode(&history),
            r#"{"type":"history","room":"lobby","msgs":[],"more":false}"#
        );
    }

    /// Mutates one field of a valid action frame to a hostile value: the frame must be
    /// dropped, never decoded with the value, and never panic.
    #[cfg(feature = "actions")]
    #[test]
    fn hostile_action_values_drop_the_frame() {
        let long_id = "i".repeat(MAX_ID_BYTES + 1);
        let huge_q = "q".repeat(10 * 1024);
        let dropped = [
            format!(r#"{{"type":"edit","room":"lobby","id":"{long_id}","text":"x"}}"#),
            r#"{"type":"edit","room":"lobby","id":"","text":"x"}"#.to_owned(),
            format!(
                r#"{{"type":"edit","room":"lobby","id":"m1","text":"{}"}}"#,
                "x".repeat(MAX_TEXT_BYTES_LIMIT + 1)
            ),
            r#"{"type":"edit","room":" lobby","id":"m1","text":"x"}"#.to_owned(),
            r#"{"type":"edit","room":"lobby","id":"m1","text":"x","from":"al\u202eice"}"#
                .to_owned(),
            r#"{"type":"delete","room":"lobby","id":"m1","uid":"has space"}"#.to_owned(),
            r#"{"type":"delete","room":"lobby","id":7}"#.to_owned(),
            r#"{"type":"react","room":"lobby","id":"m1","emoji":"👍👍","on":true}"#.to_owned(),
            r#"{"type":"react","room":"lobby","id":"m1","emoji":"ok","on":true}"#.to_owned(),
            r#"{"type":"react","room":"lobby","id":"m1","emoji":"👍\u200b","on":true}"#.to_owned(),
            r#"{"type":"react","room":"lobby","id":"m1","emoji":"","on":true}"#.to_owned(),
            r#"{"type":"react","room":"lobby","id":"m1","emoji":"👍","on":"yes"}"#.to_owned(),
            r#"{"type":"react","room":"lobby","id":"m1","emoji":"👍"}"#.to_owned(),
            r#"{"type":"read","room":"lobby","seq":9007199254740992}"#.to_owned(),
            r#"{"type":"read","room":"lobby","seq":-1}"#.to_owned(),
            format!(r#"{{"type":"search","room":"lobby","q":"{huge_q}"}}"#),
            format!(
                r#"{{"type":"search","room":"lobby","q":"{}"}}"#,
                "q".repeat(MAX_QUERY_BYTES + 1)
            ),
            r#"{"type":"search","room":"lobby","q":"x","req":9007199254740992}"#.to_owned(),
            r#"{"type":"history","room":"lobby","msgs":[],"read":9007199254740992}"#.to_owned(),
        ];
        for text in &dropped {
            assert!(decode(text).is_err(), "{text}");
            assert!(decode_received(text, Timestamp::EPOCH).is_err(), "{text}");
        }
    }

    /// Built without the `actions` feature (as the web client is), the action frames are
    /// frames of an unknown type: ignored, whatever their values, never an error to count.
    #[cfg(not(feature = "actions"))]
    #[test]
    fn without_the_feature_action_frames_are_unknown_frames() {
        for text in [
            r#"{"type":"edit","room":"lobby","id":"m1","text":"fixed","from":"alice"}"#,
            r#"{"type":"delete","room":"lobby","id":"m1"}"#,
            r#"{"type":"react","room":"lobby","id":"m1","emoji":"👍👍","on":"yes"}"#,
            r#"{"type":"read","room":"lobby","seq":-1}"#,
            r#"{"type":"search","room":"lobby","q":"lunch"}"#,
            r#"{"type":"results","room":"lobby","msgs":[{"id":7}]}"#,
        ] {
            assert_eq!(decode(text), Ok(Frame::Unknown), "{text}");
            assert_eq!(
                decode_received(text, Timestamp::EPOCH),
                Ok(Received {
                    frame: Frame::Unknown,
                    repaired: false
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn a_history_message_with_hostile_state_is_left_out_alone() {
        let good = r#"{"id":"ok","room":"lobby","from":"a","text":"t","ts":1}"#;
        let many = (0..=MAX_REACTION_KINDS)
            .map(|n| format!(r#"{{"emoji":"{}","count":1}}"#, EMOJI[n % EMOJI.len()]))
            .collect::<Vec<_>>()
            .join(",");
        let bad = [
            r#"{"id":"b","room":"lobby","from":"a","text":"still here","ts":1,"deleted":2}"#
                .to_owned(),
            format!(
                r#"{{"id":"b","room":"lobby","from":"a","text":"t","ts":1,"reply_to":"{}"}}"#,
                "r".repeat(MAX_ID_BYTES + 1)
            ),
            format!(r#"{{"id":"b","room":"lobby","from":"a","text":"t","ts":1,"reactions":[{many}]}}"#),
            r#"{"id":"b","room":"lobby","from":"a","text":"t","ts":1,"reactions":[{"emoji":"👍","count":1,"users":["a","b"]}]}"#.to_owned(),
            r#"{"id":"b","room":"lobby","from":"a","text":"t","ts":1,"reactions":[{"emoji":"👍 👍","count":1}]}"#.to_owned(),
        ];
        for message in &bad {
            let text = format!(r#"{{"type":"history","room":"lobby","msgs":[{good},{message}]}}"#);
            let received = decode_received(&text, Timestamp::EPOCH);
            let Ok(Received {
                frame: Frame::History(history),
                repaired: true,
            }) = received
            else {
                // A time of the wrong range fails the whole page's parse; that is dropped.
                assert!(received.is_err(), "{text}: {received:?}");
                continue;
            };
            let ids: Vec<&str> = history.msgs.iter().map(|m| m.id.as_str()).collect();
            assert_eq!(ids, ["ok"], "{message}");
        }
        // A time out of range is a time a reader can repair, as `ts` is.
        let text = r#"{"type":"history","room":"lobby","msgs":[{"id":"b","room":"lobby","from":"a","text":"t","ts":1,"edited":-5}]}"#;
        assert!(decode(text).is_err());
        let Ok(Received {
            frame: Frame::History(history),
            repaired: true,
        }) = decode_received(text, Timestamp::EPOCH)
        else {
            panic!("repaired")
        };
        assert_eq!(history.msgs[0].edited, Some(Timestamp::EPOCH));
    }
}
