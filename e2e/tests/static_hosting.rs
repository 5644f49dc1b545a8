//! `dist/` as any static host would serve it: copied under a sub-path, behind a plain file
//! server that knows nothing of the app, with the chat server named only by `config.json`.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde_json::json;
use wirechat_e2e::{bounded, site_with_app, Harness, StaticHost, TEST_BOUND};
use wirechat_server::Config;

/// Longer than the server's own bounded wait for sockets to close.
const SERVER_STOP_LIMIT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_runs_from_a_sub_path_of_a_static_host_with_its_runtime_config() {
    let harness = Harness::start().await;
    // A chat server of its own, on another port and serving no files: only config.json
    // leads the page to it.
    let chat = wirechat_server::spawn(Config {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        ..Config::default()
    })
    .await
    .expect("start the chat server on a free loopback port");
    let site = site_with_app("apps/chat", |config| {
        config.insert("server".to_owned(), json!(chat.ws_url()));
        config.insert("protocols".to_owned(), json!(["chat"]));
    });
    let host = StaticHost::serve(site).await;

    bounded(TEST_BOUND, async {
        // No `server=` in the query: the socket URL can only come from config.json.
        let page = |name: &str| host.url(&format!("/apps/chat/?room=r&name={name}"));
        let alice = harness.open_url(&page("alice"), "alice").await;
        let bob = harness.open_url(&page("bob"), "bob").await;
        for browser in [&alice, &bob] {
            browser.wait_for_status("Connected").await;
        }

        alice.send("served from a sub-path").await;
        bob.wait_for_message("alice", "served from a sub-path")
            .await;
        bob.send("and configured at runtime").await;
        alice
            .wait_for_message("bob", "and configured at runtime")
            .await;
        for browser in [&alice, &bob] {
            browser
                .wait_for_messages(&[
                    ("alice", "served from a sub-path"),
                    ("bob", "and configured at runtime"),
                ])
                .await;
            assert!(
                browser.status_text().await.contains("Connected"),
                "{}: status {:?}",
                browser.label(),
                browser.status_text().await
            );
            // The subprotocol was offered because config.json asked for it.
            browser.wait_for_test_id_text("subprotocol", "chat").await;
        }
    })
    .await;
    harness.shutdown().await;
    drop(host);
    let stopped = tokio::time::timeout(SERVER_STOP_LIMIT, chat.shutdown()).await;
    assert!(
        stopped.is_ok(),
        "the chat server did not stop within {SERVER_STOP_LIMIT:?}"
    );
}
