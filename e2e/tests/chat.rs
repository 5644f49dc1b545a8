//! The chat as people use it: real headless browsers against the real server.
//!
//! Every test here runs alone: it holds the whole of the harness's browser slot, so tests
//! take turns even under the default parallel runner (several browsers per test already
//! fill two cores). Run them with `cargo test -p wirechat-e2e -- --test-threads=1` to keep
//! their output in order too.

use std::time::Duration;

use fantoccini::key::Key;
use serde_json::json;
use wirechat_e2e::{
    bounded, free_loopback_port, png_size, wait_until, workspace_root, Browser, Engine, Harness,
    MessageRow, TEST_BOUND, VIEWPORT,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_everyone_in_the_room_and_no_one_outside_it() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("room-a", "alice").await;
        let bob = harness.join("room-a", "bob").await;
        let carol = harness.join("room-b", "carol").await;

        alice.send("hello from alice").await;
        bob.wait_for_message("alice", "hello from alice").await;
        bob.send("hi alice, bob here").await;
        alice.wait_for_message("bob", "hi alice, bob here").await;

        let room_a = [("alice", "hello from alice"), ("bob", "hi alice, bob here")];
        for browser in [&alice, &bob] {
            let rows = browser.wait_for_messages(&room_a).await;
            for (from, text) in room_a {
                assert_shown_once(browser, &rows, from, text);
            }
        }

        // Carol's own message arriving proves her log is live, so its silence about room A
        // means something.
        carol.send("carol in room b").await;
        let rows = carol.wait_for_message("carol", "carol in room b").await;
        for (_, text) in room_a {
            assert_not_shown(&carol, &rows, text);
        }

        // By the time this reaches alice, a leaked room-B message would have reached her too.
        bob.send("still just us").await;
        alice.wait_for_message("bob", "still just us").await;
        for browser in [&alice, &bob] {
            assert_not_shown(browser, &browser.messages().await, "carol in room b");
        }
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_page_load_shows_the_rooms_recent_history() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("history", "alice").await;
        let bob = harness.join("history", "bob").await;
        let conversation = [
            ("alice", "first, before anyone reloads"),
            ("bob", "second, from bob"),
            ("alice", "third and last"),
        ];
        for (from, text) in conversation {
            let sender = if from == "alice" { &alice } else { &bob };
            sender.send(text).await;
            // Waiting for each one at both ends fixes the order the room stores them in.
            alice.wait_for_message(from, text).await;
            bob.wait_for_message(from, text).await;
        }

        alice.reload().await;
        alice.find_by_role("log", "Messages").await;
        let rows = alice.wait_for_messages(&conversation).await;
        assert_in_order_once_each(&alice, &rows, &conversation);

        let dave = harness.join("history", "dave").await;
        let rows = dave.wait_for_messages(&conversation).await;
        assert_in_order_once_each(&dave, &rows, &conversation);
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_says_connected_once_the_socket_is_open() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.open("status", "alice").await;
        let status = alice.wait_for_status("Connected").await;
        assert!(
            !status.contains("Reconnecting") && !status.contains("Offline"),
            "status mixes states: {status:?}"
        );
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_never_says_connected_without_a_server() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        // Nothing listens on this port, so every connection attempt is refused.
        let nowhere = format!("ws://127.0.0.1:{}/ws", free_loopback_port());
        let url = harness
            .app()
            .room_url_using_socket("status", "alice", &nowhere);
        let alice = harness.open_url(&url, "alice").await;

        let status = wait_until(
            "alice: a status saying it is not connected",
            Duration::from_secs(15),
            || async {
                let text = alice.status_text().await;
                let not_connected = ["Connecting", "Reconnecting", "Offline"]
                    .iter()
                    .any(|state| text.contains(state));
                if not_connected {
                    Ok(text)
                } else {
                    Err(format!("status {text:?}"))
                }
            },
        )
        .await;
        assert!(!status.contains("Connected"), "status {status:?}");

        // Watch a few reconnect attempts: none of them may be reported as a success.
        for _ in 0..30 {
            let text = alice.status_text().await;
            assert!(
                !text.contains("Connected"),
                "status says {text:?} with no server"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_leaves_connected_when_the_server_goes_away() {
    let mut harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("status", "alice").await;
        harness.stop_server().await;
        wait_until(
            "alice: the status to leave \"Connected\" after the server stopped",
            Duration::from_secs(15),
            || async {
                let text = alice.status_text().await;
                if text.contains("Connected") {
                    Err(format!("status {text:?}"))
                } else {
                    Ok(())
                }
            },
        )
        .await;
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shift_enter_makes_one_message_with_two_lines() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("lines", "alice").await;
        let bob = harness.join("lines", "bob").await;

        alice.send_lines(&["first line", "second line"]).await;
        let two_lines = "first line\nsecond line";
        for browser in [&bob, &alice] {
            let rows = browser.wait_for_message("alice", two_lines).await;
            assert_shown_once(browser, &rows, "alice", two_lines);
            let pieces = rows
                .iter()
                .filter(|row| row.text.contains("first line") || row.text.contains("second line"))
                .count();
            assert_eq!(
                pieces,
                1,
                "{}: the lines arrived as separate messages: {rows:?}",
                browser.label()
            );
        }
    })
    .await;
    harness.shutdown().await;
}

/// Composes `arguments[0]` in the composer the way a Korean input method does, pressing
/// Enter the two ways engines report the Enter that ends a composition: during it with
/// `isComposing` (Chromium, Firefox), and after `compositionend` with keyCode 229 (Safari).
/// Returns what the composer holds afterwards.
const COMPOSE_WITH_ENTER: &str = "
    const box = findByRole('textbox', 'Message');
    if (!box) return 'no textbox named Message';
    box.focus();
    const text = arguments[0];
    const input = (composing) => box.dispatchEvent(
        new InputEvent('input', { bubbles: true, isComposing: composing }));
    const enter = (composing) => box.dispatchEvent(new KeyboardEvent('keydown', {
        key: 'Enter', code: 'Enter', keyCode: 229, isComposing: composing,
        bubbles: true, cancelable: true,
    }));
    box.dispatchEvent(new CompositionEvent('compositionstart', { bubbles: true, data: '' }));
    box.value = text.slice(0, -1);
    input(true);
    box.value = text;
    input(true);
    enter(true);
    box.dispatchEvent(new CompositionEvent('compositionend', { bubbles: true, data: text.slice(-1) }));
    input(false);
    enter(false);
    return box.value;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_enter_that_ends_a_composition_never_sends_and_the_next_enter_does() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("ime", "alice").await;
        let bob = harness.join("ime", "bob").await;
        let composed = "안녕하세요";

        let kept = alice
            .evaluate(COMPOSE_WITH_ENTER, vec![json!(composed)])
            .await;
        assert_eq!(
            kept,
            json!(composed),
            "alice: a composing Enter took the text out of the composer"
        );
        // Bob's message goes out after anything alice's composing Enters could have sent,
        // so by the time it is back, such a send would show.
        bob.send("after the composition").await;
        let rows = bob
            .wait_for_delivery("bob", "after the composition", "Delivered")
            .await;
        assert!(
            !rows.iter().any(|row| row.text.contains(composed)),
            "bob: a composing Enter sent alice's text: {rows:?}"
        );

        alice.press_keys(&Key::Enter.to_string()).await;
        for browser in [&bob, &alice] {
            let rows = browser.wait_for_message("alice", composed).await;
            assert_shown_once(browser, &rows, "alice", composed);
        }
    })
    .await;
    harness.shutdown().await;
}

