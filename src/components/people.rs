use crate::chat::ChatHandle;
use leptos::prelude::*;

/// Who is online in the room.
#[component]
pub fn People() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    view! {
        <div class="people">
            <span class="people-label" id="online-label">"Online"</span>
            <ul class="people-list" aria-labelledby="online-label">
                <For
                    each=move || chat.online.get()
                    key=|name| name.clone()
                    children=move |name| view! { <li class="person">{name}</li> }
                />
            </ul>
        </div>
    }
}

/// "alice is typing…", summarised when several people type.
#[component]
pub fn TypingIndicator() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let text = move || typing_sentence(&chat.typing.get());
    view! { <p class="typing" aria-live="polite">{text}</p> }
}

/// The sentence for a list of typists (empty when nobody types).
pub fn typing_sentence(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("{one} is typing…"),
        [a, b] => format!("{a} and {b} are typing…"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} others are typing…", rest.len()),
    }
}
