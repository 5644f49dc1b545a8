//! The "new messages" line: where the reader left off when the room was opened.

use crate::i18n::{use_lang, Tr};
use leptos::prelude::*;

/// A separator above the first message that was unread when the room was opened. It comes
/// from the read position the server keeps, so it is at the same place after a reload and
/// on the user's other devices, and it stays put while the reader reads on.
#[component]
pub fn UnreadLine() -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="unread-line" role="separator" aria-label=move || Tr::unread_line(lang.get())>
            <span aria-hidden="true">{move || Tr::unread_line(lang.get())}</span>
        </div>
    }
}
