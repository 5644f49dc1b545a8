//! The server's `rate_limited` answer, as the user meets it: a notice that says the messages
//! wait, and the message stays pending (never failed) until it goes out again.

use crate::support::*;
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
async fn a_message_refused_for_its_rate_waits_and_the_user_is_told() {
    let chat = mount_chat().await;
    let area = textarea(&chat.root);
    type_text(&area, "too quick", false);
    key_down(&area, "Enter", false, false, 13);
    let sent = wait_for_sent(&chat.server, 1).await;
    assert_eq!(sent.len(), 1);
    let notice = find(&chat.root, ".rate-limited");
    assert_eq!(
        notice.text_content().unwrap(),
        "",
        "no notice before a refusal"
    );

    chat.server.push(&format!(
        r#"{{"type":"error","code":"rate_limited","message":"slow down","id":"{}","retry_after":5000}}"#,
        sent[0].id
    ));
    wait_until("the notice is shown", || {
        notice.text_content().is_some_and(|t| !t.is_empty())
    })
    .await;
    let text = notice.text_content().unwrap();
    assert!(
        text.contains("Sending too fast") && text.contains("5 s"),
        "the notice says the messages wait: {text:?}"
    );
    let row = find(&chat.root, r#"[role="article"]"#);
    assert!(
        find_all(&row, ".msg-state.pending").len() == 1,
        "a refused message stays pending, not failed"
    );
    assert_eq!(
        chat.server.sent_messages().len(),
        1,
        "nothing is resent before retry_after"
    );
}
