//! The opening handshake under Connection details: the subprotocols offered and the one
//! negotiated, and the handshake the server reported in `hello`, checked in the browser.

use crate::chat::ChatHandle;
use crate::glue::handshake::{use_handshake_check, HandshakeCheck};
use crate::i18n::{use_lang, Lang, Tr};
use leptos::prelude::*;

/// Rows of the details' `<dl>`: subprotocols requested and negotiated, whether the
/// handshake the server reported checks out (RFC 6455 §1.3), and its key and accept value.
#[component]
pub fn HandshakeDetails() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let requested = move || {
        chat.requested_protocols.with(|offered| {
            if offered.is_empty() {
                Tr::none(lang.get()).to_owned()
            } else {
                offered.join(", ")
            }
        })
    };
    let negotiated = move || {
        chat.connection.with(|c| {
            if c.protocol.is_empty() {
                Tr::none(lang.get()).to_owned()
            } else {
                c.protocol.clone()
            }
        })
    };
    let reported = Memo::new(move |_| chat.connection.with(|c| c.handshake.clone()));
    // Before the hello (or the wait that shows a relay sends none) there is nothing to say.
    let settled = Memo::new(move |_| chat.connection.with(|c| c.full_server || c.relay));
    let verdict = use_handshake_check(reported);
    let verdict_text = move || {
        let lang = lang.get();
        if !settled.get() {
            return Tr::unknown_yet(lang);
        }
        verdict.get().map_or(Tr::handshake_checking(lang), |found| {
            verdict_label(found, lang)
        })
    };
    let reported_field = move |field: fn(&wirechat_protocol::Handshake) -> &String| {
        move || reported.with(|h| h.as_ref().map(|h| field(h).clone()))
    };
    view! {
        <dt>{move || Tr::subprotocols_requested(lang.get())}</dt>
        <dd data-testid="subprotocols-requested">{requested}</dd>
        <dt>{move || Tr::subprotocol(lang.get())}</dt>
        <dd data-testid="subprotocol">{negotiated}</dd>
        <dt>{move || Tr::handshake(lang.get())}</dt>
        <dd data-testid="handshake" aria-live="polite">{verdict_text}</dd>
        <Show when=move || reported.with(Option::is_some)>
            <dt>"Sec-WebSocket-Key"</dt>
            <dd data-testid="handshake-key">{reported_field(|h| &h.key)}</dd>
            <dt>"Sec-WebSocket-Accept"</dt>
            <dd data-testid="handshake-accept">{reported_field(|h| &h.accept)}</dd>
        </Show>
    }
}

fn verdict_label(found: HandshakeCheck, lang: Lang) -> &'static str {
    match found {
        HandshakeCheck::Verified => Tr::handshake_verified(lang),
        HandshakeCheck::Mismatch => Tr::handshake_mismatch(lang),
        HandshakeCheck::NotReported => Tr::handshake_not_reported(lang),
        HandshakeCheck::Unavailable => Tr::handshake_unavailable(lang),
    }
}
