//! @mentions against the reference server, in two browsers: alice mentions bob by picking
//! his name from the composer's list with the keyboard, and bob, reading another room,
//! sees the room marked with `@` (in the room list and the title) until he opens it and
//! finds the message highlighted. A message that does not mention him only counts as
//! unread. axe finds nothing serious on the way.
//!
//! Every test holds the harness's browser slot, so tests take turns. Run them with
//! `cargo test -p wirechat-e2e --test e2e mentions:: -- --test-threads=1 --nocapture`.

use fantoccini::key::Key;
use serde_json::Value;
use wirechat_e2e::{bounded, wait_until, AxeViolation, Browser, Harness, DEFAULT_WAIT, TEST_BOUND};

/// The composer's member list: the names offered and whether the list is shown.
const OFFERED_JS: &str = r#"
    const list = document.querySelector('[role="listbox"]');
    if (!list || list.hidden) return [];
    return Array.from(list.querySelectorAll('[role="option"]'), (o) => o.textContent);
"#;

/// The texts of the highlighted rows and what their hidden words say.
const HIGHLIGHTED_JS: &str = r#"
    return Array.from(document.querySelectorAll('.msg.mention'), (row) => ({
        text: row.querySelector('.msg-text').textContent,
        cue: (row.querySelector('.mention-cue') || {}).textContent || null,
    }));
"#;

/// What axe finds serious or critical on `browser`'s page, each named with `page`.
async fn serious_violations(browser: &Browser, page: &str) -> Vec<String> {
    browser
        .axe_violations()
        .await
        .iter()
        .filter(|v| v.is_serious())
        .map(|v: &AxeViolation| format!("{page}: {v}"))
        .collect()
}

/// Waits until `script` returns a value that `holds`, and returns it.
async fn wait_for_script(
    browser: &Browser,
    what: &str,
    script: &str,
    holds: impl Fn(&Value) -> bool,
) -> Value {
    wait_until(
        &format!("{}: {what}", browser.label()),
        DEFAULT_WAIT,
        || async {
            let value = browser.evaluate(script, vec![]).await;
            if holds(&value) {
                Ok(value)
            } else {
                Err(format!("{value}"))
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_marks_the_room_of_a_reader_elsewhere_and_highlights_the_message() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let bob = harness.join("mx", "bob").await;
        bob.join_room_from_sidebar("my").await;
        bob.wait_for_current_room("my").await;
        let alice = harness.join("mx", "alice").await;
        wait_until("alice sees bob in #mx", DEFAULT_WAIT, || async {
            let people = alice.online_people().await;
            if people.iter().any(|p| p == "bob") {
                Ok(())
            } else {
                Err(format!("{people:?}"))
            }
        })
        .await;

        alice.send("a message for everyone").await;
        bob.wait_for_rooms("with one unread in #mx", |rooms| {
            rooms
                .iter()
                .any(|r| r.name == "mx" && r.unread.as_deref() == Some("1"))
        })
        .await;

        // Alice picks bob from the list with the keyboard; the Enter that picks never sends.
        let composer = alice.find_by_role("textbox", "Message").await;
        composer.send_keys("look @Bo").await.expect("typing");
        wait_for_script(&alice, "bob offered", OFFERED_JS, |v| {
            v.as_array()
                .is_some_and(|names| names == &[Value::from("bob")])
        })
        .await;
        let mut serious = serious_violations(&alice, "member list open").await;
        composer
            .send_keys(&Key::Enter.to_string())
            .await
            .expect("Enter");
        composer
            .send_keys(&format!("at this{}", Key::Enter))
            .await
            .expect("typing");
        alice
            .wait_for_delivery("alice", "look @bob at this", "Delivered")
            .await;

        let rooms = bob
            .wait_for_rooms("with #mx marked @", |rooms| {
                rooms
                    .iter()
                    .any(|r| r.name == "mx" && r.unread.as_deref() == Some("@2"))
            })
            .await;
        let mx = rooms.iter().find(|r| r.name == "mx").expect("mx is listed");
        assert_eq!(
            mx.unread_label.as_deref(),
            Some("2 unread messages, 1 mention of you"),
            "{rooms:?}"
        );

        bob.wait_for_title("marked @ too", |t| t == "(@2) #my · wirechat")
            .await;
        serious.extend(serious_violations(&bob, "room marked @").await);

        bob.switch_to_room("mx").await;
        bob.wait_for_messages(&[
            ("alice", "a message for everyone"),
            ("alice", "look @bob at this"),
        ])
        .await;
        let highlighted = wait_for_script(&bob, "the mention highlighted", HIGHLIGHTED_JS, |v| {
            v.as_array().is_some_and(|rows| !rows.is_empty())
        })
        .await;
        assert_eq!(
            highlighted,
            serde_json::json!([{ "text": "look @bob at this", "cue": "mentions you" }])
        );
        serious.extend(serious_violations(&bob, "mention highlighted").await);
        assert!(serious.is_empty(), "axe: {}", serious.join("\n"));
        bob.wait_for_rooms("with no unread badge", |rooms| {
            rooms.iter().all(|r| r.unread.is_none())
        })
        .await;
        bob.wait_for_title("without unread", |t| t == "#mx · wirechat")
            .await;
        // Alice's own row mentions bob, not her.
        let own = alice.evaluate(HIGHLIGHTED_JS, vec![]).await;
        assert_eq!(own, serde_json::json!([]));
    })
    .await;
    harness.shutdown().await;
}
