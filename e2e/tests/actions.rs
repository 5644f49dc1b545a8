//! What people do to messages, between real browsers: an edit, a reaction and a deletion
//! reach the other browser, on the reference server and on a plain relay, and an edit or
//! delete by someone who did not write the message changes nothing.

use std::time::Duration;

use serde_json::{json, Value};
use wirechat_e2e::{bounded, wait_until, Browser, Harness, Relay, RelayMode, TEST_BOUND};

/// How long a change may take to reach the other browser.
const ARRIVAL: Duration = Duration::from_secs(15);

/// Opens the menu of the message whose text is `text` and chooses the item named `item`.
async fn choose(browser: &Browser, text: &str, item: &str) {
    let script = r#"
        const [text, item] = arguments;
        const row = Array.from(document.querySelectorAll('[role="article"]'))
            .find((r) => (r.querySelector('.msg-text') || {}).textContent === text);
        if (!row) return "no message " + text;
        const found = Array.from(row.querySelectorAll('[role="menuitem"], [role="alertdialog"] button'))
            .find((b) => b.textContent === item || b.getAttribute('aria-label') === item);
        if (found) { found.click(); return "ok"; }
        const toggle = row.querySelector('button[aria-haspopup="menu"]');
        if (toggle && toggle.getAttribute('aria-expanded') !== 'true') toggle.click();
        return "no item " + item + " yet";
    "#;
    wait_until(
        &format!("{}: the menu item {item:?} of {text:?}", browser.label()),
        ARRIVAL,
        || async {
            match browser
                .evaluate(script, vec![json!(text), json!(item)])
                .await
            {
                Value::String(s) if s == "ok" => Ok(()),
                other => Err(other.to_string()),
            }
        },
    )
    .await;
}

/// The text of the row of the message from `from` that contains `needle`.
async fn row_text(browser: &Browser, needle: &str) -> Result<String, String> {
    let found = browser
        .evaluate(
            r#"const row = Array.from(document.querySelectorAll('[role="article"]'))
                   .find((r) => r.textContent.includes(arguments[0]));
               return row ? row.textContent : null;"#,
            vec![json!(needle)],
        )
        .await;
    found
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no row with {needle:?}"))
}

/// Waits until `browser` shows a row containing every one of `parts`.
async fn wait_for_row(browser: &Browser, needle: &str, parts: &[&str]) -> String {
    wait_until(
        &format!(
            "{}: a row with {needle:?} showing {parts:?}",
            browser.label()
        ),
        ARRIVAL,
        || async {
            let text = row_text(browser, needle).await?;
            if parts.iter().all(|p| text.contains(p)) {
                Ok(text)
            } else {
                Err(text)
            }
        },
    )
    .await
}

/// From `browser`'s page, a second socket to `socket_url` that joins `room` as mallory,
/// tries to edit and delete message `id` claiming to be `claimed`, then says `done`.
async fn forge(
    browser: &Browser,
    socket_url: &str,
    room: &str,
    id: &str,
    claimed: &str,
    done: &str,
) {
    browser
        .evaluate(
            r#"const [url, room, id, claimed, done] = arguments;
               const ws = new WebSocket(url);
               const ts = Date.now();
               ws.onopen = () => {
                 ws.send(JSON.stringify({type: "join", room, name: "mallory"}));
                 ws.send(JSON.stringify({type: "edit", room, id, text: "forged", from: claimed}));
                 ws.send(JSON.stringify({type: "delete", room, id, from: claimed}));
                 ws.send(JSON.stringify({type: "msg", id: "forger-" + ts, room, from: "mallory", text: done, ts}));
               };
               return null;"#,
            vec![json!(socket_url), json!(room), json!(id), json!(claimed), json!(done)],
        )
        .await;
}

/// The id of the message whose text is `text`, from the row's slot.
async fn id_of(browser: &Browser, text: &str) -> String {
    let id = browser
        .evaluate(
            r#"const row = Array.from(document.querySelectorAll('.msg-slot'))
                   .find((s) => (s.querySelector('.msg-text') || {}).textContent === arguments[0]);
               return row ? row.getAttribute('data-id') : null;"#,
            vec![json!(text)],
        )
        .await;
    id.as_str().expect("the message is shown").to_owned()
}

/// Alice writes, edits, is reacted to, and deletes; bob sees each step. In between a third
/// socket tries an edit and a delete of alice's message under the name `claimed`, which
/// nobody applies.
async fn actions_reach_the_other_browser(
    alice: &Browser,
    bob: &Browser,
    socket_url: &str,
    room: &str,
    claimed: &str,
) {
    alice.send("helo wrold").await;
    bob.wait_for_message("alice", "helo wrold").await;

    // The author edits from the menu; the other browser shows the new text, marked.
    choose(alice, "helo wrold", "Edit").await;
    alice.send(" fixed").await;
    wait_for_row(bob, "helo wrold fixed", &["(edited)"]).await;

    // Bob reacts; both browsers count it.
    choose(bob, "helo wrold fixed", "React with 👍").await;
    for browser in [alice, bob] {
        wait_for_row(browser, "helo wrold fixed", &["👍 1"]).await;
    }

    // A non-author's edit and delete change nothing.
    let id = id_of(bob, "helo wrold fixed").await;
    forge(bob, socket_url, room, &id, claimed, "forgery done").await;
    for browser in [alice, bob] {
        browser.wait_for_message("mallory", "forgery done").await;
        let text = row_text(browser, "helo wrold fixed").await.unwrap();
        assert!(!text.contains("forged"), "{}: {text}", browser.label());
    }

    // The author deletes after confirming; the other browser keeps one short line.
    choose(alice, "helo wrold fixed", "Delete").await;
    choose(alice, "helo wrold fixed", "Delete").await;
    wait_for_row(bob, "message deleted", &["alice"]).await;
    let gone = bob.messages().await;
    assert!(
        gone.iter().all(|r| !r.text.contains("helo wrold")),
        "bob still shows the text: {gone:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_reach_another_browser_on_the_reference_server() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND * 2, async {
        let alice = harness.join("acts", "alice").await;
        let bob = harness.join("acts", "bob").await;
        let url = harness.app().ws_url();
        // The server knows who is who: even a claim of alice's name is refused.
        actions_reach_the_other_browser(&alice, &bob, &url, "acts", "alice").await;
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_reach_another_browser_on_a_relay() {
    let harness = Harness::start().await;
    let relay = Relay::start(RelayMode::Broadcast).await;
    bounded(TEST_BOUND * 2, async {
        let url = relay.ws_url();
        let alice = harness.join_on(&url, "acts", "alice").await;
        let bob = harness.join_on(&url, "acts", "bob").await;
        for browser in [&alice, &bob] {
            browser.wait_for_note("History is unavailable").await;
        }
        // On a relay a false name would pass (PROTOCOL.md, "a weak check"); another
        // name is refused.
        actions_reach_the_other_browser(&alice, &bob, &url, "acts", "mallory").await;
    })
    .await;
    harness.shutdown().await;
}
