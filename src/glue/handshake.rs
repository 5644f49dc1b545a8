//! Checks the opening handshake a server reports in `hello`. RFC 6455 §1.3 derives the
//! `Sec-WebSocket-Accept` value from the key: the base64 of the SHA-1 of the key followed by
//! the protocol's GUID. The browser's own SHA-1 (SubtleCrypto) computes it, so the app ships
//! no hash code of its own.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wirechat_protocol::Handshake;

/// The GUID RFC 6455 appends to every key before hashing it.
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What checking a reported handshake found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeCheck {
    /// The accept value is the one the key calls for.
    Verified,
    /// The accept value is not the one the key calls for.
    Mismatch,
    /// The server reported no handshake: relays, other servers, and transports other than
    /// the WebSocket.
    NotReported,
    /// The page cannot compute SHA-1: browsers offer SubtleCrypto only to secure pages
    /// (HTTPS, or a loopback host).
    Unavailable,
}

/// The `Sec-WebSocket-Accept` value RFC 6455 derives from `key`.
pub async fn accept_for(key: &str) -> Result<String, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let keyed = [key, WEBSOCKET_GUID].concat();
    let digest = window
        .crypto()?
        .subtle()
        .digest_with_str_and_u8_array("SHA-1", keyed.as_bytes())?;
    let digest = js_sys::Uint8Array::new(&JsFuture::from(digest).await?).to_vec();
    // btoa encodes a "binary string": one character per byte.
    let binary: String = digest.into_iter().map(char::from).collect();
    window.btoa(&binary)
}

/// Checks `handshake`: whether its accept value is the one its key calls for.
pub async fn check(handshake: Option<Handshake>) -> HandshakeCheck {
    let Some(handshake) = handshake else {
        return HandshakeCheck::NotReported;
    };
    match accept_for(&handshake.key).await {
        Ok(accept) if accept == handshake.accept => HandshakeCheck::Verified,
        Ok(_) => HandshakeCheck::Mismatch,
        Err(_) => HandshakeCheck::Unavailable,
    }
}

/// The check of whatever handshake `reported` holds, kept up to date: `None` while the
/// digest is being computed.
pub fn use_handshake_check(
    reported: Memo<Option<Handshake>>,
) -> ReadSignal<Option<HandshakeCheck>> {
    let (found, set_found) = signal(None);
    // The digest is the browser's, and asynchronous: this effect starts it.
    Effect::new(move |_| {
        let handshake = reported.get();
        set_found.set(None);
        spawn_local(async move {
            let checked = check(handshake.clone()).await;
            // A check of a handshake since replaced by another says nothing about it, and
            // the details may be gone by now.
            if reported.try_with_untracked(|now| *now == handshake) == Some(true) {
                set_found.set(Some(checked));
            }
        });
    });
    found
}
