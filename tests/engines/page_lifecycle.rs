//! The page's lifecycle: a page restored from the back/forward cache fires `pageshow`
//! (with `persisted`) rather than `visibilitychange`, and the chat must come back at once
//! instead of waiting out a backoff it started before the page was frozen.

use crate::support::*;
use wasm_bindgen_test::*;
use wirechat_session::BackoffConfig;

/// A chat whose reconnects wait ten minutes, so only the page's events can bring it back
/// within a test.
async fn mount_slow_to_retry() -> Mounted {
    let mut options = lobby_options();
    options.session.backoff = BackoffConfig {
        initial_ms: 600_000,
        max_ms: 600_000,
    };
    mount_chat_with(options).await
}

/// Fires `pageshow` on the window, as a browser does when it shows the page again
/// (`persisted`: from the back/forward cache).
fn page_show(persisted: bool) {
    let init = web_sys::PageTransitionEventInit::new();
    init.set_persisted(persisted);
    let event = web_sys::PageTransitionEvent::new_with_event_init_dict("pageshow", &init).unwrap();
    web_sys::window().unwrap().dispatch_event(&event).unwrap();
}

fn status(chat: &Mounted) -> String {
    find(&chat.root, r#"[role="status"]"#)
        .text_content()
        .unwrap()
}

#[wasm_bindgen_test]
async fn a_page_back_from_the_cache_reconnects_at_once_instead_of_backing_off() {
    let chat = mount_slow_to_retry().await;
    assert_eq!(chat.server.connects(), 1);
    chat.server.drop_connection();
    wait_until("the chat says it reconnects", || {
        status(&chat).contains("Reconnecting")
    })
    .await;
    settle().await;
    assert_eq!(
        chat.server.connects(),
        1,
        "the backoff holds the next attempt"
    );

    page_show(true);
    wait_until("pageshow tries again at once", || {
        chat.server.connects() == 2
    })
    .await;
    chat.server.push(HELLO);
    wait_until("the chat is connected again", || {
        status(&chat) == "Connected"
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_page_back_from_the_cache_rereads_the_network_it_missed() {
    let chat = mount_slow_to_retry().await;
    chat.server.drop_connection();
    // The network went away before the page was frozen; its coming back was missed.
    let offline = web_sys::Event::new("offline").unwrap();
    web_sys::window().unwrap().dispatch_event(&offline).unwrap();
    wait_until("the chat says it is offline", || status(&chat) == "Offline").await;

    page_show(true);
    wait_until(
        "the browser is online again, so the chat tries at once",
        || chat.server.connects() == 2,
    )
    .await;
}

#[wasm_bindgen_test]
async fn the_first_pageshow_of_a_page_changes_nothing() {
    let chat = mount_slow_to_retry().await;
    chat.server.drop_connection();
    settle().await;
    page_show(false);
    settle().await;
    assert_eq!(
        chat.server.connects(),
        1,
        "only a restored page skips the backoff"
    );
}
