//! The handshake a WebSocket connection reports in `hello`: the `Sec-WebSocket-Key` the
//! upgrade request carried and the `Sec-WebSocket-Accept` answered to it. Pages cannot read
//! handshake headers, so this is how a browser client sees, and checks, the handshake it made.

use axum::http::header::SEC_WEBSOCKET_KEY;
use axum::http::HeaderMap;
use tungstenite::handshake::derive_accept_key;
use wirechat_protocol::Handshake;

/// The handshake of an upgrade request with these `headers`, or `None` when it carries no
/// readable key (axum refuses such an upgrade before a connection exists).
///
/// The accept value is derived from the key exactly as the upgrade answers it (RFC 6455
/// §4.2.2: SHA-1 of the key and the protocol's GUID, in base64), so it is the header the
/// client received.
pub(crate) fn handshake_of(headers: &HeaderMap) -> Option<Handshake> {
    let key = headers.get(SEC_WEBSOCKET_KEY)?;
    Some(Handshake {
        key: key.to_str().ok()?.to_owned(),
        accept: derive_accept_key(key.as_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_6455_sample_key_gives_the_rfc_accept_value() {
        let mut headers = HeaderMap::new();
        headers.insert(
            SEC_WEBSOCKET_KEY,
            "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap(),
        );
        let handshake = handshake_of(&headers).unwrap();
        assert_eq!(handshake.key, "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(handshake.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn no_key_no_handshake() {
        assert_eq!(handshake_of(&HeaderMap::new()), None);
    }
}
