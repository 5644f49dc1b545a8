//! The message list in each engine: windowed rendering of long rooms, scrolling that
//! follows or stays put, older history arriving above, grouping, day separators, links
//! and long text. Messages come from the in-memory far end of the socket; the list is
//! mounted with the app's stylesheet into a box of fixed height, so scrolling is the same
//! in every run. The pure rules (links, grouping, window arithmetic) are tested natively in
//! `wirechat-view`; only initials, which use the browser's Unicode tables, are tested here.

use crate::support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wirechat::identity::initials;
use wirechat::message_layout::RENDER_WINDOW;

/// Height of the box the chat is mounted into.
const BOX_PX: u32 = 600;

/// A fixed moment (24 November 2025), for messages whose day does not matter.
const TS: u64 = 1_764_000_000_000;

const MINUTE_MS: u64 = 60_000;

// ---- Frames -------------------------------------------------------------------------

/// One stored message as it appears inside a `history` frame.
fn stored(seq: u64, from: &str, text: &str, ts: u64) -> String {
    serde_json::json!({
        "id": format!("m{seq}"), "room": "lobby", "from": from, "text": text, "ts": ts, "seq": seq
    })
    .to_string()
}

/// A `history` frame holding `msgs` (already encoded).
fn history(msgs: &[String], more: bool) -> String {
    format!(
        r#"{{"type":"history","room":"lobby","msgs":[{}],"more":{more}}}"#,
        msgs.join(",")
    )
}

/// A live `msg` frame.
fn live(seq: u64, from: &str, text: &str, ts: u64) -> String {
    serde_json::json!({
        "type": "msg", "id": format!("m{seq}"), "room": "lobby", "from": from, "text": text,
        "ts": ts, "seq": seq
    })
    .to_string()
}

/// Answers the join with messages `first..=last`, "message N" from a few senders a minute
/// apart.
fn join_reply(first: u64, last: u64, more: bool) -> String {
    let msgs: Vec<String> = (first..=last)
        .map(|n| stored(n, sender(n), &format!("message {n}"), TS + n * MINUTE_MS))
        .collect();
    history(&msgs, more)
}

fn sender(n: u64) -> &'static str {
    ["bob", "carol", "dave"][(n % 3) as usize]
}

/// Local noon of a calendar day, in ms since the epoch (`month` counts from 0).
fn local_noon(year: u32, month: i32, day: i32) -> u64 {
    js_sys::Date::new_with_year_month_day_hr_min(year, month, day, 12, 0).get_time() as u64
}

// ---- DOM ----------------------------------------------------------------------------

