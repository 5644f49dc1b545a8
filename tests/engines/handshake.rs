//! The check of the opening handshake a server reports in `hello`: the browser's SHA-1
//! recomputes the accept value as RFC 6455 §1.3 says.

use wasm_bindgen_test::*;
use wirechat::glue::handshake::{accept_for, check, HandshakeCheck};
use wirechat_protocol::Handshake;

/// The example of RFC 6455 §1.3.
const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn reported(key: &str, accept: &str) -> Option<Handshake> {
    Some(Handshake {
        key: key.into(),
        accept: accept.into(),
    })
}

#[wasm_bindgen_test]
async fn the_rfc_example_key_gives_the_rfc_accept_value() {
    assert_eq!(accept_for(RFC_KEY).await.unwrap(), RFC_ACCEPT);
}

#[wasm_bindgen_test]
async fn the_rfc_example_is_verified() {
    assert_eq!(
        check(reported(RFC_KEY, RFC_ACCEPT)).await,
        HandshakeCheck::Verified
    );
}

#[wasm_bindgen_test]
async fn an_accept_value_for_another_key_does_not_match() {
    // A right accept value, but for another key than the one reported.
    let other = accept_for("x3JJHMbDL1EzLkh9GBhXDw==").await.unwrap();
    assert_eq!(other, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    assert_eq!(
        check(reported(RFC_KEY, &other)).await,
        HandshakeCheck::Mismatch
    );
    // The key itself is no accept value, nor is an empty one.
    assert_eq!(
        check(reported(RFC_KEY, RFC_KEY)).await,
        HandshakeCheck::Mismatch
    );
    assert_eq!(check(reported(RFC_KEY, "")).await, HandshakeCheck::Mismatch);
}

#[wasm_bindgen_test]
async fn a_hello_without_a_handshake_is_not_reported() {
    assert_eq!(check(None).await, HandshakeCheck::NotReported);
}
