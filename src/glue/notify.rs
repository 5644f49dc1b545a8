//! Desktop notifications for messages that arrive while the tab is hidden.

use crate::glue::page;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// localStorage key of the choice to be notified of mentions ("off" when declined).
const MENTIONS_KEY: &str = "wirechat.notify-mentions";

/// Whether the browser has notifications at all.
pub fn supported() -> bool {
    web_sys::window()
        .map(|w| js_sys::Reflect::has(&w, &JsValue::from_str("Notification")).unwrap_or(false))
        .unwrap_or(false)
}

/// "granted", "denied" or "default" (not asked yet).
pub fn permission() -> String {
    if !supported() {
        return "denied".into();
    }
    match web_sys::Notification::permission() {
        web_sys::NotificationPermission::Granted => "granted",
        web_sys::NotificationPermission::Denied => "denied",
        _ => "default",
    }
    .into()
}

/// Asks for permission; call only from a click on a control that says so. `done` gets the
/// answer.
pub fn request(done: impl FnOnce(String) + 'static) {
    if !supported() {
        return done("denied".into());
    }
    let Ok(promise) = web_sys::Notification::request_permission() else {
        return done(permission());
    };
    wasm_bindgen_futures::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        done(permission());
    });
}

/// Whether the page is hidden (another tab, minimised window).
pub fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Shows a notification if permission was granted.
pub fn show(title: &str, body: &str) {
    if permission() != "granted" {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    options.set_tag("wirechat");
    let _ = web_sys::Notification::new_with_options(title, &options);
}

/// Whether the user wants notifications of mentions (they do unless they said no).
pub fn mentions_wanted() -> bool {
    page::load(MENTIONS_KEY).as_deref() != Some("off")
}

/// Keeps the user's choice about notifications of mentions.
pub fn set_mentions_wanted(wanted: bool) {
    page::save(MENTIONS_KEY, if wanted { "on" } else { "off" });
}

/// Shows a notification if permission was granted; a click on it brings the tab to the
/// front and runs `on_click`. Notifications with the same `tag` replace each other.
pub fn show_with_click(title: &str, body: &str, tag: &str, on_click: impl FnOnce() + 'static) {
    if permission() != "granted" {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    options.set_tag(tag);
    let Ok(notification) = web_sys::Notification::new_with_options(title, &options) else {
        return;
    };
    let shown = notification.clone();
    let click = Closure::once_into_js(move || {
        if let Some(window) = web_sys::window() {
            let _ = window.focus();
        }
        on_click();
        shown.close();
    });
    notification.set_onclick(Some(click.unchecked_ref()));
}
