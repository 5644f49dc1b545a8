//! Several tabs of one browser profile share `localStorage`, and so the place where unsent
//! messages wait. Whatever the tabs do while the link is down, each message written in any of
//! them is sent once, by one tab, when the link comes back.

use std::time::Duration;

use fantoccini::wd::WindowHandle;
use tokio::time::sleep;
use wirechat_e2e::{bounded, Browser, Harness, MessageRow, Proxy, ProxyMode};

/// How long the whole test may run.
const TABS_BOUND: Duration = Duration::from_secs(120);

/// How long a tab may take to notice the refused link, or to come back once it is open
/// again: the backoff cap (25 s) plus slack.
const LINK_LIMIT: Duration = Duration::from_secs(30);

/// How long a finished log is left alone before it is counted, so a late duplicate shows.
const SETTLE: Duration = Duration::from_secs(2);

/// Regression: each tab saved its own unsent messages over the one shared entry, so tab
/// one's two messages were replaced by tab two's one, and tab one's reload lost them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_written_offline_in_two_tabs_survive_a_reload_and_arrive_once() {
    let harness = Harness::start().await;
    let server = harness.app().addr();
    let link = Proxy::start(server).await;
    bounded(TABS_BOUND, async {
        let room_url = harness
            .app()
            .room_url_using_socket("tabs", "alice", &link.ws_url());
        let alice = harness.open_url(&room_url, "alice").await;
        alice.wait_for_status("Connected").await;
        let tab_one = window(&alice).await;
        let tab_two = alice
            .client()
            .new_window(false)
            .await
            .expect("open a second window")
            .handle;
        focus(&alice, &tab_two).await;
        alice.goto(&room_url).await;
        alice.wait_for_status("Connected").await;
        let bob = harness.join("tabs", "bob").await;

        link.set_mode(ProxyMode::Refuse);
        link.cut_all();
        for tab in [&tab_one, &tab_two] {
            focus(&alice, tab).await;
            wait_offline(&alice).await;
        }

        focus(&alice, &tab_one).await;
        for text in ["one from tab one", "two from tab one"] {
            alice.send(text).await;
            alice.wait_for_delivery("alice", text, "Sending").await;
        }
        focus(&alice, &tab_two).await;
        alice.send("three from tab two").await;
        alice
            .wait_for_delivery("alice", "three from tab two", "Sending")
            .await;
        focus(&alice, &tab_one).await;
        alice.reload().await;
        alice.find_by_role("log", "Messages").await;
        // Long enough for a reloaded page to take over what the old one left.
        sleep(SETTLE).await;

        link.set_mode(ProxyMode::Forward);
        let texts = ["one from tab one", "two from tab one", "three from tab two"];
        let expected: Vec<(&str, &str)> = texts.iter().map(|t| ("alice", *t)).collect();
        // The tabs reconnect on their own backoff, up to its cap.
        wait_shows(&bob, &expected).await;
        for tab in [&tab_one, &tab_two] {
            focus(&alice, tab).await;
            wait_shows(&alice, &expected).await;
        }
        sleep(SETTLE).await;

        let carol = harness.open("tabs", "carol").await;
        carol.wait_for_messages(&expected).await;
        let mut views = vec![
            ("bob", bob.messages().await),
            ("carol", carol.messages().await),
        ];
        for (label, tab) in [("alice's tab one", &tab_one), ("alice's tab two", &tab_two)] {
            focus(&alice, tab).await;
            views.push((label, alice.messages().await));
        }
        for (label, rows) in &views {
            let counts: Vec<usize> = texts.iter().map(|t| count(rows, t)).collect();
            println!("tabs: {label} shows each message {counts:?} times");
            assert_eq!(counts, [1, 1, 1], "{label}: {rows:?}");
        }
    })
    .await;
    harness.shutdown().await;
}

/// The window WebDriver commands go to now.
async fn window(browser: &Browser) -> WindowHandle {
    browser
        .client()
        .window()
        .await
        .unwrap_or_else(|e| panic!("{}: cannot name the window: {e}", browser.label()))
}

/// Sends the following WebDriver commands to `tab`.
async fn focus(browser: &Browser, tab: &WindowHandle) {
    browser
        .client()
        .switch_to_window(tab.clone())
        .await
        .unwrap_or_else(|e| panic!("{}: cannot switch windows: {e}", browser.label()));
}

/// Waits until the status says anything but "Connected".
async fn wait_offline(browser: &Browser) {
    let what = format!("{}: the status to leave \"Connected\"", browser.label());
    wirechat_e2e::wait_until(&what, LINK_LIMIT, || async {
        let text = browser.status_text().await;
        if text.is_empty() || text == "Connected" {
            Err(format!("status {text:?}"))
        } else {
            Ok(())
        }
    })
    .await;
}

/// Waits up to [`LINK_LIMIT`] until the log shows every `(from, text)` in `expected`.
async fn wait_shows(browser: &Browser, expected: &[(&str, &str)]) {
    browser.wait_for_messages_within(expected, LINK_LIMIT).await;
}

fn count(rows: &[MessageRow], text: &str) -> usize {
    rows.iter().filter(|r| r.shows("alice", text)).count()
}