fn log_of(chat: &Mounted) -> web_sys::HtmlElement {
    find(&chat.root, r#"[role="log"]"#)
}

fn rows_of(chat: &Mounted) -> Vec<web_sys::HtmlElement> {
    find_all(&chat.root, r#"[role="log"] [role="article"]"#)
}

fn text_of(row: &web_sys::HtmlElement) -> String {
    find(row, ".msg-text").text_content().unwrap_or_default()
}

/// `getBoundingClientRect()` top and bottom.
fn rect(el: &web_sys::Element) -> (f64, f64) {
    let measure: js_sys::Function = js_sys::Reflect::get(el, &"getBoundingClientRect".into())
        .unwrap()
        .unchecked_into();
    let rect = measure.call0(el).unwrap();
    let side = |name: &str| {
        js_sys::Reflect::get(&rect, &name.into())
            .unwrap()
            .as_f64()
            .unwrap()
    };
    (side("top"), side("bottom"))
}

/// The first row that shows at least a pixel inside the log.
fn first_visible_row(chat: &Mounted) -> web_sys::HtmlElement {
    let (log_top, _) = rect(&log_of(chat));
    rows_of(chat)
        .into_iter()
        .find(|row| rect(row).1 > log_top + 1.0)
        .expect("a row on screen")
}

/// Whether the sender's name in `row` is there only for assistive technology.
fn from_is_hidden(row: &web_sys::HtmlElement) -> bool {
    find(row, ".msg-from")
        .class_list()
        .contains("visually-hidden")
}

fn is_at_bottom(log: &web_sys::HtmlElement) -> bool {
    log.scroll_height() - log.scroll_top() - log.client_height() <= 2
}

/// Whether the row's whole box is inside the log's box.
fn fully_visible(chat: &Mounted, row: &web_sys::HtmlElement) -> bool {
    let (log_top, log_bottom) = rect(&log_of(chat));
    let (top, bottom) = rect(row);
    top >= log_top - 1.0 && bottom <= log_bottom + 1.0
}

fn computed_style(el: &web_sys::Element, property: &str) -> String {
    let window = web_sys::window().unwrap();
    let compute: js_sys::Function = js_sys::Reflect::get(&window, &"getComputedStyle".into())
        .unwrap()
        .unchecked_into();
    let style = compute.call1(&window, el).unwrap();
    js_sys::Reflect::get(&style, &property.into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

fn new_messages_button(chat: &Mounted) -> Option<web_sys::HtmlElement> {
    find_all(&chat.root, "button.new-messages")
        .into_iter()
        .next()
}

/// Scrolls the log and gives the list a few frames to react.
async fn scroll_log_to(chat: &Mounted, top: i32) {
    log_of(chat).set_scroll_top(top);
    settle().await;
}

/// A mounted chat whose room holds `message 1` … `message {count}`, shown at the bottom.
async fn chat_with(count: u64) -> Mounted {
    let chat = mount_styled_chat(BOX_PX).await;
    chat.server.push(&join_reply(1, count, false));
    let last = format!("message {count}");
    wait_until("the newest message is shown at the bottom", || {
        let rows = rows_of(&chat);
        rows.last().is_some_and(|r| text_of(r) == last) && is_at_bottom(&log_of(&chat))
    })
    .await;
    chat
}

// ---- Initials ------------------------------------------------------------------------

#[wasm_bindgen_test]
fn initials_are_the_upper_cased_first_letters_of_two_words() {
    for (name, expected) in [
        ("Ada Lovelace", "AL"),
        ("bob", "B"),
        ("김민준", "김"),
        ("élodie durand", "ÉD"),
        ("анна каренина", "АК"),
        ("(eve) 2nd", "E2"),
        ("🙂 ann", "A"),
        ("ada lovelace byron", "AL"),
        ("  ", ""),
    ] {
        assert_eq!(initials(name), expected, "{name:?}");
    }
}

// ---- Windowed rendering -------------------------------------------------------------

#[wasm_bindgen_test]
async fn a_hundred_thousand_messages_keep_at_most_the_window_in_the_dom() {
    const TOTAL: u64 = 100_000;
    const PAGE: u64 = 4_000;
    let chat = mount_styled_chat(BOX_PX).await;
    // A server may hand over a long room as consecutive history pages; the first answers
    // the join.
    for first in (1..=TOTAL).step_by(PAGE as usize) {
        let msgs: Vec<String> = (first..first + PAGE)
            .map(|n| stored(n, sender(n), &format!("message {n}"), TS + n * MINUTE_MS))
            .collect();
        chat.server.push(&history(&msgs, false));
    }
    wait_until("the newest message is at the bottom", || {
        rows_of(&chat)
            .last()
            .is_some_and(|r| text_of(r) == "message 100000" && fully_visible(&chat, r))
            && is_at_bottom(&log_of(&chat))
    })
    .await;
    let rendered = rows_of(&chat).len();
    assert!(rendered <= RENDER_WINDOW, "{rendered} rows in the DOM");
    assert!(
        log_of(&chat).scroll_height() > (TOTAL * 20) as i32,
        "the spacers give the log the height of the whole room"
    );

    scroll_log_to(&chat, 0).await;
    wait_until("the first messages are shown at the top", || {
        rows_of(&chat)
            .first()
            .is_some_and(|r| text_of(r) == "message 1" && fully_visible(&chat, r))
    })
    .await;
    assert!(rows_of(&chat).len() <= RENDER_WINDOW);
    let edge = find(&chat.root, ".history-edge");
    assert!(edge
        .text_content()
        .unwrap()
        .contains("Beginning of the conversation"));
    // The rows come first and the scroll that keeps them in place may settle a frame later,
    // so the edge above them is waited for.
    wait_until("the reader sees the very top", || {
        fully_visible(&chat, &edge)
    })
    .await;

    let log = log_of(&chat);
    scroll_log_to(&chat, log.scroll_height() / 2).await;
    wait_until("the middle of the room is rendered", || {
        let row = first_visible_row(&chat);
        let n: u64 = text_of(&row)["message ".len()..].parse().unwrap();
        (TOTAL / 4..TOTAL * 3 / 4).contains(&n)
    })
    .await;
    assert!(rows_of(&chat).len() <= RENDER_WINDOW);
}

#[wasm_bindgen_test]
async fn a_room_within_the_window_is_rendered_whole() {
    let chat = chat_with(300).await;
    assert_eq!(rows_of(&chat).len(), 300);
}

// ---- Scrolling ----------------------------------------------------------------------

#[wasm_bindgen_test]
async fn new_messages_scroll_into_view_while_the_reader_is_at_the_bottom() {
    let chat = chat_with(60).await;
    chat.server
        .push(&live(61, "bob", "fresh news", TS + 61 * MINUTE_MS));
    wait_until("the new message is shown at the bottom", || {
        rows_of(&chat)
            .last()
            .is_some_and(|r| text_of(r) == "fresh news" && fully_visible(&chat, r))
            && is_at_bottom(&log_of(&chat))
    })
    .await;
    assert!(new_messages_button(&chat).is_none());
}

#[wasm_bindgen_test]
async fn a_reader_at_the_bottom_stays_there_when_the_composer_grows() {
    let chat = chat_with(60).await;
    let log = log_of(&chat);
    let height_before = log.client_height();
    type_text(&textarea(&chat.root), "one\ntwo\nthree\nfour\nfive", false);
    wait_until("the list is shorter and still at the bottom", || {
        log.client_height() < height_before && is_at_bottom(&log)
    })
    .await;
    // And back: the composer empties, the list grows, the newest message stays in view.
    type_text(&textarea(&chat.root), "", false);
    wait_until(
        "the list is as high as before and still at the bottom",
        || log.client_height() == height_before && is_at_bottom(&log),
    )
    .await;
}

#[wasm_bindgen_test]
async fn a_reader_scrolled_up_keeps_the_view_and_gets_a_button_to_the_new_messages() {
    let chat = chat_with(60).await;
    scroll_log_to(&chat, 600).await;
    let watched = first_visible_row(&chat);
    let watched_text = text_of(&watched);
    let (top_before, _) = rect(&watched);
    let scroll_before = log_of(&chat).scroll_top();

    for seq in 61..=63 {
        chat.server.push(&live(
            seq,
            "bob",
            &format!("news {seq}"),
            TS + seq * MINUTE_MS,
        ));
    }
    wait_until("the button counts three new messages", || {
        new_messages_button(&chat).is_some_and(|b| {
            b.text_content()
                .unwrap_or_default()
                .starts_with("3 new messages")
        })
    })
    .await;
    let watched = first_visible_row(&chat);
    assert_eq!(
        text_of(&watched),
        watched_text,
        "the same message is on top"
    );
    assert!((rect(&watched).0 - top_before).abs() <= 1.0);
    assert_eq!(log_of(&chat).scroll_top(), scroll_before);
    let button = new_messages_button(&chat).unwrap();
    assert_eq!(button.get_attribute("type").as_deref(), Some("button"));

    button.click();
    wait_until("the newest message is shown at the bottom", || {
        rows_of(&chat)
            .last()
            .is_some_and(|r| text_of(r) == "news 63" && fully_visible(&chat, r))
            && is_at_bottom(&log_of(&chat))
    })
    .await;
    assert!(new_messages_button(&chat).is_none(), "the button is gone");
}

#[wasm_bindgen_test]
async fn sending_a_message_brings_a_scrolled_up_reader_to_the_bottom() {
    let chat = chat_with(60).await;
    scroll_log_to(&chat, 300).await;
    let area = textarea(&chat.root);
    type_text(&area, "my own words", false);
    key_down(&area, "Enter", false, false, 13);
    wait_until("the own message is shown at the bottom", || {
        rows_of(&chat)
            .last()
            .is_some_and(|r| text_of(r) == "my own words" && fully_visible(&chat, r))
            && is_at_bottom(&log_of(&chat))
    })
    .await;
}

#[wasm_bindgen_test]
async fn older_history_arrives_above_without_moving_what_the_reader_sees() {
    let chat = mount_styled_chat(BOX_PX).await;
    chat.server.push(&join_reply(1001, 1100, true));
    wait_until("the newest message is at the bottom", || {
        rows_of(&chat)
            .last()
            .is_some_and(|r| text_of(r) == "message 1100")
            && is_at_bottom(&log_of(&chat))
    })
    .await;
    assert!(
        !chat
            .server
            .sent()
            .iter()
            .any(|f| f.contains(r#""type":"fetch""#)),
        "nothing older is asked for while the reader is at the bottom"
    );

    scroll_log_to(&chat, 0).await;
    wait_until("the list asks for older messages", || {
        chat.server
            .sent()
            .iter()
            .any(|f| f.contains(r#""type":"fetch""#))
    })
    .await;
    let fetch: serde_json::Value = chat
        .server
        .sent()
        .iter()
        .find(|f| f.contains(r#""type":"fetch""#))
        .map(|f| serde_json::from_str(f).unwrap())
        .unwrap();
    let before = fetch["before"].as_u64().expect("a fetch of older messages");
    assert_eq!(before, 1001);
    wait_until("the top says older messages are loading", || {
        find_all(&chat.root, ".history-edge")
            .first()
            .is_some_and(|e| e.text_content().unwrap().contains("Loading older"))
    })
    .await;
    settle().await;
    let watched = first_visible_row(&chat);
    let watched_text = text_of(&watched);
    let (top_before, _) = rect(&watched);

    let older: Vec<String> = (before - 50..before)
        .map(|n| stored(n, sender(n), &format!("message {n}"), TS + n * MINUTE_MS))
        .collect();
    chat.server.push(&history(&older, false));
    wait_until("the older messages are rendered", || {
        rows_of(&chat).len() == 150
    })
    .await;
    settle().await;
    let watched = rows_of(&chat)
        .into_iter()
        .find(|r| text_of(r) == watched_text)
        .expect("the watched message is still rendered");
    let moved = rect(&watched).0 - top_before;
    assert!(
        moved.abs() <= 2.0,
        "the watched message moved by {moved} px"
    );
    assert_eq!(text_of(&rows_of(&chat)[0]), "message 951");
}

// ---- Grouping and days ----------------------------------------------------------------

#[wasm_bindgen_test]
async fn consecutive_messages_of_a_sender_share_one_header() {
    let chat = mount_styled_chat(BOX_PX).await;
    let noon = local_noon(2025, 10, 24);
    chat.server.push(&history(
        &[
            stored(1, "bob", "one", noon),
            stored(2, "bob", "two", noon + MINUTE_MS),
            stored(3, "bob", "three, six minutes later", noon + 7 * MINUTE_MS),
            stored(4, "carol", "four", noon + 8 * MINUTE_MS),
        ],
        false,
    ));
    wait_until("four rows", || rows_of(&chat).len() == 4).await;
    let rows = rows_of(&chat);
    for (row, name) in rows.iter().zip(["bob", "bob", "bob", "carol"]) {
        assert_eq!(
            find(row, ".msg-from").text_content().unwrap(),
            name,
            "every row names its sender for assistive technology"
        );
    }
    assert!(!from_is_hidden(&rows[0]));
    assert!(
        from_is_hidden(&rows[1]),
        "the second message joins bob's group"
    );
    let (from_top, from_bottom) = rect(&find(&rows[1], ".msg-from"));
    assert!(
        from_bottom - from_top <= 1.0,
        "and its sender is not visible"
    );
    assert!(
        !from_is_hidden(&rows[2]),
        "six minutes later starts a new group"
    );
    assert!(
        !from_is_hidden(&rows[3]),
        "another sender starts a new group"
    );
}

#[wasm_bindgen_test]
async fn a_day_separator_stands_between_messages_of_different_days() {
    let chat = mount_styled_chat(BOX_PX).await;
    // Long past, so neither is "Today" or "Yesterday" whenever the test runs.
    let day_one = local_noon(2020, 2, 2);
    let day_two = local_noon(2020, 2, 3);
    chat.server.push(&history(
        &[
            stored(1, "bob", "monday morning", day_one),
            stored(2, "bob", "monday later", day_one + 3 * MINUTE_MS),
            stored(3, "bob", "tuesday", day_two),
        ],
        false,
    ));
    wait_until("three rows", || rows_of(&chat).len() == 3).await;
    let slots = find_all(&chat.root, ".msg-slot");
    let separator = |slot: &web_sys::HtmlElement| {
        find_all(slot, ".day-separator")
            .first()
            .map(|s| s.text_content().unwrap())
    };
    let monday = separator(&slots[0]).expect("the first day is named");
    assert_eq!(separator(&slots[1]), None, "no separator within a day");
    let tuesday = separator(&slots[2]).expect("a separator before the next day");
    assert_ne!(monday, tuesday);
    assert!(tuesday.contains("March 3"), "{tuesday}");
    assert!(!from_is_hidden(&slots[2]), "a new day starts a new group");
}

#[wasm_bindgen_test]
async fn today_and_yesterday_are_named() {
    let chat = mount_styled_chat(BOX_PX).await;
    let today = js_sys::Date::new_0();
    let yesterday = local_noon(
        today.get_full_year(),
        today.get_month() as i32,
        today.get_date() as i32 - 1,
    );
    chat.server.push(&history(
        &[
            stored(1, "bob", "then", yesterday),
            stored(2, "bob", "now", today.get_time() as u64),
        ],
        false,
    ));
    wait_until("two rows", || rows_of(&chat).len() == 2).await;
    let labels: Vec<String> = find_all(&chat.root, ".day-separator")
        .iter()
        .map(|s| s.text_content().unwrap())
        .collect();
    assert_eq!(labels, ["Yesterday", "Today"]);
}

// ---- Text ---------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn addresses_become_safe_links_and_other_schemes_stay_text() {
    let chat = mount_styled_chat(BOX_PX).await;
    let text = "docs at https://example.com/guide. mail mailto:bob@example.com or \
                http://plain.test/?q=1, never javascript:alert(1) nor \
                data:text/html,<script>window.__wirechatInjected=1</script>";
    chat.server.push(&live(1, "bob", text, TS));
    wait_until("the message is shown", || rows_of(&chat).len() == 1).await;
    let row = &rows_of(&chat)[0];
    let body = find(row, ".msg-text");
    assert_eq!(body.text_content().unwrap(), text, "the text reads as sent");
    let links = find_all(&body, "a");
    let hrefs: Vec<String> = links
        .iter()
        .map(|a| a.get_attribute("href").unwrap())
        .collect();
    assert_eq!(
        hrefs,
        [
            "https://example.com/guide",
            "mailto:bob@example.com",
            "http://plain.test/?q=1"
        ]
    );
    for link in &links {
        assert_eq!(
            link.text_content().unwrap(),
            link.get_attribute("href").unwrap()
        );
        assert_eq!(
            link.get_attribute("rel").as_deref(),
            Some("noopener noreferrer")
        );
        assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
    }
    assert!(find_all(&chat.root, r#"[role="log"] script"#).is_empty());
    assert!(!markup_ran());
}

#[wasm_bindgen_test]
async fn a_long_unbroken_word_wraps_inside_the_list() {
    let chat = mount_styled_chat(BOX_PX).await;
    let word = "x".repeat(5_000);
    chat.server.push(&live(1, "bob", &word, TS));
    wait_until("the message is shown", || rows_of(&chat).len() == 1).await;
    let log = log_of(&chat);
    assert!(
        log.scroll_width() <= log.client_width(),
        "the list is {} px wide for {} px of screen",
        log.scroll_width(),
        log.client_width()
    );
    let body = find(&rows_of(&chat)[0], ".msg-text");
    assert_eq!(body.text_content().unwrap(), word);
    assert!(body.offset_height() > 100, "the word wraps over many lines");
}

#[wasm_bindgen_test]
async fn multi_line_text_keeps_its_line_breaks() {
    let chat = mount_styled_chat(BOX_PX).await;
    let text = "first line\nsecond line\n\n    indented fourth";
    chat.server.push(&live(1, "bob", text, TS));
    wait_until("the message is shown", || rows_of(&chat).len() == 1).await;
    let body = find(&rows_of(&chat)[0], ".msg-text");
    assert_eq!(body.text_content().unwrap(), text);
    assert_eq!(computed_style(&body, "whiteSpace"), "pre-wrap");
    assert_eq!(body.inner_text(), text, "the lines are rendered as sent");
}
