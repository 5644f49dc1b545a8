//! Accessibility: axe-core's rules on the chat page in both themes at desktop and phone
//! sizes, and the chat used with the keyboard alone.
//!
//! axe-core comes from the root `node_modules` (`npm ci`). Run with
//! `cargo test -p wirechat-e2e --test e2e accessibility:: -- --test-threads=1 --nocapture`
//! to see every violation axe reports, whatever its impact.

use std::time::Duration;

use fantoccini::key::Key;
use wirechat_e2e::{
    bounded, AxeViolation, Browser, Focused, Harness, RoomBot, PHONE_VIEWPORT, TEST_BOUND, VIEWPORT,
};

/// How many Tab presses may pass before the walk through the page gives up.
const MOST_TABS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_serious_on_the_chat_page_in_either_theme_or_size() {
    let harness = Harness::start().await;
    bounded(Duration::from_secs(150), async {
        let ws = harness.app().ws_url();
        let alice = harness.join("a11y", "alice").await;
        alice.join_room_from_sidebar("elsewhere").await;
        alice.switch_to_room("a11y").await;
        let mut bob = RoomBot::join(&ws, "a11y", "bob").await;
        let mut carol = RoomBot::join(&ws, "elsewhere", "carol").await;
        alice.send("Hello, is the review still on for today?").await;
        bob.say("Yes, notes: https://example.com/review and mailto:team@example.com")
            .await;
        alice
            .send_lines(&["Great.", "I'll bring the numbers."])
            .await;
        alice.send("Agenda: https://example.com/agenda").await;
        carol.say("An unread message in another room").await;
        alice
            .wait_for_delivery("alice", "Agenda: https://example.com/agenda", "Delivered")
            .await;
        alice
            .wait_for_rooms("with an unread badge", |rooms| {
                rooms.iter().any(|r| r.unread.is_some())
            })
            .await;
        bob.typing().await;

        let mut serious = Vec::new();
        for (size, size_name) in [(VIEWPORT, "desktop"), (PHONE_VIEWPORT, "phone")] {
            alice.set_viewport(size.0, size.1).await;
            for dark in [false, true] {
                alice.set_dark_theme(dark).await;
                let theme = if dark { "dark" } else { "light" };
                let page = format!("{size_name} {theme}");
                serious.extend(check(&alice, &page).await);
            }
        }
        // The phone's room drawer, open, in the light theme (the one with less contrast).
        alice.set_dark_theme(false).await;
        alice.open_room_drawer().await;
        serious.extend(check(&alice, "phone light, room drawer open").await);

        assert!(
            serious.is_empty(),
            "axe found {} serious or critical violations:\n{}",
            serious.len(),
            serious.join("\n")
        );
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyboard_alone_reaches_the_rooms_and_the_composer_and_sends() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("keys", "alice").await;
        let bob = harness.join("keys", "bob").await;
        bob.send("Try it without a mouse").await;
        alice
            .wait_for_message("bob", "Try it without a mouse")
            .await;

        // From the start of a freshly loaded page.
        let start = alice.focused().await;
        assert_eq!(
            start.role, "",
            "something has focus before any key: {start:?}"
        );
        let mut walk: Vec<Focused> = Vec::new();
        let reached = |walk: &[Focused], is: fn(&Focused) -> bool| walk.iter().position(is);
        while reached(&walk, is_send_button).is_none() {
            assert!(
                walk.len() < MOST_TABS,
                "{MOST_TABS} Tabs did not reach the Send button; focus went: {}",
                describe(&walk)
            );
            alice.press_keys(&Key::Tab.to_string()).await;
            walk.push(alice.focused().await);
        }
        println!("Tab order: {}", describe(&walk));
        let room = reached(&walk, is_room_button);
        let composer = reached(&walk, is_composer);
        let send = reached(&walk, is_send_button);
        assert!(
            room.is_some() && composer.is_some(),
            "Tab skipped the room list or the composer: {}",
            describe(&walk)
        );
        assert!(
            room < composer && composer < send,
            "the room list, composer and Send button are out of order: {}",
            describe(&walk)
        );

        alice.press_shift_tab().await;
        let back = alice.focused().await;
        assert!(is_composer(&back), "Shift+Tab from Send went to {back:?}");
        alice
            .press_keys(&format!("typed without a mouse{}", Key::Enter))
            .await;
        bob.wait_for_message("alice", "typed without a mouse").await;
        alice
            .wait_for_delivery("alice", "typed without a mouse", "Delivered")
            .await;
        let after = alice.focused().await;
        assert!(
            is_composer(&after),
            "focus left the composer after sending: {after:?}"
        );
        let value = alice
            .find_by_role("textbox", "Message")
            .await
            .prop("value")
            .await
            .expect("read the composer");
        assert_eq!(
            value.as_deref(),
            Some(""),
            "the composer kept the sent text"
        );

        // Typing goes on in the composer without reaching for it.
        alice
            .press_keys(&format!("and once more{}", Key::Enter))
            .await;
        bob.wait_for_message("alice", "and once more").await;
    })
    .await;
    harness.shutdown().await;
}

/// Runs axe on the page as it is, prints every violation, and returns the serious and
/// critical ones described.
async fn check(browser: &Browser, page: &str) -> Vec<String> {
    // Lets theme transitions and layout settle before colours are measured.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let violations = browser.axe_violations().await;
    println!("axe, {page}: {} violations", violations.len());
    for violation in &violations {
        print!("  {violation}");
    }
    violations
        .iter()
        .filter(|v| v.is_serious())
        .map(|v: &AxeViolation| format!("{page}: {v}"))
        .collect()
}

fn is_room_button(focused: &Focused) -> bool {
    focused.in_navigation && focused.role == "button" && focused.name.starts_with('#')
}

fn is_composer(focused: &Focused) -> bool {
    focused.role == "textbox" && focused.name == "Message"
}

fn is_send_button(focused: &Focused) -> bool {
    focused.role == "button" && focused.name == "Send"
}

fn describe(walk: &[Focused]) -> String {
    walk.iter()
        .map(|f| {
            format!(
                "{} {:?}",
                if f.role.is_empty() { &f.tag } else { &f.role },
                f.name
            )
        })
        .collect::<Vec<_>>()
        .join(" → ")
}
