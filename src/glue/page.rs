//! Small reads of the page: clock, randomness, location, localStorage.

use crate::config::{ConfigFile, PageOrigin, QueryOverrides};

/// Milliseconds since the Unix epoch, from the browser clock.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// Eight random bytes from `crypto.getRandomValues`, falling back to `Math.random`.
pub fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok())
        .unwrap_or(false);
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    u64::from_le_bytes(bytes)
}

/// A fresh message id: time-ordered prefix plus 64 random bits, unique across senders.
pub fn new_message_id() -> String {
    format!("m{:x}-{:016x}", now_ms(), random_u64())
}

/// The page's scheme and host.
pub fn page_origin() -> PageOrigin {
    let location = web_sys::window().map(|w| w.location());
    PageOrigin {
        protocol: location
            .as_ref()
            .and_then(|l| l.protocol().ok())
            .unwrap_or_else(|| "http:".into()),
        host: location
            .as_ref()
            .and_then(|l| l.host().ok())
            .unwrap_or_else(|| "localhost".into()),
    }
}

/// `server`, `room` and `name` from the page URL's query string.
pub fn query_overrides() -> QueryOverrides {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return QueryOverrides::default();
    };
    let get = |key: &str| params.get(key).filter(|v| !v.trim().is_empty());
    QueryOverrides {
        server: get("server"),
        room: get("room"),
        name: get("name"),
    }
}

/// Whether the browser believes it is online.
pub fn is_online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Reads a localStorage value; `None` when absent or storage is unavailable.
pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Writes a localStorage value. Storage may be full or disabled; the app goes on without it.
pub fn save(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// Removes a localStorage value.
pub fn forget(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// localStorage key of the settings saved in the app (JSON of [`ConfigFile`]).
pub const SETTINGS_KEY: &str = "wirechat.settings";

/// The settings saved in the app; unreadable JSON counts as none (and is replaced on save).
pub fn saved_settings() -> ConfigFile {
    load(SETTINGS_KEY)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Saves the app's settings.
pub fn save_settings(settings: &ConfigFile) {
    if let Ok(text) = serde_json::to_string(settings) {
        save(SETTINGS_KEY, &text);
    }
}

/// Puts `room` in the address bar's query (`?room=…`) without a new history entry.
pub fn show_room_in_address_bar(room: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(url) = window.location().href().and_then(|h| web_sys::Url::new(&h)) else {
        return;
    };
    if url.search_params().get("room").as_deref() == Some(room) {
        return;
    }
    url.search_params().set("room", room);
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
    }
}

/// Removes `server`, `room` and `name` from the address bar, so saved settings hold on reload.
pub fn drop_query_overrides() {
    drop_query_keys(&["server", "room", "name"]);
}

/// Removes `keys` from the address bar's query without a new history entry.
pub fn drop_query_keys(keys: &[&str]) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(href) = window.location().href() else {
        return;
    };
    let Ok(url) = web_sys::Url::new(&href) else {
        return;
    };
    let params = url.search_params();
    for key in keys {
        params.delete(key);
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
    }
}
