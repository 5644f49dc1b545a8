use super::*;

const CORE: &str =
    r#"{"type":"msg","id":"m-1","room":"lobby","from":"alice","text":"Hello","ts":1764000000000}"#;

fn msg() -> ChatMessage {
    ChatMessage {
        id: "m-1".into(),
        room: "lobby".into(),
        from: "alice".into(),
        text: "Hello".into(),
        ts: 1_764_000_000_000,
        seq: None,
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
        }),
        Frame::Join(Join {
            room: "lobby".into(),
            name: "alice".into(),
            after: Some(41),
            epoch: Some("e1".into()),
            deltas: false,
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
        }),
        Frame::History(History {
            room: "lobby".into(),
            msgs: vec![msg()],
            more: true,
            latest: Some(9),
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
        }),
    ];
    for frame in frames {
        let text = encode(&frame);
        assert_eq!(decode(&text).unwrap(), frame, "round trip of {text}");
    }
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
        r#"{"type":"msg","id":"m","room":"lobby","from":"alice","text":"x","ts":-1}"#,
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
fn oversized_frames_are_refused_before_parsing() {
    let text = format!(
        r#"{{"type":"msg","id":"m","room":"r","from":"a","text":"{}","ts":1}}"#,
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
fn close_codes_that_forbid_retry() {
    assert!(!close_code::should_retry(close_code::POLICY));
    assert!(!close_code::should_retry(close_code::FORBIDDEN));
    assert!(close_code::should_retry(close_code::GOING_AWAY));
    assert!(close_code::should_retry(close_code::SLOW_CONSUMER));
    assert!(close_code::should_retry(1006));
}
