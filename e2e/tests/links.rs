//! A link can name the chat server (`?server=`). When it names a host other than the
//! configured one, the page asks first, and nothing reaches that server until the reader
//! agrees.

use std::time::Duration;

use tokio::time::sleep;
use wirechat_e2e::{bounded, Browser, Harness, Proxy, TEST_BOUND};

/// How long the page is watched for a connection it must not make.
const QUIET: Duration = Duration::from_secs(2);

/// Regression: a link could send the reader's name, and everything they then wrote, to
/// any server, without a word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_another_host_connects_only_after_the_reader_agrees() {
    let harness = Harness::start().await;
    let server = harness.app().addr();
    // The stranger's server: another host name (the page is on 127.0.0.1) that reaches the
    // real server through a proxy counting what it is offered.
    let stranger = Proxy::start(server).await;
    let stranger_url = format!("ws://localhost:{}/ws", stranger.addr().port());
    bounded(TEST_BOUND, async {
        let link = harness
            .app()
            .room_url_using_socket("links", "alice", &stranger_url);

        let alice = harness.launch("alice").await;
        alice.goto(&link).await;
        alice
            .find_by_role("alertdialog", "Connect to \u{2068}localhost\u{2069}?")
            .await;
        sleep(QUIET).await;
        assert_eq!(
            stranger.accepted(),
            0,
            "nothing reaches the server before consent"
        );
        assert!(
            alice.query_by_role("log", "Messages").await.is_err(),
            "alice: the chat waits for the answer"
        );
        click(&alice, "Connect").await;
        alice.wait_for_status("Connected").await;
        assert!(stranger.accepted() > 0, "alice: connected through the link");
        alice.send("hello from the link").await;
        alice
            .wait_for_delivery("alice", "hello from the link", "Delivered")
            .await;

        let bob = harness.launch("bob").await;
        bob.goto(&link.replace("alice", "bob")).await;
        bob.find_by_role("alertdialog", "localhost").await;
        let before = stranger.accepted();
        click(&bob, "Cancel").await;
        bob.wait_for_status("Connected").await;
        // The configured server, the page's own, has the room's history.
        bob.wait_for_message("alice", "hello from the link").await;
        sleep(QUIET).await;
        assert_eq!(
            stranger.accepted(),
            before,
            "bob: refused the linked server"
        );
        let address = bob
            .client()
            .current_url()
            .await
            .expect("read bob's address");
        assert!(
            !address.as_str().contains("server="),
            "bob: a reload must not ask again: {address}"
        );
    })
    .await;
    harness.shutdown().await;
}

async fn click(browser: &Browser, button: &str) {
    browser
        .find_by_role("button", button)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("{}: cannot click {button:?}: {e}", browser.label()));
}
