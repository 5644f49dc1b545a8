//! Links to one message: the page's address with `#msg-<id>` (the id percent-encoded), as
//! the message menu copies it. Opening such a link, or changing the address's fragment to
//! one, asks for that message.

use leptos::ev;
use leptos::prelude::*;

/// What starts the fragment of a link to a message.
const PREFIX: &str = "#msg-";

/// A link to message `id` on the page shown now.
pub fn link_to(id: &str) -> String {
    let href = window().location().href().unwrap_or_default();
    let page = href.split('#').next().unwrap_or_default();
    let id: String = js_sys::encode_uri_component(id).into();
    [page, PREFIX, &id].concat()
}

/// The message the page's address links to, if any.
fn linked_message() -> Option<String> {
    let hash = window().location().hash().ok()?;
    let encoded = hash.strip_prefix(PREFIX)?;
    let id: String = js_sys::decode_uri_component(encoded).ok()?.into();
    (!id.is_empty()).then_some(id)
}

/// Calls `on_link` with the id of the linked message now (when the page was opened with a
/// link to one) and whenever the fragment changes to a link, until the calling owner is
/// cleaned up.
pub fn watch_linked_messages(on_link: impl Fn(String) + 'static) {
    if let Some(id) = linked_message() {
        on_link(id);
    }
    let listener =
        window_event_listener(ev::Custom::<web_sys::Event>::new("hashchange"), move |_| {
            if let Some(id) = linked_message() {
                on_link(id);
            }
        });
    on_cleanup(move || listener.remove());
}
