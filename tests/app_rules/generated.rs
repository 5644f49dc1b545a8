//! Thousands of generated frames, valid in shape and extreme in value, through the real UI:
//! afterwards the app still renders and still sends. The frames come from
//! `wirechat_protocol::generate`, the generator the native property tests use, seeded per
//! run; the seed is printed, and `GENERATED_SEED` below replays a run.

use crate::support::*;
use wasm_bindgen_test::*;
use wirechat_protocol::generate::{self, Rng};

/// Frames per run: enough to meet every kind of value many times, few enough to stay
/// well under a minute in headless Chromium.
const FRAMES: usize = 3000;

/// Frames delivered between two settles of the UI.
const BATCH: usize = 100;

/// Set to a printed seed to replay that run.
const GENERATED_SEED: Option<u64> = None;

#[wasm_bindgen_test]
async fn generated_frames_never_stop_the_chat() {
    let seed = GENERATED_SEED.unwrap_or_else(|| js_sys::Date::now() as u64);
    console_log!("generated frames: seed {seed}");
    let chat = mount_chat().await;
    let mut rng = Rng::new(seed);
    for batch in 0..FRAMES / BATCH {
        for _ in 0..BATCH {
            chat.server.push(&generate::frame(&mut rng));
        }
        settle().await;
        assert!(
            chat.root.is_connected() && !find_all(&chat.root, "textarea").is_empty(),
            "seed {seed}: the app stopped rendering after batch {batch}"
        );
    }
    chat.server.push(
        r#"{"type":"msg","id":"after-generated","room":"lobby","from":"bob","text":"after the storm","ts":1764000000000}"#,
    );
    wait_until(
        &format!("seed {seed}: a valid message after the generated ones is shown"),
        || {
            find_all(&chat.root, ".msg-text")
                .iter()
                .any(|p| p.text_content().as_deref() == Some("after the storm"))
        },
    )
    .await;
    let counter = find(&chat.root, r#"[data-testid="dropped-frames"]"#);
    assert!(
        counter
            .text_content()
            .and_then(|t| t.parse::<u64>().ok())
            .is_some_and(|n| n > 0),
        "seed {seed}: the invalid generated frames were not counted"
    );

    let area = textarea(&chat.root);
    // Generated `hello`s announce extreme limits, a `max_text` of a few bytes among them,
    // under which the composer rightly refuses this text (seed 1796020082767 ends on one).
    // The server announces sane limits again, as a real one does, before the send.
    chat.server.push(HELLO);
    settle().await;
    type_text(&area, "still chatting", false);
    send_button(&chat.root).click();
    wait_until(&format!("seed {seed}: the composer sends"), || {
        chat.server
            .sent_messages()
            .iter()
            .any(|m| m.text == "still chatting")
    })
    .await;
}
