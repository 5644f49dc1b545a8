//! Connection details as a developer reads them: the subprotocol offered and the one
//! negotiated, the opening handshake the server reports in `hello`, recomputed in the
//! browser (RFC 6455 §1.3), and the link figures; and the screenshot
//! `docs/screenshots/inspector.png` of them for the README.

use fantoccini::Locator;
use serde_json::json;
use wirechat_e2e::{
    bounded, png_size, site_with_app, wait_until, workspace_root, Browser, Harness, Relay,
    RelayMode, StaticHost, DEFAULT_WAIT, TEST_BOUND, VIEWPORT,
};

/// Opens the collapsed Connection details, as a person clicking its summary would.
async fn open_connection_details(browser: &Browser) {
    browser
        .client()
        .find(Locator::XPath(
            "//details[summary[normalize-space(.)='Connection details']]/summary",
        ))
        .await
        .unwrap_or_else(|e| panic!("{}: no Connection details: {e}", browser.label()))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{}: cannot open Connection details: {e}", browser.label()));
}

/// Also writes `docs/screenshots/inspector.png`: the open Connection details with the
/// verified handshake and the link figures, as the README shows them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_server_s_handshake_is_verified_and_its_subprotocol_shown() {
    let harness = Harness::start().await;
    // The app's own config.json offers no subprotocol; this copy offers one.
    let site = site_with_app("chat", |config| {
        config.insert("server".to_owned(), json!(harness.app().ws_url()));
        config.insert("protocols".to_owned(), json!(["chat"]));
    });
    let host = StaticHost::serve(site).await;
    let shot = bounded(TEST_BOUND, async {
        let ines = harness
            .open_url(&host.url("/chat/?room=lobby&name=ines"), "ines")
            .await;
        ines.set_viewport(VIEWPORT.0, VIEWPORT.1).await;
        ines.wait_for_status("Connected").await;
        open_connection_details(&ines).await;
        ines.wait_for_test_id_text("subprotocols-requested", "chat")
            .await;
        ines.wait_for_test_id_text("subprotocol", "chat").await;
        ines.wait_for_test_id_text("handshake", "handshake verified")
            .await;
        let key = ines.test_id_text("handshake-key").await.unwrap();
        let accept = ines.test_id_text("handshake-accept").await.unwrap();
        // Base64 of a 16-byte nonce and of a 20-byte SHA-1.
        assert_eq!((key.len(), accept.len()), (24, 28), "{key:?} {accept:?}");

        // Some traffic for the link figures: a message there and back, and a ping, which a
        // tab that becomes visible again sends at once.
        ines.send("Is the handshake verified?").await;
        ines.wait_for_message("ines", "Is the handshake verified?")
            .await;
        ines.evaluate(
            "window.dispatchEvent(new Event('visibilitychange'));",
            vec![],
        )
        .await;
        let round_trip = wait_until("ines: a round trip", DEFAULT_WAIT, || async {
            match ines.test_id_text("round-trip").await {
                Ok(text) if text.ends_with(" ms") => Ok(text),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
        let frames = ines.test_id_text("frames-in-out").await.unwrap();
        let counts: Vec<u64> = frames
            .split(" / ")
            .map(|n| n.parse().unwrap_or_else(|e| panic!("{frames:?}: {e}")))
            .collect();
        // In: hello, history, presence, the ack or echo, the pong; out: join, msg, ping.
        assert!(
            counts.len() == 2 && counts[0] >= 4 && counts[1] >= 3,
            "{frames:?}"
        );
        assert_eq!(ines.test_id_text("reconnects").await.unwrap(), "0");
        assert_eq!(ines.test_id_text("recent-closes").await.unwrap(), "none");
        println!("round trip {round_trip}, frames {frames}");
        // Lets the page settle after the last figures moved.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        ines.screenshot_png().await
    })
    .await;
    harness.shutdown().await;
    drop(host);

    assert_eq!(png_size(&shot), Some(VIEWPORT), "inspector.png: size");
    let path = workspace_root().join("docs/screenshots/inspector.png");
    std::fs::write(&path, shot).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    println!("wrote {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_reports_no_handshake_and_none_is_claimed() {
    let harness = Harness::start().await;
    let relay = Relay::start(RelayMode::Broadcast).await;
    bounded(TEST_BOUND, async {
        let rita = harness.join_on(&relay.ws_url(), "r", "rita").await;
        rita.wait_for_note("History is unavailable").await;
        open_connection_details(&rita).await;
        rita.wait_for_test_id_text("subprotocols-requested", "none")
            .await;
        rita.wait_for_test_id_text("handshake", "not reported by the server")
            .await;
        assert!(rita.test_id_text("handshake-key").await.is_err());
    })
    .await;
    harness.shutdown().await;
}
