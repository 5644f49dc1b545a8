//! Where the reader left off and search: the "new messages" line from the server's read
//! position, the position going back as the reader reads, and the search panel, whose
//! results open the message in context, loading older history to reach it.

use crate::support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wirechat_protocol::{decode, Fetch, Frame, Search};

/// A server that keeps read positions and answers searches.
const HELLO_SEARCH: &str = r#"{"type":"hello","server":"test","epoch":"e1","features":["history","ack","presence","typing","actions","search"]}"#;

/// Message `seq` of the lobby as the server sends it.
fn msg(seq: u64, text: &str) -> String {
    format!(
        r#"{{"id":"m{seq}","room":"lobby","from":"bob","text":"{text}","ts":{},"seq":{seq}}}"#,
        1_764_000_000_000u64 + seq * 1_000
    )
}

/// A history page of the messages numbered `seqs`.
fn page(seqs: std::ops::RangeInclusive<u64>, more: bool, extra: &str) -> String {
    let msgs: Vec<String> = seqs
        .map(|seq| {
            let text = if seq == 50 {
                "a needle in the haystack".to_owned()
            } else {
                format!("message {seq}")
            };
            msg(seq, &text)
        })
        .collect();
    format!(
        r#"{{"type":"history","room":"lobby","msgs":[{}],"more":{more},"latest":500{extra}}}"#,
        msgs.join(",")
    )
}

/// The frames the client sent, decoded.
fn sent_frames(chat: &Mounted) -> Vec<Frame> {
    chat.server
        .sent()
        .iter()
        .filter_map(|t| decode(t).ok())
        .collect()
}

fn fetches(chat: &Mounted) -> Vec<Fetch> {
    sent_frames(chat)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Fetch(f) => Some(f),
            _ => None,
        })
        .collect()
}

/// Waits for the `n`th fetch (counted from 1) the client sends, and returns it.
async fn nth_fetch(chat: &Mounted, n: usize) -> Fetch {
    wait_until(&format!("fetch number {n} is sent"), || {
        fetches(chat).len() >= n
    })
    .await;
    fetches(chat)[n - 1].clone()
}

