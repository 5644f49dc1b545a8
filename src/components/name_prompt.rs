//! The first screen of a new visitor: choosing a display name.

use crate::i18n::{use_lang, Tr};
use leptos::prelude::*;
use wirechat_protocol::{check_display_name, LabelProblem};

/// Asks for a display name once; `on_done` gets the accepted name.
#[component]
pub fn NamePrompt(
    /// Called with the chosen, valid name.
    on_done: Callback<String>,
) -> impl IntoView {
    let lang = use_lang();
    let (error, set_error) = signal(None::<LabelProblem>);
    let input = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = input
            .get_untracked()
            .map(|el| el.value())
            .unwrap_or_default();
        let name = name.trim().to_owned();
        match check_display_name(&name) {
            Ok(()) => on_done.run(name),
            Err(reason) => set_error.set(Some(reason)),
        }
    };
    view! {
        <form class="name-prompt" on:submit=submit>
            <h1>{move || Tr::welcome(lang.get())}</h1>
            <label>
                {move || Tr::your_name(lang.get())}
                <input node_ref=input type="text" autocomplete="nickname" maxlength="64" required autofocus/>
            </label>
            <button type="submit">{move || Tr::start_chatting(lang.get())}</button>
            <p class="error" role="alert">{move || error.get().map(|p| Tr::name_problem(lang.get(), p))}</p>
        </form>
    }
}
