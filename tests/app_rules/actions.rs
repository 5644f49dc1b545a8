//! Message actions as the user meets them: edited and deleted messages, the message menu
//! (edit, delete after a confirmation, react, reply), Up arrow to edit, reactions with who
//! reacted, reply quotes, and an action the server refuses.

use crate::support::*;
use wasm_bindgen_test::*;

/// A server that stores message actions.
const HELLO_ACTIONS: &str = r#"{"type":"hello","server":"test","epoch":"e1","features":["history","ack","presence","typing","actions"]}"#;

fn msg(id: &str, from: &str, seq: u64, text: &str) -> String {
    format!(
        r#"{{"type":"msg","id":"{id}","room":"lobby","from":"{from}","text":"{text}","ts":1764000000000,"seq":{seq}}}"#
    )
}

/// The row of message `id`.
fn row(root: &web_sys::HtmlElement, id: &str) -> web_sys::HtmlElement {
    find(root, &format!(r#".msg-slot[data-id="{id}"]"#))
}

fn text_of(el: &web_sys::HtmlElement) -> String {
    el.text_content().unwrap_or_default()
}

fn click(el: &web_sys::HtmlElement) {
    el.click();
}

/// The menu item of row `id` named `name`, after opening its menu.
async fn menu_item(root: &web_sys::HtmlElement, id: &str, name: &str) -> web_sys::HtmlElement {
    let slot = row(root, id);
    click(&find(&slot, ".msg-menu-toggle"));
    wait_for(&slot, r#"[role="menu"]"#).await;
    find_all(&slot, r#"[role="menuitem"]"#)
        .into_iter()
        .find(|item| {
            text_of(item) == name || item.get_attribute("aria-label").as_deref() == Some(name)
        })
        .unwrap_or_else(|| panic!("no menu item {name:?}"))
}

/// The frames of `kind` the client sent.
fn sent_of(chat: &Mounted, kind: &str) -> Vec<serde_json::Value> {
    chat.server
        .sent()
        .iter()
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .filter(|v| v["type"] == kind)
        .collect()
}

#[wasm_bindgen_test]
async fn an_edit_is_labelled_and_a_deletion_leaves_one_short_line() {
    let chat = mount_chat_greeted_by(Some(HELLO_ACTIONS)).await;
    chat.server.push(&msg("m1", "bob", 1, "helo"));
    chat.server.push(&msg("m2", "bob", 2, "oops"));
    wait_for(&chat.root, r#".msg-slot[data-id="m2"]"#).await;
    chat.server.push(
        r#"{"type":"edit","room":"lobby","id":"m1","text":"hello","from":"bob","uid":"u2","ts":1764000001000}"#,
    );
    chat.server.push(
        r#"{"type":"delete","room":"lobby","id":"m2","from":"bob","uid":"u2","ts":1764000002000}"#,
    );
    wait_until("the edit shows", || {
        text_of(&find(&row(&chat.root, "m1"), ".msg-text")) == "hello"
    })
    .await;
    assert_eq!(
        text_of(&find(&row(&chat.root, "m1"), ".msg-edited")),
        "(edited)"
    );
    wait_for(&chat.root, r#".msg-slot[data-id="m2"] .msg-deleted"#).await;
    let deleted = row(&chat.root, "m2");
    assert!(text_of(&deleted).contains("message deleted"));
    assert!(!text_of(&deleted).contains("oops"), "no trace of the text");
    assert!(
        find_all(&deleted, ".msg-text").is_empty(),
        "no empty bubble"
    );
}

#[wasm_bindgen_test]
async fn the_menu_edits_and_deletes_own_messages_after_a_confirmation() {
    let chat = mount_chat_greeted_by(Some(HELLO_ACTIONS)).await;
    chat.server.push(&msg("mine", "alice", 1, "helo"));
    chat.server.push(&msg("theirs", "bob", 2, "hi"));
    wait_for(&chat.root, r#".msg-slot[data-id="theirs"]"#).await;

    // Another's message offers no edit or delete.
    let items: Vec<String> = {
        let slot = row(&chat.root, "theirs");
        click(&find(&slot, ".msg-menu-toggle"));
        wait_for(&slot, r#"[role="menu"]"#).await;
        find_all(&slot, r#"[role="menuitem"]"#)
            .iter()
            .map(text_of)
            .collect()
    };
    assert!(items.contains(&"Reply".to_owned()), "{items:?}");
    assert!(!items.contains(&"Edit".to_owned()) && !items.contains(&"Delete".to_owned()));

    click(&menu_item(&chat.root, "mine", "Edit").await);
    let area = textarea(&chat.root);
    wait_until("the text to edit is in the composer", || {
        area.value() == "helo"
    })
    .await;
    type_text(&area, "hello", false);
    key_down(&area, "Enter", false, false, 13);
    wait_until("the edit is sent", || !sent_of(&chat, "edit").is_empty()).await;
    let edit = &sent_of(&chat, "edit")[0];
    assert_eq!(
        (edit["id"].as_str(), edit["text"].as_str()),
        (Some("mine"), Some("hello"))
    );
    assert_eq!(area.value(), "");
    assert!(
        sent_of(&chat, "msg").is_empty(),
        "an edit is no new message"
    );

    click(&menu_item(&chat.root, "mine", "Delete").await);
    let confirm = wait_for(
        &chat.root,
        r#".msg-slot[data-id="mine"] [role="alertdialog"]"#,
    )
    .await;
    assert!(
        sent_of(&chat, "delete").is_empty(),
        "not before the confirmation"
    );
    let delete = find_all(&confirm, "button")
        .into_iter()
        .find(|b| text_of(b) == "Delete")
        .unwrap();
    click(&delete);
    wait_until("the delete is sent", || {
        !sent_of(&chat, "delete").is_empty()
    })
    .await;
    assert_eq!(sent_of(&chat, "delete")[0]["id"], "mine");
}

#[wasm_bindgen_test]
async fn up_arrow_in_an_empty_composer_edits_the_last_own_message() {
    let chat = mount_chat_greeted_by(Some(HELLO_ACTIONS)).await;
    chat.server.push(&msg("old", "alice", 1, "first"));
    chat.server.push(&msg("last", "alice", 2, "second"));
    chat.server.push(&msg("theirs", "bob", 3, "third"));
    wait_for(&chat.root, r#".msg-slot[data-id="theirs"]"#).await;
    let area = textarea(&chat.root);
    key_down(&area, "ArrowUp", false, false, 38);
    wait_until("the last own text is in the composer", || {
        area.value() == "second"
    })
    .await;
    wait_for(&chat.root, ".drafting").await;
    type_text(&area, "second, fixed", false);
    key_down(&area, "Enter", false, false, 13);
    wait_until("the edit is sent", || !sent_of(&chat, "edit").is_empty()).await;
    assert_eq!(sent_of(&chat, "edit")[0]["id"], "last");
}

#[wasm_bindgen_test]
async fn reactions_show_counts_and_who_and_toggle_the_user_s_own() {
    let chat = mount_chat_greeted_by(Some(HELLO_ACTIONS)).await;
    chat.server.push(&msg("m1", "bob", 1, "lunch?"));
    for who in ["bob", "carol", "alice"] {
        chat.server.push(&format!(
            r#"{{"type":"react","room":"lobby","id":"m1","emoji":"👍","on":true,"from":"{who}"}}"#
        ));
    }
    // Each change draws the row anew: look it up every time.
    wait_for(&chat.root, r#".msg-slot[data-id="m1"] .reaction"#).await;
    wait_until("three reacted", || {
        text_of(&find(&row(&chat.root, "m1"), ".reaction")).contains("👍 3")
    })
    .await;
    let reaction = find(&row(&chat.root, "m1"), ".reaction");
    assert_eq!(
        reaction.get_attribute("aria-label").as_deref(),
        Some("👍 3: bob, carol, alice")
    );
    assert_eq!(
        reaction.get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
    // Pressed, it takes the user's reaction back.
    click(&reaction);
    wait_until("the react is sent", || !sent_of(&chat, "react").is_empty()).await;
    let react = &sent_of(&chat, "react")[0];
    assert_eq!(
        (react["emoji"].as_str(), react["on"].as_bool()),
        (Some("👍"), Some(false))
    );

    // From the menu, a new one.
    click(&menu_item(&chat.root, "m1", "React with 🎉").await);
    wait_until("the second react is sent", || {
        sent_of(&chat, "react").len() == 2
    })
    .await;
    assert_eq!(sent_of(&chat, "react")[1]["emoji"], "🎉");
}

#[wasm_bindgen_test]
async fn a_reply_quotes_its_original_and_a_click_brings_it_into_view() {
    let chat = mount_chat_greeted_by(Some(HELLO_ACTIONS)).await;
    chat.server.push(&msg("m1", "bob", 1, "lunch friday?"));
    chat.server.push(
        r#"{"type":"msg","id":"r1","room":"lobby","from":"carol","text":"yes","ts":1764000000000,"seq":2,"reply_to":"m1"}"#,
    );
    let quote = wait_for(&chat.root, r#".msg-slot[data-id="r1"] .msg-quote"#).await;
    assert!(text_of(&quote).contains("bob") && text_of(&quote).contains("lunch friday?"));
    click(&quote);
    wait_for(&chat.root, r#".msg-slot[data-id="m1"][data-highlighted]"#).await;

    // Replying from the menu sends a message that names its original.
    click(&menu_item(&chat.root, "m1", "Reply").await);
    wait_for(&chat.root, ".drafting").await;
    let area = textarea(&chat.root);
    type_text(&area, "me too", false);
    key_down(&area, "Enter", false, false, 13);
    let sent = wait_for_sent(&chat.server, 1).await;
    assert_eq!(sent[0].reply_to.as_deref(), Some("m1"));
}

/// An action the server refuses names a message that was sent: the user is told, and the
/// message does not turn into a failed one.
#[wasm_bindgen_test]
async fn a_refused_action_is_said_and_the_message_is_not_failed() {
    let chat = mount_chat_greeted_by(Some(HELLO_ACTIONS)).await;
    let area = textarea(&chat.root);
    type_text(&area, "hello", false);
    key_down(&area, "Enter", false, false, 13);
    let sent = wait_for_sent(&chat.server, 1).await;
    chat.server.push(&format!(
        r#"{{"type":"error","code":"not_found","message":"no such message","id":"{}"}}"#,
        sent[0].id
    ));
    let note = wait_for(&chat.root, ".action-error").await;
    assert_eq!(text_of(&note), "That message is no longer there.");
    let row = find(&chat.root, r#"[role="article"]"#);
    assert!(find_all(&row, ".msg-state.failed").is_empty(), "not failed");
    assert_eq!(find_all(&row, ".msg-state.pending").len(), 1);
}

#[wasm_bindgen_test]
async fn the_menu_of_the_last_message_opens_where_the_list_shows_all_of_it() {
    let chat = mount_styled_chat_greeted_by(360, HELLO_ACTIONS).await;
    for seq in 1..=12 {
        chat.server.push(&msg(
            &format!("m{seq}"),
            "bob",
            seq,
            &format!("message {seq}"),
        ));
    }
    wait_for(&chat.root, r#".msg-slot[data-id="m12"]"#).await;
    let list = find(&chat.root, ".message-list");
    let bottom = |el: &web_sys::HtmlElement| el.get_bounding_client_rect().bottom();
    let top = |el: &web_sys::HtmlElement| el.get_bounding_client_rect().top();
    wait_until("the list shows its newest message", || {
        bottom(&row(&chat.root, "m12")) <= bottom(&list) + 1.0
    })
    .await;
    // The newest message sits at the list's bottom edge: a menu opening below it would be
    // cut off there, its last items out of reach of a pointer.
    let copy_link = menu_item(&chat.root, "m12", "Copy link").await;
    wait_until("the whole menu is inside the list", || {
        let items = find(&row(&chat.root, "m12"), r#"[role="menu"]"#);
        bottom(&items) <= bottom(&list) + 0.5 && top(&items) >= top(&list) - 0.5
    })
    .await;
    assert!(bottom(&copy_link) <= bottom(&list) + 0.5);

    // The first message of a short room keeps its menu below: there is no room above.
    let first = mount_styled_chat_greeted_by(360, HELLO_ACTIONS).await;
    first.server.push(&msg("only", "bob", 1, "hi"));
    wait_for(&first.root, r#".msg-slot[data-id="only"]"#).await;
    menu_item(&first.root, "only", "Copy link").await;
    let list = find(&first.root, ".message-list");
    let items = find(&row(&first.root, "only"), r#"[role="menu"]"#);
    assert!(
        top(&items) >= top(&list) - 0.5,
        "the menu stays inside the list"
    );
}

#[wasm_bindgen_test]
async fn an_edit_that_cannot_go_out_keeps_its_text_in_the_composer() {
    let chat = mount_chat_greeted_by(Some(HELLO_ACTIONS)).await;
    chat.server.push(&msg("mine", "alice", 1, "helo"));
    wait_for(&chat.root, r#".msg-slot[data-id="mine"]"#).await;
    click(&menu_item(&chat.root, "mine", "Edit").await);
    let area = textarea(&chat.root);
    wait_until("the text to edit is in the composer", || {
        area.value() == "helo"
    })
    .await;
    // The link drops while the user types the correction.
    chat.server.drop_connection();
    wait_until("the chat knows it is not connected", || {
        find(&chat.root, ".status")
            .get_attribute("data-state")
            .as_deref()
            != Some("connected")
    })
    .await;
    type_text(&area, "hello", false);
    key_down(&area, "Enter", false, false, 13);
    settle().await;
    assert!(sent_of(&chat, "edit").is_empty(), "nothing could be sent");
    let note = wait_for(&chat.root, ".action-error").await;
    assert!(!text_of(&note).is_empty(), "the user is told why");
    assert_eq!(area.value(), "hello", "the correction is not lost");
    assert_eq!(
        text_of(&find(&row(&chat.root, "mine"), ".msg-text")),
        "helo",
        "and not shown as done"
    );
    assert!(text_of(&chat.root).contains("Editing"), "still editing");
}
