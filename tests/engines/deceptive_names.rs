//! Names and texts in right-to-left scripts, and texts that carry bidi controls: each is
//! rendered isolated, so its direction cannot reorder what is shown around it. (Names with
//! bidi controls never get this far: decoding refuses them, see PROTOCOL.md "Limits".)

use crate::support::*;
use wasm_bindgen_test::*;

/// A right-to-left name ending in digits: unisolated, the digits and the punctuation after
/// it join its run and change places with what follows on the line.
const OVERRIDING_NAME: &str = "שרה 2";

fn computed_unicode_bidi(element: &web_sys::HtmlElement) -> String {
    web_sys::window()
        .unwrap()
        .get_computed_style(element)
        .unwrap()
        .unwrap()
        .get_property_value("unicode-bidi")
        .unwrap()
}

fn assert_isolated(element: &web_sys::HtmlElement, what: &str) {
    assert_eq!(
        computed_unicode_bidi(element),
        "isolate",
        "{what}: <{}> {:?} is not isolated",
        element.tag_name(),
        element.text_content()
    );
}

/// Regression: names were plain `<span>`s, so the direction of one ran on into the time,
/// the next name in a list, or the rest of the typing sentence.
#[wasm_bindgen_test]
async fn an_overriding_name_is_isolated_wherever_it_is_shown() {
    let chat = mount_chat().await;
    let presence = serde_json::json!({
        "type": "presence", "room": "lobby", "users": ["alice", OVERRIDING_NAME]
    });
    chat.server.push(&presence.to_string());
    let msg = serde_json::json!({
        "type": "msg", "id": "e1", "room": "lobby", "from": OVERRIDING_NAME,
        "text": "\u{202E}txet", "ts": 1_764_000_000_000u64, "seq": 1
    });
    chat.server.push(&msg.to_string());
    // After the message, which ends its sender's typing.
    let typing = serde_json::json!({ "type": "typing", "room": "lobby", "from": OVERRIDING_NAME });
    chat.server.push(&typing.to_string());
    let row = wait_for(&chat.root, r#"[role="article"]"#).await;
    wait_for(&chat.root, ".typing bdi").await;
    assert_isolated(&find(&row, ".msg-from"), "the sender of a message");
    assert_isolated(&find(&row, ".avatar"), "the avatar's initials");
    assert_isolated(&find(&row, ".msg-text"), "the text of a message");
    let person = find_all(&chat.root, ".people-list .person-name")
        .into_iter()
        .find(|p| p.text_content().as_deref() == Some(OVERRIDING_NAME))
        .expect("the name is in the Online list");
    assert_isolated(&person, "a name in the Online list");
    let typist = find(&chat.root, ".typing bdi");
    assert_eq!(typist.text_content().as_deref(), Some(OVERRIDING_NAME));
    assert_isolated(&typist, "the name in the typing line");
    assert_eq!(
        find(&chat.root, ".typing").text_content().unwrap(),
        format!("{OVERRIDING_NAME} is typing…")
    );
    assert_isolated(
        &find(&chat.root, ".room-list .room-label"),
        "a room in the room list",
    );
}
