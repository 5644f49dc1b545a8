//! The page's wall clock is not steady: it steps back when the system sets it right, and an
//! engine may run a timer a moment before `Date.now` reaches the time it was set for. The
//! chat keeps its appointments either way.

use crate::support::*;
use wasm_bindgen_test::*;
use wirechat_session::BackoffConfig;

/// While alive, `Date.now` reads `ms` behind the real clock, as after the system clock was
/// set back.
struct ClockSetBack;

impl ClockSetBack {
    fn by(ms: u32) -> Self {
        run_script(&format!(
            "globalThis.realDateNow ??= Date.now; Date.now = () => globalThis.realDateNow() - {ms};"
        ));
        Self
    }
}

impl Drop for ClockSetBack {
    fn drop(&mut self) {
        run_script(
            "if (globalThis.realDateNow) { Date.now = globalThis.realDateNow; delete globalThis.realDateNow; }",
        );
    }
}

fn run_script(code: &str) {
    js_sys::Function::new_no_args(code)
        .call0(&wasm_bindgen::JsValue::NULL)
        .expect("run the clock script");
}

#[wasm_bindgen_test]
async fn a_reconnect_still_comes_when_the_clock_steps_back_during_the_wait() {
    let mut options = lobby_options();
    options.session.backoff = BackoffConfig {
        initial_ms: 300,
        max_ms: 300,
    };
    let chat = mount_chat_with(options).await;
    assert_eq!(chat.server.connects(), 1);
    chat.server.drop_connection();
    // The retry's time was read before the step. Its timer fires on time, when the clock
    // reads two seconds before it: nothing is due yet, and the chat must set a new timer.
    let _clock = ClockSetBack::by(2_000);
    wait_until("the chat tries again", || chat.server.connects() == 2).await;
}
