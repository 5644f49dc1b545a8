//! Connection details as a developer reads them: the subprotocol offered and the one
//! negotiated, and the opening handshake the server reports in `hello`, recomputed in the
//! browser (RFC 6455 §1.3).

use fantoccini::Locator;
use serde_json::json;
use wirechat_e2e::{
    bounded, site_with_app, Browser, Harness, Relay, RelayMode, StaticHost, TEST_BOUND,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_server_s_handshake_is_verified_and_its_subprotocol_shown() {
    let harness = Harness::start().await;
    // The app's own config.json offers no subprotocol; this copy offers one.
    let site = site_with_app("chat", |config| {
        config.insert("server".to_owned(), json!(harness.app().ws_url()));
        config.insert("protocols".to_owned(), json!(["chat"]));
    });
    let host = StaticHost::serve(site).await;
    bounded(TEST_BOUND, async {
        let ines = harness
            .open_url(&host.url("/chat/?room=lobby&name=ines"), "ines")
            .await;
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
    })
    .await;
    harness.shutdown().await;
    drop(host);
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