/// Writes `docs/screenshot.png`: the picture of the app the README shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshot_of_a_conversation() {
    if Engine::from_env().skips_chromium_only(
        "the README's screenshot",
        "docs/screenshot.png is the picture of the app in Chromium",
    ) {
        return;
    }
    let harness = Harness::start().await;
    let png =
        bounded(TEST_BOUND, async {
            let maya = harness.join("general", "maya").await;
            let theo = harness.join("general", "theo").await;
            let conversation = [
            ("maya", "Morning! Did the release go out?"),
            ("theo", "Yes, at 9:40. The reconnect fix is live."),
            (
                "maya",
                "Nice. I dropped my wifi for a minute and the chat picked up where it left off.",
            ),
            ("theo", "That's the resume doing its job."),
            ("maya", "Release notes are in the doc, have a look when you can."),
        ];
            for (from, text) in conversation {
                let sender = if from == "maya" { &maya } else { &theo };
                sender.send(text).await;
                maya.wait_for_message(from, text).await;
            }
            theo.send_lines(&["Will do.", "Lunch at 12:30?"]).await;
            maya.wait_for_message("theo", "Will do.\nLunch at 12:30?")
                .await;
            maya.wait_for_status("Connected").await;
            // Lets entry transitions and the scroll to the newest message settle.
            tokio::time::sleep(Duration::from_millis(500)).await;
            maya.screenshot_png().await
        })
        .await;
    harness.shutdown().await;

    assert_eq!(png_size(&png), Some(VIEWPORT), "screenshot size");
    let docs = workspace_root().join("docs");
    std::fs::create_dir_all(&docs).expect("create docs/");
    let path = docs.join("screenshot.png");
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn assert_shown_once(browser: &Browser, rows: &[MessageRow], from: &str, text: &str) {
    let count = rows.iter().filter(|row| row.shows(from, text)).count();
    assert_eq!(
        count,
        1,
        "{} shows {from}'s {text:?} {count} times: {rows:?}",
        browser.label()
    );
}

fn assert_not_shown(browser: &Browser, rows: &[MessageRow], text: &str) {
    assert!(
        !rows.iter().any(|row| row.text.contains(text)),
        "{} shows {text:?} from another room: {rows:?}",
        browser.label()
    );
}

fn assert_in_order_once_each(browser: &Browser, rows: &[MessageRow], expected: &[(&str, &str)]) {
    for (from, text) in expected {
        assert_shown_once(browser, rows, from, text);
    }
    let positions: Vec<usize> = expected
        .iter()
        .filter_map(|(from, text)| rows.iter().position(|row| row.shows(from, text)))
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{} shows the history out of order: {rows:?}",
        browser.label()
    );
}
