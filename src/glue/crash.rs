//! What the page shows when the app panics.
//!
//! The release build aborts on panic, so after one nothing the app drew reacts any more.
//! The panic hook logs the panic to the console and puts a notice over the page, built with
//! plain DOM calls (the reactive runtime may be what failed), that says so and offers a
//! reload. Unsent messages are already in storage (the driver saves them after every
//! change), and the reloaded page sends them.

use crate::i18n::{Lang, Tr};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The `id` of the notice, so a second panic does not stack another one.
pub const NOTICE_ID: &str = "crash-notice";

/// Installs the panic hook. Call it first thing, before the app mounts.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&format!("wirechat stopped: {info}")));
        show_notice(page_lang());
    }));
}

/// Puts the "Something went wrong" notice with its Reload button over the page, once.
pub fn show_notice(lang: Lang) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id(NOTICE_ID).is_some() {
        return;
    }
    let Some(body) = document.body() else {
        return;
    };
    let element = |tag: &str, text: &str| {
        let el = document.create_element(tag).ok()?;
        el.set_text_content(Some(text));
        Some(el)
    };
    let (Ok(notice), Some(title), Some(detail), Some(reload)) = (
        document.create_element("div"),
        element("h1", Tr::something_went_wrong(lang)),
        element("p", Tr::crash_detail(lang)),
        element("button", Tr::reload(lang)),
    ) else {
        return;
    };
    let title_id = format!("{NOTICE_ID}-title");
    let _ = notice.set_attribute("id", NOTICE_ID);
    let _ = notice.set_attribute("class", "crash-notice");
    let _ = notice.set_attribute("role", "alertdialog");
    let _ = notice.set_attribute("aria-modal", "true");
    let _ = notice.set_attribute("aria-labelledby", &title_id);
    let _ = notice.set_attribute("lang", lang.tag());
    let _ = title.set_attribute("id", &title_id);
    let _ = reload.set_attribute("type", "button");
    // Lives as long as the page: the notice is its last state.
    let on_click = Closure::<dyn FnMut()>::new(|| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    let _ = reload.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    on_click.forget();
    for child in [&title, &detail, &reload] {
        let _ = notice.append_child(child);
    }
    let _ = body.append_child(&notice);
    if let Some(button) = reload.dyn_ref::<web_sys::HtmlElement>() {
        let _ = button.focus();
    }
}

/// The language the page is shown in (`<html lang>`, which the app keeps current).
fn page_lang() -> Lang {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|html| html.get_attribute("lang"))
        .map(|tag| Lang::from_tag(&tag))
        .unwrap_or_default()
}
