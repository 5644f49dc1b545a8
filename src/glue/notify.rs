//! Desktop notifications for messages that arrive while the tab is hidden.

use wasm_bindgen::JsValue;

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
