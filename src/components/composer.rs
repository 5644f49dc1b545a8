use crate::chat::ChatHandle;
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

/// Windows and Chromium report this keyCode for keys pressed while an IME is composing.
const IME_PROCESS_KEY: u32 = 229;

/// Whether a keydown should send the message: plain Enter, and never while an IME is
/// composing. Safari fires `compositionend` before the Enter keydown that ends the
/// composition, so `isComposing` is already false there; keyCode 229 still tells.
pub fn is_send_key(key: &str, shift: bool, composing: bool, key_code: u32) -> bool {
    key == "Enter" && !shift && !composing && key_code != IME_PROCESS_KEY
}

/// The message textarea and Send button. Enter sends, Shift+Enter adds a line.
#[component]
pub fn Composer() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let textarea = NodeRef::<html::Textarea>::new();
    let (length, set_length) = signal(0usize);
    let max = move || chat.connection.with(|c| c.max_text);
    let too_long = move || length.get() > max();

    let submit = move || {
        let Some(el) = textarea.get_untracked() else {
            return;
        };
        if chat.send(&el.value()) {
            el.set_value("");
            set_length.set(0);
        }
        let _ = el.focus();
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if is_send_key(&ev.key(), ev.shift_key(), ev.is_composing(), ev.key_code()) {
            ev.prevent_default();
            submit();
        }
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <textarea
                node_ref=textarea
                aria-label="Message"
                placeholder="Write a message…"
                rows="1"
                on:keydown=on_keydown
                on:input=move |ev| {
                    set_length.set(event_target_value(&ev).len());
                    chat.notify_typing();
                }
            ></textarea>
            <button type="submit" disabled=too_long>"Send"</button>
            <Show when=too_long>
                <p class="composer-limit" role="alert">
                    {move || format!("The message is {} bytes; this server accepts at most {}.", length.get(), max())}
                </p>
            </Show>
        </form>
    }
}
