//! Browser tests: the real components, session and glue in headless Chromium, with the
//! socket replaced by an in-memory far end so each test controls exactly what arrives.

use crate::support::*;
use wasm_bindgen_test::*;

fn msg_frame(id: &str, from: &str, text: &str, seq: u64) -> String {
    serde_json::json!({
        "type": "msg", "id": id, "room": "lobby", "from": from, "text": text,
        "ts": 1_764_000_000_000u64, "seq": seq
    })
    .to_string()
}

#[wasm_bindgen_test]
async fn mounts_with_the_accessible_parts() {
    let chat = mount_chat().await;
    let log = find(&chat.root, r#"[role="log"]"#);
    assert!(log
        .get_attribute("aria-label")
        .unwrap()
        .contains("Messages"));
    textarea(&chat.root);
    let send = send_button(&chat.root);
    assert_eq!(send.text_content().unwrap(), "Send");
    wait_for_text(&chat.root, r#"[role="status"]"#, "Connected").await;
}

#[wasm_bindgen_test]
async fn renders_received_messages_with_sender_and_text() {
    let chat = mount_chat().await;
    chat.server.push(&msg_frame("a1", "bob", "Hello, Alice", 1));
    chat.server.push(&msg_frame("a2", "carol", "Hi both", 2));
    chat.server.push(&msg_frame("a1", "bob", "Hello, Alice", 1));
    wait_for_all(&chat.root, r#"[role="log"] [role="article"]"#, 2).await;
    // A second copy of the repeated frame would be rendered by now.
    settle().await;
    let rows = find_all(&chat.root, r#"[role="log"] [role="article"]"#);
    assert_eq!(rows.len(), 2, "the repeated frame is shown once");
    assert_eq!(find(&rows[0], ".msg-from").text_content().unwrap(), "bob");
    assert_eq!(
        find(&rows[0], ".msg-text").text_content().unwrap(),
        "Hello, Alice"
    );
    assert_eq!(find(&rows[1], ".msg-from").text_content().unwrap(), "carol");
}

#[wasm_bindgen_test]
async fn markup_in_text_and_name_is_shown_as_literal_text() {
    let chat = mount_chat().await;
    let text = r#"<img src=x onerror="window.__wirechatInjected=1">"#;
    chat.server
        .push(&msg_frame("x1", "<b>mallory</b>", text, 1));
    let row = wait_for(&chat.root, r#"[role="article"]"#).await;
    // An injected image's onerror would have run by now.
    settle().await;
    sleep(100).await;
    assert_eq!(find(&row, ".msg-text").text_content().unwrap(), text);
    assert_eq!(
        find(&row, ".msg-from").text_content().unwrap(),
        "<b>mallory</b>"
    );
    assert!(find_all(&chat.root, r#"[role="log"] img, [role="log"] b"#).is_empty());
    assert!(!markup_ran(), "the onerror handler must never run");
}

#[wasm_bindgen_test]
async fn enter_sends_and_clears_the_composer() {
    let chat = mount_chat().await;
    let area = textarea(&chat.root);
    type_text(&area, "Hello there", false);
    let allowed = key_down(&area, "Enter", false, false, 13);
    assert!(!allowed, "Enter that sends must not also insert a newline");
    let sent = wait_for_sent(&chat.server, 1).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].text, "Hello there");
    assert_eq!(sent[0].from, "alice");
    assert_eq!(area.value(), "");
    let row = wait_for(&chat.root, r#"[role="article"]"#).await;
    assert_eq!(
        find(&row, ".msg-text").text_content().unwrap(),
        "Hello there"
    );
}

#[wasm_bindgen_test]
async fn shift_enter_does_not_send() {
    let chat = mount_chat().await;
    let area = textarea(&chat.root);
    type_text(&area, "line one", false);
    assert!(
        key_down(&area, "Enter", true, false, 13),
        "the newline is left to the browser"
    );
    type_text(&area, "line one\nline two", false);
    settle().await;
    assert!(chat.server.sent_messages().is_empty());
    key_down(&area, "Enter", false, false, 13);
    let sent = wait_for_sent(&chat.server, 1).await;
    assert_eq!(sent[0].text, "line one\nline two");
}

#[wasm_bindgen_test]
async fn blank_text_is_not_sent() {
    let chat = mount_chat().await;
    let area = textarea(&chat.root);
    for blank in ["", "   ", "\n\n", "\t "] {
        type_text(&area, blank, false);
        key_down(&area, "Enter", false, false, 13);
    }
    send_button(&chat.root).click();
    settle().await;
    assert!(chat.server.sent_messages().is_empty());
}

#[wasm_bindgen_test]
async fn enter_during_ime_composition_never_sends() {
    let chat = mount_chat().await;
    let area = textarea(&chat.root);
    // Chromium: the Enter that ends a composition has isComposing = true (and keyCode 229).
    composition(&area, "compositionstart", "");
    type_text(&area, "안녕하세", true);
    type_text(&area, "안녕하세요", true);
    assert!(!key_down(&area, "Enter", false, true, 229) || chat.server.sent_messages().is_empty());
    composition(&area, "compositionend", "요");
    type_text(&area, "안녕하세요", false);
    settle().await;
    assert!(
        chat.server.sent_messages().is_empty(),
        "the composing Enter sent"
    );
    // Safari: compositionend comes first, then a keydown with isComposing = false but keyCode 229.
    key_down(&area, "Enter", false, false, 229);
    settle().await;
    assert!(chat.server.sent_messages().is_empty(), "keyCode 229 sent");
    // The user's own Enter afterwards sends the whole text, once.
    key_down(&area, "Enter", false, false, 13);
    wait_for_sent(&chat.server, 1).await;
    settle().await;
    let sent = chat.server.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].text, "안녕하세요");
    assert_eq!(area.value(), "");
}

#[wasm_bindgen_test]
async fn the_send_button_sends_too() {
    let chat = mount_chat().await;
    let area = textarea(&chat.root);
    type_text(&area, "by click", false);
    send_button(&chat.root).click();
    let sent = wait_for_sent(&chat.server, 1).await;
    assert_eq!(sent[0].text, "by click");
}

#[wasm_bindgen_test]
async fn invalid_frames_are_counted_and_the_chat_goes_on() {
    let chat = mount_chat().await;
    for bad in [
        "not json",
        "[1]",
        "{}",
        r#"{"type":null}"#,
        r#"{"type":"msg","text":5}"#,
    ] {
        chat.server.push(bad);
    }
    chat.server.push_binary();
    chat.server.push(&msg_frame("ok1", "bob", "still here", 1));
    wait_for_text(&chat.root, r#"[data-testid="dropped-frames"]"#, "6").await;
    let rows = wait_for_all(&chat.root, r#"[role="article"]"#, 1).await;
    assert_eq!(rows.len(), 1);
}

#[wasm_bindgen_test]
fn send_key_rule() {
    use wirechat::components::is_send_key;
    assert!(is_send_key("Enter", false, false, 13));
    assert!(!is_send_key("Enter", true, false, 13));
    assert!(!is_send_key("Enter", false, true, 13));
    assert!(!is_send_key("Enter", false, false, 229));
    assert!(!is_send_key("a", false, false, 65));
}

#[wasm_bindgen_test]
async fn a_server_without_hello_is_a_relay_and_says_history_is_unavailable() {
    let chat = mount_chat_greeted_by(None).await;
    assert!(
        find_all(&chat.root, r#"[role="note"]"#).is_empty(),
        "no verdict before the wait"
    );
    let area = textarea(&chat.root);
    type_text(&area, "anyone?", false);
    key_down(&area, "Enter", false, false, 13);
    let note = wait_for(&chat.root, r#"[role="note"]"#).await;
    assert!(note
        .text_content()
        .unwrap()
        .contains("History is unavailable"));
    wait_until("the message shows as sent", || {
        find_all(&chat.root, r#"[role="article"] .msg-state"#)
            .first()
            .and_then(|state| state.get_attribute("aria-label"))
            .is_some_and(|label| label == "Sent")
    })
    .await;
    assert!(
        chat.server
            .sent()
            .iter()
            .any(|f| f.contains(r#""type":"here""#)),
        "peer presence is announced on a relay"
    );
}

#[wasm_bindgen_test]
async fn presence_and_typing_are_shown() {
    let chat = mount_chat().await;
    chat.server
        .push(r#"{"type":"presence","room":"lobby","users":["alice","bob","carol"]}"#);
    chat.server
        .push(r#"{"type":"typing","room":"lobby","from":"bob"}"#);
    wait_for_text(&chat.root, ".typing", "bob is typing…").await;
    let online: Vec<String> = find_all(&chat.root, ".people-list .person-name")
        .iter()
        .map(|li| li.text_content().unwrap())
        .collect();
    assert_eq!(online, ["alice", "bob", "carol"]);
    chat.server.push(&msg_frame("b1", "bob", "done typing", 1));
    wait_for(&chat.root, r#"[role="article"]"#).await;
    wait_for_text(&chat.root, ".typing", "").await;
}

#[wasm_bindgen_test]
async fn typing_in_the_composer_tells_the_room_at_most_every_few_seconds() {
    let chat = mount_chat().await;
    let area = textarea(&chat.root);
    for text in ["h", "he", "hel", "hell", "hello"] {
        type_text(&area, text, false);
    }
    wait_until("the room is told of the typing", || {
        chat.server
            .sent()
            .iter()
            .any(|f| f.contains(r#""type":"typing""#))
    })
    .await;
    // A second typing frame would be out by now.
    settle().await;
    let typing_frames = chat
        .server
        .sent()
        .iter()
        .filter(|f| f.contains(r#""type":"typing""#))
        .count();
    assert_eq!(typing_frames, 1);
}

#[wasm_bindgen_test]
fn typing_sentences() {
    use wirechat::i18n::{Lang, Tr};
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(Tr::typing(Lang::En, &names(&[])), "");
    assert_eq!(Tr::typing(Lang::En, &names(&["a"])), "a is typing…");
    assert_eq!(
        Tr::typing(Lang::En, &names(&["a", "b"])),
        "a and b are typing…"
    );
    assert_eq!(
        Tr::typing(Lang::En, &names(&["a", "b", "c", "d"])),
        "a, b and 2 others are typing…"
    );
    assert_eq!(
        Tr::typing(Lang::Ko, &names(&["민준"])),
        "민준 님이 입력 중…"
    );
}

#[wasm_bindgen_test]
async fn settings_refuse_a_bad_server_url_with_a_clear_message() {
    use leptos::prelude::*;
    use std::sync::{Arc, Mutex};
    use wirechat::components::SettingsPanel;
    use wirechat::config::{ClientConfig, ConfigFile};

    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    let root: web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_into(root);
    let saved: Arc<Mutex<Option<ConfigFile>>> = Arc::default();
    let sink = saved.clone();
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        let current = Signal::stored(ClientConfig {
            server: "ws://127.0.0.1:1/ws".into(),
            fallback_servers: vec![],
            room: "lobby".into(),
            name: Some("alice".into()),
            protocols: vec![],
            sign_in: None,
            transports: wirechat_session::TransportKind::ALL.to_vec(),
            upgrade_check_seconds: None,
        });
        let on_save = Callback::new(move |s: ConfigFile| *sink.lock().unwrap() = Some(s));
        view! { <SettingsPanel current on_save on_close=Callback::new(|_| ())/> }
    });
    wait_for(&root, r#"button[type="submit"]"#).await;
    let input = |label: &str| -> web_sys::HtmlInputElement {
        let labels = find_all(&root, "label");
        let label = labels
            .iter()
            .find(|l| l.text_content().unwrap().starts_with(label))
            .unwrap_or_else(|| panic!("no field {label}"));
        wasm_bindgen::JsCast::unchecked_into(find(label, "input"))
    };
    input("Server").set_value("http//nope");
    find(&root, r#"button[type="submit"]"#).click();
    let alert = wait_for(&root, r#"[role="alert"]"#).await;
    wait_until("the alert says what is wrong", || {
        alert.text_content().is_some_and(|t| !t.is_empty())
    })
    .await;
    let alert = alert.text_content().unwrap();
    assert!(alert.contains("ws:// or wss://"), "{alert}");
    assert!(
        saved.lock().unwrap().is_none(),
        "nothing is saved while invalid"
    );

    input("Server").set_value("wss://chat.example/ws");
    input("Subprotocols").set_value("chat");
    find(&root, r#"button[type="submit"]"#).click();
    wait_until("the settings are saved", || saved.lock().unwrap().is_some()).await;
    let saved = saved.lock().unwrap().clone().expect("saved");
    assert_eq!(saved.server, Some("wss://chat.example/ws".into()));
    assert_eq!(saved.protocols, Some(vec!["chat".to_string()]));
    root.remove();
}

#[wasm_bindgen_test]
async fn a_full_send_buffer_holds_frames_back_until_it_drains() {
    let chat = mount_chat().await;
    chat.server.set_buffered(4 * 1024 * 1024);
    let area = textarea(&chat.root);
    for text in ["one", "two", "three"] {
        type_text(&area, text, false);
        key_down(&area, "Enter", false, false, 13);
    }
    wait_for_all(&chat.root, r#"[role="article"]"#, 3).await;
    settle().await;
    assert!(
        chat.server.sent_messages().is_empty(),
        "nothing written while the buffer is full"
    );
    chat.server.set_buffered(0);
    wait_for_sent(&chat.server, 3).await;
    let texts: Vec<String> = chat
        .server
        .sent_messages()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(
        texts,
        ["one", "two", "three"],
        "written in order once it drains"
    );
}
