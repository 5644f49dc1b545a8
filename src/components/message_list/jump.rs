//! Jumps to one message, whoever asks (a search result, a reply's quote, a link to a
//! message): the chat is told which one ([`ChatHandle::show_message`]), and once the room
//! holds it the scroller shows it. Until then older history is loaded: down to its number
//! when that is known, else page by page until it turns up or the room's beginning does.

use super::scroller::Scroller;
use crate::chat::{ChatHandle, Lookup};
use leptos::prelude::*;

/// Carries out every request to show a message; `not_found` turns true when the room does
/// not hold the message asked for, from its beginning on, and false at the next request.
pub fn show_requested_messages(chat: ChatHandle, scroller: Scroller, not_found: RwSignal<bool>) {
    Effect::new(move |_| {
        chat.revision.track();
        let Some(wanted) = chat.shown_message.get() else {
            return;
        };
        if not_found.get_untracked() {
            not_found.set(false);
        }
        match chat.look_for(&wanted.id, wanted.seq.is_some()) {
            Lookup::Held => {
                chat.shown_message.set(None);
                scroller.show(wanted.id);
            }
            Lookup::Coming => {}
            Lookup::Older => chat.load_older(),
            Lookup::Missing => {
                chat.shown_message.set(None);
                not_found.set(true);
            }
        }
    });
}
