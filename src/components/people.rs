use crate::chat::ChatHandle;
use crate::components::Avatar;
use crate::i18n::{use_lang, Tr};
use leptos::prelude::*;

/// Who is online in the room.
#[component]
pub fn People() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    view! {
        <div class="people">
            <span class="people-label" id="online-label">{move || Tr::online(lang.get())}</span>
            <ul class="people-list" aria-labelledby="online-label">
                <For
                    each=move || chat.online.get()
                    key=|name| name.clone()
                    children=move |name| view! {
                        <li class="person"><Avatar name=name.clone()/><span class="person-name">{name}</span></li>
                    }
                />
            </ul>
        </div>
    }
}

/// "alice is typing…", summarised when several people type.
#[component]
pub fn TypingIndicator() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let text = move || Tr::typing(lang.get(), &chat.typing.get());
    view! { <p class="typing" aria-live="polite">{text}</p> }
}
