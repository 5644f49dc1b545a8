//! The fallbacks for networks that do not carry WebSockets: chat over server-sent events and
//! over long polling, and a page behind a proxy that refuses the WebSocket upgrade, which
//! chats over a fallback and moves to a WebSocket once the proxy lets upgrades through.
//!
//! The pages come from the reference server with a `config.json` of each test's own; the
//! chat goes to the same server, or through the proxy: either the page comes through it too,
//! or the chat server is then another origin than the page's, as for a page on a CDN.

use std::time::Duration;

use serde_json::json;
use tempfile::TempDir;
use tokio::time::{sleep, Instant};
use wirechat_e2e::{
    bounded, site_with_app, wait_until, Browser, Harness, MessageRow, Proxy, ProxyMode, TEST_BOUND,
};

/// How long the upgrade back to a WebSocket may take: the probe waits
/// [`UPGRADE_CHECK_SECONDS`], then a reconnect with its handshake.
const UPGRADE_LIMIT: Duration = Duration::from_secs(20);

/// How often the page behind the proxy looks for a WebSocket that gets through.
const UPGRADE_CHECK_SECONDS: u64 = 3;

/// A copy of the built app whose `config.json` also holds `extra`.
fn site(extra: serde_json::Value) -> TempDir {
    site_with_app("", |config| {
        if let Some(extra) = extra.as_object() {
            config.extend(extra.clone());
        }
    })
}

/// The reference server serving `site`.
async fn harness_serving(site: &TempDir) -> Harness {
    let dir = site.path().to_owned();
    Harness::start_with(move |config| config.static_dir = Some(dir)).await
}

/// The room page loaded through `proxy`, chatting through it too, as for a browser whose only
/// way out is that proxy.
fn page_behind(proxy: &Proxy, harness: &Harness, room: &str, name: &str) -> String {
    let app = harness.app();
    app.room_url_using_socket(room, name, &proxy.ws_url())
        .replacen(&app.http_url(), &proxy.http_url(), 1)
}

/// Opens the room page behind `proxy` and waits until it is connected.
async fn join_behind(proxy: &Proxy, harness: &Harness, room: &str, name: &str) -> Browser {
    let browser = harness
        .open_url(&page_behind(proxy, harness, room, name), name)
        .await;
    browser.wait_for_status("Connected").await;
    browser
}

fn assert_each_once(browser: &Browser, rows: &[MessageRow], expected: &[(&str, &str)]) {
    for (from, text) in expected {
        let count = rows.iter().filter(|row| row.shows(from, text)).count();
        assert_eq!(
            count,
            1,
            "{} shows {from}'s {text:?} {count} times: {rows:?}",
            browser.label()
        );
    }
}

