//! Writing a message: the textarea, Enter-to-send that respects IME composition, per-room
//! drafts and the length counter.

use crate::chat::ChatHandle;
use crate::dom_id::unique_id;
use crate::glue::page;
use crate::i18n::{use_lang, Tr};
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use std::collections::HashMap;

/// Windows and Chromium report this keyCode for keys pressed while an IME is composing.
const IME_PROCESS_KEY: u32 = 229;

/// Whether a keydown should send the message: plain Enter, and never while an IME is
/// composing. Safari fires `compositionend` before the Enter keydown that ends the
/// composition, so `isComposing` is already false there; keyCode 229 still tells.
pub fn is_send_key(key: &str, shift: bool, composing: bool, key_code: u32) -> bool {
    key == "Enter" && !shift && !composing && key_code != IME_PROCESS_KEY
}

/// localStorage key of the unsent drafts, one per room (JSON object).
const DRAFTS_KEY: &str = "wirechat.drafts";

/// From this share of the limit on, the composer shows how many bytes are used.
const COUNTER_FROM: f64 = 0.8;

/// The message textarea and Send button. Enter sends, Shift+Enter adds a line. Each room
/// keeps its own draft, also across reloads; the field grows with its text up to a limit.
#[component]
pub fn Composer() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let textarea = NodeRef::<html::Textarea>::new();
    let limit_id = unique_id("composer-limit");
    let (length, set_length) = signal(0usize);
    let max = move || chat.connection.with(|c| c.max_text);
    let too_long = move || length.get() > max();
    let near_limit = move || length.get() as f64 >= max() as f64 * COUNTER_FROM;
    let drafts = StoredValue::new(
        page::load(DRAFTS_KEY)
            .and_then(|t| serde_json::from_str::<HashMap<String, String>>(&t).ok())
            .unwrap_or_default(),
    );
    let keep_draft = move |room: &str, text: &str| {
        drafts.update_value(|d| {
            if text.is_empty() {
                d.remove(room);
            } else {
                d.insert(room.to_owned(), text.to_owned());
            }
            if let Ok(json) = serde_json::to_string(d) {
                page::save(DRAFTS_KEY, &json);
            }
        });
    };
    let fit = move |el: &web_sys::HtmlTextAreaElement| {
        let text = el.value();
        set_length.set(text.len());
        // Grow with the text; the stylesheet's max-height caps it and then it scrolls.
        let style = web_sys::HtmlElement::style(el);
        if text.is_empty() {
            // Back to one row, without asking the browser to lay out the page now.
            let _ = style.remove_property("height");
            return;
        }
        let _ = style.set_property("height", "auto");
        // scrollHeight leaves out the borders that border-box sizing counts.
        let borders = web_sys::HtmlElement::offset_height(el) - el.client_height();
        let _ = style.set_property("height", &format!("{}px", el.scroll_height() + borders));
    };

    // Switching rooms puts the old room's text away and brings the new room's back.
    Effect::new(move |previous: Option<String>| {
        let room = chat.room.get();
        if let Some(el) = textarea.get() {
            if let Some(previous) = previous.filter(|p| *p != room) {
                keep_draft(&previous, &el.value());
            }
            el.set_value(&drafts.with_value(|d| d.get(&room).cloned().unwrap_or_default()));
            fit(&el);
        }
        room
    });

    let submit = move || {
        let Some(el) = textarea.get_untracked() else {
            return;
        };
        if chat.send(&el.value()) {
            el.set_value("");
            keep_draft(&chat.room.get_untracked(), "");
            fit(&el);
        }
        let _ = el.focus();
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if is_send_key(&ev.key(), ev.shift_key(), ev.is_composing(), ev.key_code()) {
            ev.prevent_default();
            submit();
        }
    };
    let on_input = move |_| {
        if let Some(el) = textarea.get_untracked() {
            fit(&el);
            keep_draft(&chat.room.get_untracked(), &el.value());
        }
        chat.notify_typing();
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <textarea
                node_ref=textarea
                aria-label=move || Tr::message(lang.get())
                aria-describedby=limit_id.clone()
                placeholder=move || Tr::write_a_message(lang.get())
                rows="1"
                on:keydown=on_keydown
                on:input=on_input
            ></textarea>
            <button type="submit" disabled=too_long>{move || Tr::send(lang.get())}</button>
            <p id=limit_id class="composer-limit" class:over=too_long aria-live="polite">
                {move || {
                    let lang = lang.get();
                    if too_long() {
                        Tr::too_long(lang, length.get(), max())
                    } else if near_limit() {
                        format!("{} / {}", length.get(), max())
                    } else {
                        String::new()
                    }
                }}
            </p>
        </form>
    }
}
