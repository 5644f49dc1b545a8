//! Where the reader left off, and jumps to one message, against the reference server: the
//! "new messages" line comes back from the server's read position on a new page load;
//! search finds a message among 10,000 and shows it in context in the list; a reply's quote
//! and a copied link bring up an original that is far older than what is loaded.
//!
//! Every test holds the harness's browser slot, so tests take turns. Run them with
//! `cargo test -p wirechat-e2e --test e2e unread_search:: -- --test-threads=1 --nocapture`.

use std::time::Duration;

use fantoccini::key::Key;
use serde_json::{json, Value};
use tokio::time::Instant;
use wirechat_e2e::{
    bounded, wait_until, Browser, Harness, RawSocket, RoomBot, DEFAULT_WAIT, TEST_BOUND,
};
use wirechat_server::FlowLimits;

/// What the page shows of the "new messages" line: whether there is one, and the text of
/// the message below it.
const UNREAD_LINE_JS: &str = r#"
    const lines = document.querySelectorAll('.unread-line');
    if (lines.length === 0) return null;
    const below = lines[0].nextElementSibling;
    return { count: lines.length, below: below && below.querySelector('.msg-text').textContent };
"#;

/// How long a jump far back may take: older history comes a page of 200 messages at a time,
/// 44 pages for the search among 10,000, on two busy cores.
const JUMP_FAR: Duration = Duration::from_secs(60);

