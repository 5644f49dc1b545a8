//! Checks the harness itself on a static page that keeps the frontend's accessibility
//! contract, so a broken helper is told apart from a broken app. Needs no server or dist/.

use std::path::Path;
use std::time::Duration;

use wirechat_e2e::{bounded, png_size, Browser, BrowserSlot, Driver, Engine, MessageRow, VIEWPORT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_helpers_read_and_drive_a_page_by_role() {
    // No harness here, so the test takes its turn on the browsers itself; taken first, it is
    // given back last, after the browser and its driver are gone.
    let _slot = BrowserSlot::alone().await;
    // Created before the driver so it is removed after it: a browser still shutting down
    // would otherwise write its profile directory back.
    let profile = tempfile::tempdir().expect("create a browser profile directory");
    let driver = Driver::start(Engine::from_env()).await;
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake_chat.html");
    let browser = Browser::launch(&driver, profile.path(), "fixture").await;

    bounded(Duration::from_secs(60), async {
        browser.goto(&format!("file://{}", page.display())).await;

        browser.find_by_role("log", "Messages").await;
        browser.find_by_role("button", "Send").await;
        let composer = browser.find_by_role("textbox", "Message").await;
        assert_eq!(
            composer.attr("id").await.expect("read the composer id"),
            Some("composer".to_owned()),
            "the hidden textarea must not be found"
        );
        let missing = browser.query_by_role("dialog", "Name").await;
        assert!(
            matches!(&missing, Err(seen) if seen.contains("textbox \"Message\"")),
            "a missing element reports what the page has: {:?}",
            missing.map(|_| "found")
        );

        assert_eq!(browser.status_text().await, "Connected");
        assert_eq!(
            browser.messages().await,
            vec![MessageRow {
                from: Some("bob".to_owned()),
                text: "hi\nthere".to_owned(),
                delivery: None,
            }],
            "a <br> reads as a newline"
        );

        assert_eq!(
            browser.notes().await,
            vec!["History is unavailable on this server.".to_owned()],
            "only the exposed note is read"
        );
        browser.wait_for_note("History is unavailable").await;
        assert_eq!(
            browser.dropped_frames().await,
            Ok(3),
            "read inside collapsed details"
        );
        browser.wait_for_test_id_text("subprotocol", "none").await;
        assert!(browser.test_id_text("no-such-id").await.is_err());

        browser.send("hello").await;
        browser.wait_for_message("me", "hello").await;
        let rows = browser.wait_for_delivery("me", "hello", "Sent").await;
        assert_eq!(rows[0].delivery, None, "only own rows carry a badge");
        browser.send_lines(&["one", "two"]).await;
        let rows = browser.wait_for_message("me", "one\ntwo").await;
        assert_eq!(rows.len(), 3, "Shift+Enter must not send: {rows:?}");

        let png = browser.screenshot_png().await;
        assert_eq!(png_size(&png), Some(VIEWPORT), "the viewport size");
    })
    .await;
    let _ = browser.close().await;
}