/// Two people chat over the only transport `config.json` allows, and the page says which.
async fn chat_over(transport: &str, shown_as: &str) {
    let site = site(json!({ "transports": [transport] }));
    let harness = harness_serving(&site).await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("fallback", "alice").await;
        let bob = harness.join("fallback", "bob").await;
        for browser in [&alice, &bob] {
            browser
                .wait_for_test_id_text("transport", &format!("{shown_as} (the first choice)"))
                .await;
        }
        alice.send("hello over a fallback").await;
        bob.wait_for_message("alice", "hello over a fallback").await;
        for text in ["one", "two", "three"] {
            bob.send(text).await;
        }
        let expected = [
            ("alice", "hello over a fallback"),
            ("bob", "one"),
            ("bob", "two"),
            ("bob", "three"),
        ];
        for browser in [&alice, &bob] {
            let rows = browser.wait_for_messages(&expected).await;
            assert_each_once(browser, &rows, &expected);
        }
        // Alice's message was confirmed by the server over the fallback too.
        alice
            .wait_for_delivery("alice", "hello over a fallback", "Delivered")
            .await;
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_works_end_to_end_over_server_sent_events() {
    chat_over("sse", "server-sent events").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_works_end_to_end_over_long_polling() {
    chat_over("long-polling", "long polling").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_that_refuses_upgrades_pages_chat_over_a_fallback_then_move_to_a_websocket()
{
    let site = site(json!({ "upgrade_check_seconds": UPGRADE_CHECK_SECONDS }));
    let harness = harness_serving(&site).await;
    let proxy = Proxy::start(harness.app().addr()).await;
    proxy.set_mode(ProxyMode::RefuseUpgrades);
    bounded(TEST_BOUND, async {
        let alice = join_behind(&proxy, &harness, "upgrade", "alice").await;
        let bob = join_behind(&proxy, &harness, "upgrade", "bob").await;
        let fallback = "server-sent events (the WebSocket could not open)";
        for browser in [&alice, &bob] {
            browser.wait_for_test_id_text("transport", fallback).await;
        }
        alice.send("over the fallback").await;
        bob.wait_for_message("alice", "over the fallback").await;
        bob.send("fallback answer").await;
        alice.wait_for_message("bob", "fallback answer").await;

        // Upgrades get through from now on: both pages move over while they keep talking.
        proxy.set_mode(ProxyMode::Forward);
        let mut expected = vec![
            ("alice".to_owned(), "over the fallback".to_owned()),
            ("bob".to_owned(), "fallback answer".to_owned()),
        ];
        let upgraded = "WebSocket (a WebSocket gets through again)";
        let deadline = Instant::now() + UPGRADE_LIMIT;
        let mut turn = 0;
        loop {
            turn += 1;
            let text = format!("during the switch {turn}");
            let (sender, name) = if turn % 2 == 0 {
                (&alice, "alice")
            } else {
                (&bob, "bob")
            };
            sender.send(&text).await;
            expected.push((name.to_owned(), text));
            let mut moved = Vec::new();
            for page in [&alice, &bob] {
                moved.push(page.test_id_text("transport").await.unwrap_or_default());
            }
            if moved.iter().all(|shown| shown == upgraded) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "not both on a WebSocket after {UPGRADE_LIMIT:?}: {moved:?}"
            );
            sleep(Duration::from_millis(400)).await;
        }
        alice.send("on the websocket").await;
        expected.push(("alice".to_owned(), "on the websocket".to_owned()));
        let expected: Vec<(&str, &str)> = expected
            .iter()
            .map(|(from, text)| (from.as_str(), text.as_str()))
            .collect();
        for browser in [&alice, &bob] {
            let rows = browser.wait_for_messages(&expected).await;
            assert_each_once(browser, &rows, &expected);
            browser.wait_for_test_id_text("transport", upgraded).await;
        }
    })
    .await;
    drop(proxy);
    harness.shutdown().await;
}

/// A page that moves from long polling to a WebSocket ends its polling connection on the
/// server at once. Left to the server's idle close, it would stay a minute, counted against
/// the server's limits and keeping its user in the rooms, once for every move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_moves_off_long_polling_ends_its_polling_connection() {
    let site = site(json!({
        "transports": ["websocket", "long-polling"],
        "upgrade_check_seconds": UPGRADE_CHECK_SECONDS,
    }));
    let harness = harness_serving(&site).await;
    let proxy = Proxy::start(harness.app().addr()).await;
    proxy.set_mode(ProxyMode::RefuseUpgrades);
    bounded(TEST_BOUND, async {
        let alice = join_behind(&proxy, &harness, "moving", "alice").await;
        alice
            .wait_for_test_id_text("transport", "long polling (the WebSocket could not open)")
            .await;
        assert_eq!(
            harness.app().open_connections(),
            1,
            "the polling connection"
        );

        proxy.set_mode(ProxyMode::Forward);
        let upgraded = "WebSocket (a WebSocket gets through again)";
        wait_until("alice moves to a WebSocket", UPGRADE_LIMIT, || async {
            match alice.test_id_text("transport").await {
                Ok(shown) if shown == upgraded => Ok(()),
                shown => Err(format!("{shown:?}")),
            }
        })
        .await;
        let moved = Instant::now();
        wait_until(
            "the server serves the WebSocket alone",
            Duration::from_secs(5),
            || async {
                match harness.app().open_connections() {
                    1 => Ok(()),
                    open => Err(format!("{open} connections open")),
                }
            },
        )
        .await;
        println!(
            "moving: the polling connection ended {} ms after the page showed the WebSocket",
            moved.elapsed().as_millis()
        );
    })
    .await;
    drop(proxy);
    harness.shutdown().await;
}

/// A page whose chat server is another origin (here the proxy's port, as a page on a CDN
/// talks to a chat server elsewhere) and refuses upgrades still falls back: the page's
/// Content-Security-Policy lets plain HTTP reach that server, as it lets WebSockets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_falls_back_to_a_chat_server_on_another_origin() {
    let site = site(json!({}));
    let harness = harness_serving(&site).await;
    let proxy = Proxy::start(harness.app().addr()).await;
    proxy.set_mode(ProxyMode::RefuseUpgrades);
    bounded(TEST_BOUND, async {
        let url = harness
            .app()
            .room_url_using_socket("elsewhere", "alice", &proxy.ws_url());
        let alice = harness.open_url(&url, "alice").await;
        alice.wait_for_status("Connected").await;
        alice
            .wait_for_test_id_text(
                "transport",
                "server-sent events (the WebSocket could not open)",
            )
            .await;
        alice.send("from a page elsewhere").await;
        alice
            .wait_for_delivery("alice", "from a page elsewhere", "Delivered")
            .await;
    })
    .await;
    drop(proxy);
    harness.shutdown().await;
}
