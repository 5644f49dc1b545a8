//! A panic is never a blank page: the hook shows a notice with a way out.

#![cfg(target_arch = "wasm32")]

mod support;

use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wirechat::glue::crash::{install_panic_hook, NOTICE_ID};

wasm_bindgen_test_configure!(run_in_browser);

/// Regression: the release build aborts on panic, which left the page blank and dead.
#[wasm_bindgen_test]
async fn a_panic_shows_a_translated_notice_with_a_reload_button() {
    document()
        .document_element()
        .unwrap()
        .set_attribute("lang", "ko")
        .unwrap();
    install_panic_hook();
    // The panic happens in a task of its own, as one in an event handler of the app would;
    // the trap ends that task, and this one goes on to look at the page.
    let boom = Closure::once_into_js(|| -> () {
        panic!("a forced panic");
    });
    web_sys::window()
        .unwrap()
        .set_timeout_with_callback_and_timeout_and_arguments_0(boom.unchecked_ref(), 0)
        .unwrap();
    wait_until("the panic notice is shown", || {
        document().get_element_by_id(NOTICE_ID).is_some()
    })
    .await;

    let notice = document().get_element_by_id(NOTICE_ID).unwrap();
    assert_eq!(notice.get_attribute("role").as_deref(), Some("alertdialog"));
    let text = notice.text_content().unwrap();
    assert!(text.contains("문제가 발생했습니다"), "{text}");
    let button = notice
        .query_selector("button")
        .unwrap()
        .expect("the notice has a button");
    assert_eq!(button.text_content().unwrap(), "새로 고침");
    assert_eq!(
        document().active_element().as_ref(),
        Some(&button),
        "the Reload button has the focus"
    );
}

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}
