//! Who is in the room: the online list and the typing line.

use crate::chat::ChatHandle;
use crate::components::Avatar;
use crate::dom_id::unique_id;
use crate::i18n::{use_lang, Part, Tr};
use leptos::either::Either;
use leptos::prelude::*;

/// Who is online in the room.
#[component]
pub fn People() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let label_id = unique_id("online-label");
    view! {
        <div class="people">
            <span class="people-label" id=label_id.clone()>{move || Tr::online(lang.get())}</span>
            <ul class="people-list" aria-labelledby=label_id>
                // Rebuilt in place rather than keyed with `<For>`: the rows hold nothing to
                // keep (no focus, no input), and one keyed list less is smaller wasm.
                {move || {
                    chat.online
                        .get()
                        .into_iter()
                        .map(|name| view! {
                            <li class="person"><Avatar name=name.clone()/><bdi class="person-name">{name}</bdi></li>
                        })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}

/// "alice is typing…", summarised when several people type.
#[component]
pub fn TypingIndicator() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let parts = move || {
        Tr::typing_parts(lang.get(), &chat.typing.get())
            .into_iter()
            .map(|part| match part {
                Part::Text(text) => Either::Left(text),
                // Isolated: bidi controls in one name must not reorder the sentence.
                Part::Name(name) => Either::Right(view! { <bdi>{name}</bdi> }),
            })
            .collect_view()
    };
    view! { <p class="typing" aria-live="polite">{parts}</p> }
}
