//! What people do to messages, between real browsers: an edit, a reaction and a deletion
//! reach the other browser, on the reference server and on a plain relay, and an edit or
//! delete by someone who did not write the message changes nothing; reactions from three
//! people, one taken back, are counted alike in every browser. The README's pictures of the
//! message menu, a reply and reactions are taken here too.

use std::time::Duration;

use serde_json::{json, Value};
use wirechat_e2e::{
    bounded, png_size, wait_until, workspace_root, Browser, Harness, RawSocket, Relay, RelayMode,
    DEFAULT_WAIT, TEST_BOUND,
};

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

/// The names of the reaction buttons under the message whose text is `text` (each says its
/// emoji, count and who: `👍 2: bob, carol`), with whether this user's is pressed.
async fn reactions_of(browser: &Browser, text: &str) -> Result<Vec<String>, String> {
    let found = browser
        .evaluate(
            r#"const slot = Array.from(document.querySelectorAll('.msg-slot'))
                   .find((s) => (s.querySelector('.msg-text') || {}).textContent === arguments[0]);
               if (!slot) return null;
               return Array.from(slot.querySelectorAll('button.reaction')).map((b) =>
                   b.getAttribute('aria-label') + (b.getAttribute('aria-pressed') === 'true' ? ' (mine)' : ''));"#,
            vec![json!(text)],
        )
        .await;
    serde_json::from_value(found).map_err(|_| format!("no message {text:?}"))
}

/// Waits until every one of `browsers` shows exactly the reactions `expected` under `text`,
/// each marked as its own where the list names it.
async fn wait_for_reactions(
    browsers: &[(&Browser, &str)],
    text: &str,
    expected: &[(&str, &[&str])],
) {
    for (browser, me) in browsers {
        let want: Vec<String> = expected
            .iter()
            .map(|(emoji, who)| {
                let mine = if who.contains(me) { " (mine)" } else { "" };
                format!("{emoji} {}: {}{mine}", who.len(), who.join(", "))
            })
            .collect();
        wait_until(
            &format!("{}: the reactions {want:?}", browser.label()),
            ARRIVAL,
            || async {
                let shown = reactions_of(browser, text).await?;
                if shown == want {
                    Ok(())
                } else {
                    Err(format!("{shown:?}"))
                }
            },
        )
        .await;
    }
}

