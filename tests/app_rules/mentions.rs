//! @mentions as the user meets them: the composer's member list (online members, then people
//! who wrote and left) used by keyboard and by pointer (Enter picks and never sends while it is open, nothing is picked during an IME
//! composition), a message that mentions the reader highlighted with words that say so,
//! and the `@` mark on the badge of a room with an unread mention.

use crate::support::*;
use wasm_bindgen_test::*;

fn msg(id: &str, room: &str, from: &str, seq: u64, text: &str) -> String {
    format!(
        r#"{{"type":"msg","id":"{id}","room":"{room}","from":"{from}","text":"{text}","ts":1764000000000,"seq":{seq}}}"#
    )
}

/// A chat whose room has alice (the user), Anna, Ann Lee, 민수 and bob online.
async fn chat_with_people() -> Mounted {
    let chat = mount_chat().await;
    chat.server.push(
        r#"{"type":"presence","room":"lobby","users":["alice","Anna","Ann Lee","민수","bob"]}"#,
    );
    wait_until("the people are listed", || {
        find(&chat.root, ".people")
            .text_content()
            .unwrap_or_default()
            .contains("Ann Lee")
    })
    .await;
    chat
}

/// The names the member list offers now, and which one is active.
fn offered(root: &web_sys::HtmlElement) -> (Vec<String>, Option<String>) {
    let names = find_all(root, r#"[role="listbox"]:not([hidden]) [role="option"]"#)
        .iter()
        .map(|o| o.text_content().unwrap_or_default())
        .collect();
    let active = find_all(root, r#"[role="option"][aria-selected="true"]"#)
        .first()
        .map(|o| o.text_content().unwrap_or_default());
    (names, active)
}

/// The ids of the rows highlighted as mentioning the reader.
fn highlighted_rows(root: &web_sys::HtmlElement) -> Vec<String> {
    find_all(root, ".msg.mention")
        .iter()
        .filter_map(|m| m.closest(".msg-slot").ok().flatten())
        .filter_map(|slot| slot.get_attribute("data-id"))
        .collect()
}

fn expanded(root: &web_sys::HtmlElement) -> String {
    find(root, r#"[role="combobox"]"#)
        .get_attribute("aria-expanded")
        .unwrap_or_default()
}

/// Fires a keyup of `key` on the field, as a key that moves the caret does.
fn key_up(area: &web_sys::HtmlTextAreaElement, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keyup", &init).unwrap();
    area.dispatch_event(&event).unwrap();
}

/// Sets the text with the caret at its end and fires `input`.
fn type_at_end(area: &web_sys::HtmlTextAreaElement, text: &str) {
    type_text(area, text, false);
}

#[wasm_bindgen_test]
async fn at_and_a_prefix_offer_members_and_the_keyboard_picks_one_without_sending() {
    let chat = chat_with_people().await;
    let area = textarea(&chat.root);
    assert_eq!(expanded(&chat.root), "false");

    type_at_end(&area, "hi @an");
    wait_until("members are offered", || !offered(&chat.root).0.is_empty()).await;
    let (names, active) = offered(&chat.root);
    assert_eq!(names, ["Anna", "Ann Lee"], "alice herself is not offered");
    assert_eq!(active.as_deref(), Some("Anna"));
    assert_eq!(expanded(&chat.root), "true");
    let active_id = area.get_attribute("aria-activedescendant").unwrap();
    assert_eq!(
        find(&chat.root, &format!("#{active_id}"))
            .text_content()
            .as_deref(),
        Some("Anna"),
        "aria-activedescendant names the active option"
    );

    let area_el: &web_sys::HtmlElement = area.as_ref();
    assert!(
        !key_down(area_el, "ArrowDown", false, false, 40),
        "Down is the list's"
    );
    settle().await;
    assert_eq!(offered(&chat.root).1.as_deref(), Some("Ann Lee"));
    key_down(area_el, "ArrowDown", false, false, 40);
    settle().await;
    assert_eq!(
        offered(&chat.root).1.as_deref(),
        Some("Anna"),
        "Down wraps around"
    );
    key_down(area_el, "ArrowUp", false, false, 38);
    settle().await;
    assert_eq!(offered(&chat.root).1.as_deref(), Some("Ann Lee"));

    // Enter during an IME composition belongs to the composition.
    key_down(area_el, "Enter", false, true, 229);
    settle().await;
    assert_eq!(area.value(), "hi @an");
    assert_eq!(expanded(&chat.root), "true");

    assert!(!key_down(area_el, "Enter", false, false, 13));
    settle().await;
    assert_eq!(area.value(), "hi @Ann Lee ");
    assert_eq!(
        area.selection_start().unwrap(),
        Some(12),
        "the caret follows the name"
    );
    assert_eq!(expanded(&chat.root), "false");
    assert!(
        chat.server.sent_messages().is_empty(),
        "Enter with the list open never sends"
    );

    // Tab picks too; Escape closes without touching the text.
    type_at_end(&area, "hi @Ann Lee and @민");
    wait_until("민수 is offered", || offered(&chat.root).0 == ["민수"]).await;
    key_down(area_el, "Escape", false, false, 27);
    settle().await;
    assert_eq!(expanded(&chat.root), "false");
    assert_eq!(area.value(), "hi @Ann Lee and @민");
    type_at_end(&area, "hi @Ann Lee and @민");
    wait_until("민수 is offered again", || {
        offered(&chat.root).0 == ["민수"]
    })
    .await;
    assert!(!key_down(area_el, "Tab", false, false, 9));
    settle().await;
    assert_eq!(area.value(), "hi @Ann Lee and @민수 ");

    // With the list closed, Enter sends.
    key_down(area_el, "Enter", false, false, 13);
    let sent = wait_for_sent(&chat.server, 1).await;
    assert_eq!(sent[0].text, "hi @Ann Lee and @민수 ");
}

#[wasm_bindgen_test]
async fn a_click_on_a_member_puts_the_mention_in_place_and_no_match_shows_no_list() {
    let chat = chat_with_people().await;
    let area = textarea(&chat.root);
    type_at_end(&area, "@b");
    wait_until("bob is offered", || offered(&chat.root).0 == ["bob"]).await;
    find(&chat.root, r#"[role="option"]"#).click();
    settle().await;
    assert_eq!(area.value(), "@bob ");
    assert_eq!(expanded(&chat.root), "false");

    type_at_end(&area, "@bob and @zed");
    settle().await;
    assert_eq!(expanded(&chat.root), "false", "no one is called zed");
    type_at_end(&area, "mail bob@an");
    settle().await;
    assert_eq!(
        expanded(&chat.root),
        "false",
        "an e-mail address is no mention"
    );

    // Moving the caret away from the name being typed closes the list, and back opens it.
    type_at_end(&area, "@an or");
    settle().await;
    assert_eq!(expanded(&chat.root), "false");
    area.set_selection_range(3, 3).unwrap();
    key_up(&area, "ArrowLeft");
    wait_until("the list opens at the name", || {
        expanded(&chat.root) == "true"
    })
    .await;
    area.set_selection_range(6, 6).unwrap();
    key_up(&area, "End");
    wait_until("the list closes past the name", || {
        expanded(&chat.root) == "false"
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_message_that_mentions_the_reader_is_highlighted_and_says_so() {
    let chat = mount_chat().await;
    chat.server
        .push(&msg("m1", "lobby", "bob", 1, "@Alice can you look?"));
    chat.server
        .push(&msg("m2", "lobby", "bob", 2, "@alicia is someone else"));
    chat.server
        .push(&msg("m3", "lobby", "alice", 3, "@alice a note to myself"));
    wait_for(&chat.root, r#".msg-slot[data-id="m3"]"#).await;
    assert_eq!(highlighted_rows(&chat.root), ["m1"]);
    let row = find(&chat.root, r#".msg-slot[data-id="m1"]"#);
    assert!(
        row.text_content().unwrap().contains("mentions you"),
        "the highlight is said in words too"
    );
}

#[wasm_bindgen_test]
async fn a_mention_in_another_room_marks_its_badge_until_it_is_opened() {
    let mut options = lobby_options();
    options.other_rooms = vec!["dev".into()];
    let chat = mount_chat_with(options).await;
    wait_for(&chat.root, ".room-item + .room-item").await;
    chat.server
        .push(&msg("d1", "dev", "bob", 1, "nothing for alice"));
    wait_for(&chat.root, ".unread").await;
    assert!(find_all(&chat.root, ".unread.mentioned").is_empty());
    chat.server
        .push(&msg("d2", "dev", "bob", 2, "@alice your turn"));
    let badge = wait_for(&chat.root, ".unread.mentioned").await;
    assert_eq!(badge.text_content().unwrap().trim(), "@2");
    assert_eq!(
        badge.get_attribute("aria-label").as_deref(),
        Some("2 unread messages, 1 mention of you")
    );
    let dev = find_all(&chat.root, ".room-button")
        .into_iter()
        .find(|b| b.text_content().unwrap_or_default().contains("dev"))
        .unwrap();
    dev.click();
    wait_until("the badge is gone", || {
        find_all(&chat.root, ".unread").is_empty()
    })
    .await;
    wait_for(&chat.root, r#".msg-slot[data-id="d2"] .msg.mention"#).await;
}

#[wasm_bindgen_test]
async fn an_edit_that_adds_a_mention_marks_the_badge_of_another_room() {
    let mut options = lobby_options();
    options.other_rooms = vec!["dev".into()];
    let chat = mount_chat_with(options).await;
    wait_for(&chat.root, ".room-item + .room-item").await;
    chat.server.push(&msg("d1", "dev", "bob", 1, "your turn"));
    wait_for(&chat.root, ".unread").await;
    assert!(find_all(&chat.root, ".unread.mentioned").is_empty());
    chat.server
        .push(r#"{"type":"edit","room":"dev","id":"d1","text":"@alice your turn","from":"bob"}"#);
    let badge = wait_for(&chat.root, ".unread.mentioned").await;
    assert_eq!(badge.text_content().unwrap().trim(), "@1");
    chat.server
        .push(r#"{"type":"delete","room":"dev","id":"d1","from":"bob"}"#);
    wait_until("the deleted mention no longer marks the badge", || {
        find_all(&chat.root, ".unread.mentioned").is_empty()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_korean_name_with_an_honorific_or_a_particle_is_a_mention() {
    let chat = mount_chat_with(wirechat::ChatOptions::new(
        "ws://loopback.test/ws",
        "lobby",
        "민수",
    ))
    .await;
    chat.server.push(&msg(
        "m1",
        "lobby",
        "지영",
        1,
        "@민수님 회의 자료 확인 부탁해요",
    ));
    chat.server
        .push(&msg("m2", "lobby", "지영", 2, "@민수에게 물어봤어요"));
    chat.server.push(&msg(
        "m3",
        "lobby",
        "지영",
        3,
        "@민수진 님은 다른 사람이에요",
    ));
    wait_for(&chat.root, r#".msg-slot[data-id="m3"]"#).await;
    assert_eq!(highlighted_rows(&chat.root), ["m1", "m2"]);
}

#[wasm_bindgen_test]
async fn someone_who_wrote_and_left_is_offered_after_those_online() {
    let chat = chat_with_people().await;
    chat.server
        .push(&msg("m1", "lobby", "Andrea", 1, "see you all tomorrow"));
    chat.server
        .push(&msg("m2", "lobby", "bob", 2, "bye Andrea"));
    wait_for(&chat.root, r#".msg-slot[data-id="m2"]"#).await;
    let area = textarea(&chat.root);
    type_at_end(&area, "@an");
    wait_until("members are offered", || !offered(&chat.root).0.is_empty()).await;
    assert_eq!(offered(&chat.root).0, ["Anna", "Andrea", "Ann Lee"]);
    let area_el: &web_sys::HtmlElement = area.as_ref();
    key_down(area_el, "ArrowDown", false, false, 40);
    key_down(area_el, "Enter", false, false, 13);
    settle().await;
    assert_eq!(area.value(), "@Andrea ");
}
