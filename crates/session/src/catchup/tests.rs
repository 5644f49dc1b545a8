use super::*;

const NOW: u64 = 1_764_000_000_000;

fn msg(id: &str, ts: u64) -> ChatMessage {
    ChatMessage {
        uid: None,
        id: id.into(),
        room: "lobby".into(),
        from: "bob".into(),
        text: format!("text {id}"),
        ts: wirechat_protocol::Timestamp::saturating_from_millis(ts),
        seq: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

#[test]
fn a_far_future_ts_does_not_push_since_past_now() {
    let mut log = RoomLog::default();
    log.insert(msg("a", NOW - 5_000), None, 0, 1);
    log.insert(msg("future", u64::MAX), None, 0, 2);
    let (since, have) = what_we_have(NOW, &log);
    assert_eq!(since, Some(NOW - CLOCK_MARGIN_MS));
    assert_eq!(have, ["future", "a"]);
}

#[test]
fn own_messages_not_yet_sent_are_neither_offered_nor_counted_as_had() {
    let mut log = RoomLog::default();
    log.insert(msg("pending", NOW), Some(Delivery::Pending), 0, 1);
    log.insert(msg("failed", NOW), Some(Delivery::Failed), 0, 2);
    assert_eq!(what_we_have(NOW, &log), (None, vec![]));
    let answer = build_answer(&log, "lobby", "n".into(), "bob", None, &[]);
    assert!(answer.msgs.is_empty());
    log.insert(msg("sent", NOW), Some(Delivery::Sent), 0, 3);
    let answer = build_answer(&log, "lobby", "n".into(), "bob", None, &[]);
    assert_eq!(answer.msgs, [msg("sent", NOW)]);
}

#[test]
fn requests_are_refused_once_the_answer_budget_is_spent() {
    let mut log = RoomLog::default();
    log.insert(msg("a", NOW), None, 0, 1);
    let mut c = CatchUp::new(1);
    let request = |n: usize| Catchup {
        room: "lobby".into(),
        from: "zed".into(),
        nonce: format!("n{n}"),
        since: None,
        have: vec![],
    };
    for n in 0..ANSWERS_PER_WINDOW + 3 {
        c.on_request(NOW, request(n), "bob", &log);
    }
    let sent = c.due_answers(NOW + ANSWER_DELAY_MIN_MS + ANSWER_DELAY_SPREAD_MS);
    assert_eq!(sent.len(), ANSWERS_PER_WINDOW);
    c.on_request(NOW + 1_000, request(100), "bob", &log);
    assert!(c.due_answers(NOW + 5_000).is_empty());
    let later = NOW + ANSWER_BUDGET_WINDOW_MS + 1_000;
    c.on_request(later, request(101), "bob", &log);
    assert_eq!(c.due_answers(later + 1_000).len(), 1);
}