/// The highlighted message (the one a search result opened): its text, and whether it is
/// on the screen of the message log and holds keyboard focus.
const HIGHLIGHTED_JS: &str = r#"
    const slot = document.querySelector('.msg-slot[data-highlighted]');
    if (!slot) {
        const first = document.querySelector('.msg-slot .msg-text');
        const status = document.querySelector('.search-status');
        const edge = document.querySelector('.history-edge');
        // Kept for the failure message: what the list shows instead.
        window.__unshown = 'first row: ' + (first && first.textContent) + '; status: ' + (status && status.textContent)
            + '; top of the list: ' + (edge && edge.textContent);
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

/// Waits up to `limit` until `browser` shows the message `text` highlighted, on screen and
/// focused (the end of a jump to it), checks that it stays so a moment later, when any late render would
/// have moved it away, and returns what the page showed.
async fn wait_for_shown(browser: &Browser, text: &str, limit: Duration) -> Value {
    let probe = || async {
        let shown = browser.evaluate(HIGHLIGHTED_JS, vec![]).await;
        if shown["text"] == json!(text) && shown["on_screen"] == true && shown["focused"] == true {
            Ok(shown)
        } else if shown.is_null() {
            let seen = browser
                .evaluate("return window.__unshown || 'not yet';", vec![])
                .await;
            Err(format!("{seen}"))
        } else {
            Err(shown.to_string())
        }
    };
    let what = format!("{}: {text:?} shown and highlighted", browser.label());
    wait_until(&what, limit, probe).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    wait_until(&format!("{what}, still"), Duration::from_millis(500), probe).await
}

/// Has `bot` say `total` numbered messages, "backlog message" but for number `wanted`,
/// which starts with `wanted_text`; returns once the server has stored them all.
async fn say_backlog(bot: &mut RoomBot, total: usize, wanted: usize, wanted_text: &str) {
    bot.say_all((1..=total).map(|n| {
        let text = if n == wanted {
            wanted_text
        } else {
            "backlog message"
        };
        format!("{text} {n:05}")
    }))
    .await;
}

/// Searches the room shown in `browser` for `query` and returns the result button named
/// like `result`.
async fn search_for(browser: &Browser, query: &str, result: &str) -> fantoccini::elements::Element {
    browser
        .find_by_role("button", "Search messages")
        .await
        .click()
        .await
        .expect("the search button takes a click");
    browser
        .find_by_role("textbox", "Search this room")
        .await
        .send_keys(&format!("{query}{}", Key::Enter))
        .await
        .expect("the search field takes keys");
    browser.find_by_role("button", result).await
}

/// A server that keeps every message of the tests' rooms and takes them as fast as the
/// bots send.
async fn roomy_harness(messages: usize) -> Harness {
    Harness::start_with(|config| {
        config.history_per_room = messages;
        config.flow = FlowLimits::unmetered();
    })
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

// The list once lost the result: a render from the screen as it was before the result's
// rows were in the DOM moved the window away from it, and its highlight was set on an
// element that a later render replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_a_message_among_10000_and_shows_it_in_context() {
    const SEEDED: usize = 10_000;
    const WANTED: usize = 1_234;
    let harness = roomy_harness(SEEDED).await;
    bounded(Duration::from_secs(180), async {
        let started = Instant::now();
        let mut bot = RoomBot::join(&harness.app().ws_url(), "archive", "archivist").await;
        say_backlog(&mut bot, SEEDED, WANTED, "the heron came back").await;
        println!(
            "seeded {SEEDED} messages in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let alice = harness.join("archive", "alice").await;
        alice
            .wait_for_message("archivist", &format!("backlog message {SEEDED:05}"))
            .await;
        let result = search_for(&alice, "HERON", "the heron came back").await;
        assert_axe_clean(&alice, "the search panel with a result").await;
        let found = Instant::now();
        result.click().await.expect("the result takes a click");

        let shown = wait_for_shown(
            &alice,
            &format!("the heron came back {WANTED:05}"),
            JUMP_FAR,
        )
        .await;
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

/// Carol asks a question, 1,200 messages go by, then she answers it herself. Alice opens
/// the room afterwards: only the newest pages are loaded, and the reply's quote says its
/// original is not. A click on it loads older pages until the original is held and shows
/// it highlighted among its neighbours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_message_1200_back_jumps_to_it() {
    const BETWEEN: usize = 1_200;
    let harness = roomy_harness(BETWEEN + 10).await;
    bounded(Duration::from_secs(120), async {
        let ws = harness.app().ws_url();
        let mut carol = RawSocket::connect(&ws, "carol").await;
        carol
            .send_json(&json!({"type": "join", "room": "long", "name": "carol"}))
            .await;
        let say = |id: &str, text: &str, reply_to: Option<&str>| {
            let mut msg = json!({"type": "msg", "id": id, "room": "long", "from": "carol",
                "text": text, "ts": 1_764_000_000_000_u64});
            if let Some(original) = reply_to {
                msg["reply_to"] = json!(original);
            }
            msg
        };
        let stored = |id: &'static str| move |v: &Value| v["type"] == "msg" && v["id"] == id;
        carol
            .send_json(&say(
                "launch-question",
                "Which day suits the launch party?",
                None,
            ))
            .await;
        carol
            .wait_for_json(DEFAULT_WAIT, stored("launch-question"))
            .await;
        let mut bot = RoomBot::join(&ws, "long", "archivist").await;
        bot.say_all((1..=BETWEEN).map(|n| format!("backlog message {n:05}")))
            .await;
        let answer = say(
            "launch-answer",
            "Friday works for everyone",
            Some("launch-question"),
        );
        carol.send_json(&answer).await;
        carol
            .wait_for_json(DEFAULT_WAIT, stored("launch-answer"))
            .await;

        let alice = harness.join("long", "alice").await;
        alice
            .wait_for_message("carol", "Friday works for everyone")
            .await;
        alice
            .find_by_role("button", "Original message not loaded")
            .await
            .click()
            .await
            .expect("the quote takes a click");
        let shown = wait_for_shown(&alice, "Which day suits the launch party?", JUMP_FAR).await;
        println!("{shown}");
        assert!(shown["rows"].as_u64().is_some_and(|n| n <= 400), "{shown}");
    })
    .await;
    harness.shutdown().await;
}

/// Alice finds an old message by searching and copies its link from the message's menu.
/// Bob opens the link in another browser: his page loads only the newest messages, then
/// older pages until the linked one, and shows it highlighted. A link to a message the room
/// does not hold says so; changing the address's fragment back jumps again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_link_shows_the_message_in_another_browser() {
    const SEEDED: usize = 1_500;
    const WANTED: usize = 100;
    let wanted = format!("the kingfisher sat still {WANTED:05}");
    let harness = roomy_harness(SEEDED).await;
    bounded(Duration::from_secs(180), async {
        let mut bot = RoomBot::join(&harness.app().ws_url(), "river", "archivist").await;
        say_backlog(&mut bot, SEEDED, WANTED, "the kingfisher sat still").await;

        let alice = harness.join("river", "alice").await;
        alice
            .wait_for_message("archivist", &format!("backlog message {SEEDED:05}"))
            .await;
        search_for(&alice, "kingfisher", "the kingfisher sat still")
            .await
            .click()
            .await
            .expect("the result takes a click");
        wait_for_shown(&alice, &wanted, JUMP_FAR).await;

        // What the menu copies is caught on its way to the clipboard, which a page under
        // WebDriver may not read.
        alice
            .evaluate(
                "navigator.clipboard.writeText = (text) => { window.__copied = text; \
                 return Promise.resolve(); }; return null;",
                vec![],
            )
            .await;
        let menu = r#"
            const slot = document.querySelector('.msg-slot[data-highlighted]');
            const item = Array.from(slot.querySelectorAll('[role="menuitem"]'))
                .find((b) => b.textContent === 'Copy link');
            if (item) { item.click(); return window.__copied || null; }
            slot.querySelector('button[aria-haspopup="menu"]').click();
            return null;
        "#;
        let link = wait_for_value(&alice, "the copied link", menu).await;
        let link = link.as_str().expect("a link is text").to_owned();
        assert!(link.contains("#msg-"), "{link}");

        let bob = harness.open_url(&link, "bob").await;
        let shown = wait_for_shown(&bob, &wanted, JUMP_FAR).await;
        println!("the link opened on: {shown}");

        bob.evaluate(
            "location.hash = '#msg-no-such-message'; return null;",
            vec![],
        )
        .await;
        let says_not_found = "return findAllByRole('status', '')
            .some((el) => el.textContent.includes('Message not found in this room')) || null;";
        wait_for_value(
            &bob,
            "a status saying the message is not found",
            says_not_found,
        )
        .await;

        // Scrolled away to the newest messages, the link's message is not rendered; going
        // back to the link's fragment brings it up again.
        bob.set_log_scroll_top(f64::INFINITY).await;
        bob.wait_for_message("archivist", &format!("backlog message {SEEDED:05}"))
            .await;
        let fragment = link.split_once('#').expect("a fragment").1.to_owned();
        bob.evaluate(
            "location.hash = arguments[0]; return null;",
            vec![json!(fragment)],
        )
        .await;
        wait_for_shown(&bob, &wanted, JUMP_FAR).await;
    })
    .await;
    harness.shutdown().await;
}
