//! Writing a message: the textarea, Enter-to-send that respects IME composition, per-room
//! drafts and the length counter; replies and edits (Up arrow in an empty composer edits
//! the user's last message); `@` offers the room's members to mention.

use crate::chat::ChatHandle;
use crate::components::mention_picker::{mention_options, MentionPicker, PickerKey};
use crate::components::message_actions::{use_message_actions, Drafting};
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
    let actions = use_message_actions();
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

    // An edit starts from the message's text.
    Effect::new(move |_| {
        if let (Drafting::Edit { text, .. }, Some(el)) = (actions.drafting.get(), textarea.get()) {
            el.set_value(&text);
            fit(&el);
        }
    });
    let stop_drafting = move || {
        if let Drafting::Edit { .. } = actions.drafting.get_untracked() {
            if let Some(el) = textarea.get_untracked() {
                el.set_value("");
                fit(&el);
            }
        }
        actions.drafting.set(Drafting::New);
    };
    let picker = MentionPicker::new();
    let submit = move || {
        let Some(el) = textarea.get_untracked() else {
            return;
        };
        let text = el.value();
        let done = match actions.drafting.get_untracked() {
            Drafting::New => chat.send(&text),
            Drafting::Reply { id, .. } => chat.reply(&id, &text),
            Drafting::Edit { id, .. } => chat.edit(&id, &text),
        };
        if done {
            picker.close();
            el.set_value("");
            keep_draft(&chat.room.get_untracked(), "");
            fit(&el);
            actions.drafting.set(Drafting::New);
        }
        let _ = el.focus();
    };
    // Puts a chosen mention in the field, caret after it, as if typed.
    let put_mention = move |text: String, caret: u32| {
        if let Some(el) = textarea.get_untracked() {
            el.set_value(&text);
            let _ = el.set_selection_range(caret, caret);
            fit(&el);
            keep_draft(&chat.room.get_untracked(), &text);
            let _ = el.focus();
        }
    };
    let follow_caret = move || {
        if let Some(el) = textarea.get_untracked() {
            let caret = el.selection_end().ok().flatten().unwrap_or(0);
            picker.follow(
                &el.value(),
                caret,
                || chat.mentionable(),
                &chat.name.get_untracked(),
            );
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        let composing = ev.is_composing() || ev.key_code() == IME_PROCESS_KEY;
        let text = textarea
            .get_untracked()
            .map(|el| el.value())
            .unwrap_or_default();
        if !ev.shift_key()
            && picker.key(&ev.key(), composing, &text, put_mention) == PickerKey::Handled
        {
            // The list's key: Enter picks a member and never sends while it is open.
            ev.prevent_default();
            return;
        }
        if is_send_key(&ev.key(), ev.shift_key(), ev.is_composing(), ev.key_code()) {
            ev.prevent_default();
            submit();
        } else if ev.key() == "Escape" && actions.drafting.get_untracked() != Drafting::New {
            ev.prevent_default();
            stop_drafting();
        } else if ev.key() == "ArrowUp"
            && !ev.is_composing()
            && textarea
                .get_untracked()
                .is_some_and(|el| el.value().is_empty())
            && chat.connection.with_untracked(|c| c.actions)
        {
            if let Some(last) = chat.last_editable() {
                ev.prevent_default();
                actions.drafting.set(Drafting::Edit {
                    id: last.id,
                    text: last.text,
                });
            }
        }
    };
    let drafting_note = move || {
        let lang = lang.get();
        match actions.drafting.get() {
            Drafting::New => None,
            Drafting::Reply { from, text, .. } => Some(view! {
                <span>{Tr::replying_to(lang)}" "<bdi>{from}</bdi>": "<span class="draft-quote">{text}</span></span>
            }.into_any()),
            Drafting::Edit { .. } => Some(view! { <span>{Tr::editing_message(lang)}</span> }.into_any()),
        }
    };
    let on_input = move |_| {
        if let Some(el) = textarea.get_untracked() {
            fit(&el);
            keep_draft(&chat.room.get_untracked(), &el.value());
        }
        follow_caret();
        chat.notify_typing();
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <Show when=move || actions.drafting.with(|d| *d != Drafting::New)>
                <p class="drafting" role="status">
                    {drafting_note}
                    <button
                        type="button"
                        class="icon-button"
                        aria-label=move || Tr::cancel(lang.get())
                        on:click=move |_| stop_drafting()
                    >"×"</button>
                </p>
            </Show>
            <ActionErrorNote/>
            // The ARIA 1.1 combobox: the field inside stays the textbox named "Message".
            <div
                class="mention-field"
                role="combobox"
                aria-label=move || Tr::message(lang.get())
                aria-expanded=move || picker.is_open().to_string()
                aria-controls=picker.listbox_id()
            >
                <textarea
                    node_ref=textarea
                    aria-label=move || Tr::message(lang.get())
                    aria-describedby=limit_id.clone()
                    aria-autocomplete="list"
                    aria-controls=picker.listbox_id()
                    aria-activedescendant=move || picker.active_id()
                    placeholder=move || Tr::write_a_message(lang.get())
                    rows="1"
                    on:keydown=on_keydown
                    on:input=on_input
                    on:blur=move |_| picker.close()
                    // A caret moved away from the `@name` being typed closes the list.
                    on:click=move |_| follow_caret()
                    on:keyup=move |ev: KeyboardEvent| {
                        if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                            follow_caret();
                        }
                    }
                ></textarea>
                {mention_options(picker, move |i| {
                    let text = textarea.get_untracked().map(|el| el.value()).unwrap_or_default();
                    picker.pick(&text, i, put_mention);
                })}
            </div>
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

/// Says why the last action on a message did not happen.
#[component]
fn ActionErrorNote() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    move || {
        let refusal = chat
            .connection
            .with(|c| c.action_error.as_ref().map(|e| e.refusal))?;
        Some(
            view! { <p class="action-error" role="alert">{Tr::action_refused(lang.get(), refusal)}</p> },
        )
    }
}