/// Alice, bob and carol react to one message from their own browsers (two 👍 and a 🎉),
/// then carol takes hers back: every browser counts each step alike and names who.
async fn reactions_from_three_people(people: [&Browser; 3]) {
    let [alice, bob, carol] = people;
    let everyone = [(alice, "alice"), (bob, "bob"), (carol, "carol")];
    let text = "lunch at noon?";
    alice.send(text).await;
    for browser in [bob, carol] {
        browser.wait_for_message("alice", text).await;
    }
    choose(bob, text, "React with 👍").await;
    choose(carol, text, "React with 👍").await;
    choose(alice, text, "React with 🎉").await;
    wait_for_reactions(
        &everyone,
        text,
        &[("👍", &["bob", "carol"]), ("🎉", &["alice"])],
    )
    .await;

    // Carol's pressed 👍 takes hers back.
    carol
        .evaluate(
            r#"const slot = Array.from(document.querySelectorAll('.msg-slot'))
                   .find((s) => (s.querySelector('.msg-text') || {}).textContent === arguments[0]);
               slot.querySelector('button.reaction[aria-pressed="true"]').click();
               return null;"#,
            vec![json!(text)],
        )
        .await;
    wait_for_reactions(&everyone, text, &[("👍", &["bob"]), ("🎉", &["alice"])]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_from_three_people_are_counted_alike_on_the_reference_server() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND * 2, async {
        let alice = harness.join("lunch", "alice").await;
        let bob = harness.join("lunch", "bob").await;
        let carol = harness.join("lunch", "carol").await;
        reactions_from_three_people([&alice, &bob, &carol]).await;
        // The server keeps them: a page opened now reads the same counts from history.
        let dave = harness.join("lunch", "dave").await;
        dave.wait_for_message("alice", "lunch at noon?").await;
        wait_for_reactions(
            &[(&dave, "dave")],
            "lunch at noon?",
            &[("👍", &["bob"]), ("🎉", &["alice"])],
        )
        .await;
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_from_three_people_are_counted_alike_on_a_relay() {
    let harness = Harness::start().await;
    let relay = Relay::start(RelayMode::Broadcast).await;
    bounded(TEST_BOUND * 2, async {
        let url = relay.ws_url();
        let alice = harness.join_on(&url, "lunch", "alice").await;
        let bob = harness.join_on(&url, "lunch", "bob").await;
        let carol = harness.join_on(&url, "lunch", "carol").await;
        for browser in [&alice, &bob, &carol] {
            browser.wait_for_note("History is unavailable").await;
        }
        reactions_from_three_people([&alice, &bob, &carol]).await;
    })
    .await;
    harness.shutdown().await;
}

/// Someone in the screenshots' room, on a socket of their own: says and reacts by
/// message id.
struct Speaker {
    socket: RawSocket,
    name: &'static str,
}

impl Speaker {
    async fn join(ws: &str, name: &'static str) -> Self {
        let mut socket = RawSocket::connect(ws, name).await;
        socket
            .send_json(&json!({"type": "join", "room": "team", "name": name}))
            .await;
        Self { socket, name }
    }

    /// Says `text` as message `id` (answering `reply_to`) and waits until it is stored.
    async fn say(&mut self, id: &str, text: &str, reply_to: Option<&str>) {
        let mut msg = json!({"type": "msg", "id": id, "room": "team", "from": self.name,
            "text": text, "ts": 1_764_000_000_000_u64});
        if let Some(original) = reply_to {
            msg["reply_to"] = json!(original);
        }
        self.socket.send_json(&msg).await;
        self.socket
            .wait_for_json(DEFAULT_WAIT, |v| v["type"] == "msg" && v["id"] == id)
            .await;
    }

    async fn react(&mut self, id: &str, emoji: &str) {
        self.socket
            .send_json(
                &json!({"type": "react", "room": "team", "id": id, "emoji": emoji, "on": true}),
            )
            .await;
    }
}

/// Writes `docs/screenshots/{message-menu,reply,reactions}.png`: a short conversation with
/// replies and reactions, and the menu of a message open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_the_message_menu_a_reply_and_reactions() {
    const SIZE: (u32, u32) = (960, 600);
    let harness = Harness::start().await;
    let shots = bounded(TEST_BOUND * 2, async {
        let ws = harness.app().ws_url();
        let maya = harness.join("team", "maya").await;
        maya.set_viewport(SIZE.0, SIZE.1).await;
        let mut theo = Speaker::join(&ws, "theo").await;
        let mut priya = Speaker::join(&ws, "priya").await;
        let mut sam = Speaker::join(&ws, "sam").await;
        theo.say("plan", "Shall we ship 0.5 on Thursday?", None)
            .await;
        priya
            .say(
                "ready",
                "Thursday works, the changelog is ready.",
                Some("plan"),
            )
            .await;
        sam.say("docs", "I'll update the docs tonight.", None).await;
        maya.wait_for_message("sam", "I'll update the docs tonight.")
            .await;
        choose(&maya, "Shall we ship 0.5 on Thursday?", "Reply").await;
        maya.send("Yes! I'll tag the release on Wednesday evening.")
            .await;
        for speaker in [&mut theo, &mut priya, &mut sam] {
            speaker.react("plan", "👍").await;
        }
        priya.react("docs", "🎉").await;
        sam.react("ready", "❤️").await;
        choose(&maya, "I'll update the docs tonight.", "React with 🎉").await;
        wait_for_row(&maya, "Shall we ship 0.5", &["👍 3"]).await;
        wait_for_row(&maya, "I'll update the docs tonight.", &["🎉 2"]).await;
        wait_for_row(&maya, "the changelog is ready", &["❤️ 1"]).await;
        maya.wait_for_status("Connected").await;

        let mut shots = Vec::new();
        // Lets the list settle at its newest message.
        tokio::time::sleep(Duration::from_millis(600)).await;
        shots.push(("reply.png", maya.screenshot_png().await));
        // Keyboard focus on a reaction, whose name tells who reacted.
        maya.evaluate(
            "const bar = Array.from(document.querySelectorAll('.msg-slot'))
                 .find((s) => s.textContent.includes('Shall we ship 0.5'))
                 .querySelector('button.reaction');
             bar.focus(); return null;",
            vec![],
        )
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        shots.push(("reactions.png", maya.screenshot_png().await));
        let open_menu = r#"
            const row = Array.from(document.querySelectorAll('[role="article"]'))
                .find((r) => (r.querySelector('.msg-text') || {}).textContent === arguments[0]);
            const menu = row.querySelector('[role="menu"]');
            if (menu) return true;
            row.querySelector('button[aria-haspopup="menu"]').click();
            return null;
        "#;
        wait_until("maya: the menu open", DEFAULT_WAIT, || async {
            let open = maya
                .evaluate(open_menu, vec![json!("I'll update the docs tonight.")])
                .await;
            if open == true {
                Ok(())
            } else {
                Err(open.to_string())
            }
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        shots.push(("message-menu.png", maya.screenshot_png().await));
        shots
    })
    .await;
    harness.shutdown().await;

    let dir = workspace_root().join("docs/screenshots");
    std::fs::create_dir_all(&dir).expect("create docs/screenshots");
    for (name, png) in shots {
        assert_eq!(png_size(&png), Some(SIZE), "{name}: size");
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        println!("wrote {}", path.display());
    }
}