#[wasm_bindgen_test]
async fn the_new_messages_line_stays_above_the_first_message_unread_at_opening() {
    let chat = mount_styled_chat_greeted_by(400, HELLO_SEARCH).await;
    chat.server.push(&format!(
        r#"{{"type":"history","room":"lobby","msgs":[{}],"more":false,"latest":10,"read":6}}"#,
        (1..=10)
            .map(|seq| msg(seq, &format!("message {seq}")))
            .collect::<Vec<_>>()
            .join(",")
    ));
    let line = wait_for(&chat.root, ".unread-line").await;
    assert_eq!(line.get_attribute("role").as_deref(), Some("separator"));
    assert_eq!(
        line.get_attribute("aria-label").as_deref(),
        Some("New messages")
    );
    let next = line.next_element_sibling().unwrap();
    assert_eq!(next.get_attribute("data-id").as_deref(), Some("m7"));

    // A message arriving now is no reason to move the line, nor to draw a second one.
    chat.server
        .push(&msg(11, "message 11").replacen('{', r#"{"type":"msg","#, 1));
    wait_for(&chat.root, r#"[data-id="m11"]"#).await;
    settle().await;
    let lines = find_all(&chat.root, ".unread-line");
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0]
            .next_element_sibling()
            .unwrap()
            .get_attribute("data-id")
            .as_deref(),
        Some("m7")
    );

    // The reader is at the bottom: the position goes to the server once they pause.
    wait_until("the read position is sent", || {
        sent_frames(&chat)
            .iter()
            .any(|f| matches!(f, Frame::Read(r) if r.seq == 11 && r.room == "lobby"))
    })
    .await;
}

#[wasm_bindgen_test]
async fn no_line_is_drawn_when_the_server_kept_no_position() {
    let chat = mount_styled_chat_greeted_by(400, HELLO_SEARCH).await;
    chat.server.push(&format!(
        r#"{{"type":"history","room":"lobby","msgs":[{}],"more":false,"latest":3}}"#,
        (1..=3)
            .map(|seq| msg(seq, "hi"))
            .collect::<Vec<_>>()
            .join(",")
    ));
    wait_for(&chat.root, r#"[data-id="m3"]"#).await;
    settle().await;
    assert!(find_all(&chat.root, ".unread-line").is_empty());
}

#[wasm_bindgen_test]
async fn search_is_not_offered_by_a_server_that_cannot_search() {
    let chat = mount_styled_chat(400).await;
    chat.server.push(&page(1..=3, false, ""));
    wait_for(&chat.root, r#"[data-id="m3"]"#).await;
    settle().await;
    assert!(find_all(&chat.root, ".search-toggle").is_empty());
}

#[wasm_bindgen_test]
async fn a_search_result_opens_in_context_after_older_pages_bring_it() {
    let chat = mount_styled_chat_greeted_by(400, HELLO_SEARCH).await;
    chat.server.push(&page(301..=500, true, ""));
    wait_for(&chat.root, r#"[data-id="m500"]"#).await;

    let toggle = find(&chat.root, ".search-toggle");
    assert_eq!(
        toggle.get_attribute("aria-label").as_deref(),
        Some("Search messages")
    );
    toggle.click();
    let field: web_sys::HtmlInputElement =
        wait_for(&chat.root, r#".search-panel input[type="search"]"#)
            .await
            .unchecked_into();
    field.set_value("Needle");
    field
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    find(&chat.root, r#".search-panel button[type="submit"]"#).click();
    wait_until("the search is sent", || {
        sent_frames(&chat)
            .iter()
            .any(|f| matches!(f, Frame::Search(Search { q, .. }) if q == "Needle"))
    })
    .await;
    let req = sent_frames(&chat)
        .into_iter()
        .find_map(|f| match f {
            Frame::Search(s) => s.req,
            _ => None,
        })
        .unwrap();
    chat.server.push(&format!(
        r#"{{"type":"results","room":"lobby","msgs":[{}],"req":{req}}}"#,
        msg(50, "a needle in the haystack")
    ));
    let result = wait_for(&chat.root, ".search-result").await;
    let text = result.text_content().unwrap();
    assert!(
        text.contains("bob") && text.contains("a needle in the haystack"),
        "{text}"
    );
    assert_eq!(
        find(&result, "mark").text_content().as_deref(),
        Some("needle")
    );
    assert_eq!(
        find(&chat.root, ".search-status").text_content().as_deref(),
        Some("1 message found")
    );

    // Not held: older pages are loaded until it is, then it is shown and highlighted.
    result.click();
    let first = nth_fetch(&chat, 1).await;
    assert_eq!(first.before, Some(301));
    chat.server.push(&page(
        101..=300,
        true,
        &format!(r#","req":{}"#, first.req.unwrap()),
    ));
    let second = nth_fetch(&chat, 2).await;
    assert_eq!(second.before, Some(101));
    chat.server.push(&page(
        1..=100,
        false,
        &format!(r#","req":{}"#, second.req.unwrap()),
    ));
    let shown = wait_for(&chat.root, r#"[data-id="m50"][data-highlighted]"#).await;
    let list = find(&chat.root, ".message-list");
    let (top, bottom) = (list.scroll_top(), list.scroll_top() + list.client_height());
    let at = shown.offset_top();
    assert!(
        at >= top && at < bottom,
        "the message is on screen: {at} in {top}..{bottom}"
    );
    let focused = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .active_element()
        .unwrap();
    assert_eq!(focused.get_attribute("data-id").as_deref(), Some("m50"));
    // Its neighbours are there too, and the list is still a window of the room.
    assert!(find_all(&chat.root, r#"[data-id="m49"], [data-id="m51"]"#).len() == 2);
    assert!(find_all(&chat.root, ".msg-slot").len() < 500);
}
