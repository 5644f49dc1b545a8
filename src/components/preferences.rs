//! The app's preferences in the sidebar: language, theme, desktop notifications and
//! whether mentions notify.

use crate::app::AppChrome;
use crate::glue::notify;
use crate::i18n::{use_lang, Lang, Tr};
use leptos::prelude::*;

/// Language, theme and notifications, for the app (not shown when embedded).
#[component]
pub fn Preferences() -> impl IntoView {
    let Some(chrome) = use_context::<AppChrome>() else {
        return ().into_any();
    };
    let lang = use_lang();
    let (permission, set_permission) = signal(notify::permission());
    let (mentions_wanted, set_mentions_wanted) = signal(notify::mentions_wanted());
    // On only when the browser lets it be: pressing it asks for permission, from this
    // click and never on load.
    let notifies_mentions = move || mentions_wanted.get() && permission.get() == "granted";
    let toggle_mentions = move |_| {
        if notifies_mentions() {
            notify::set_mentions_wanted(false);
            set_mentions_wanted.set(false);
            return;
        }
        notify::set_mentions_wanted(true);
        set_mentions_wanted.set(true);
        if permission.get_untracked() == "default" {
            notify::request(move |answer| set_permission.set(answer));
        }
    };
    let choose_lang = move |ev: leptos::ev::Event| {
        let picked = Lang::ALL
            .into_iter()
            .find(|l| l.tag() == event_target_value(&ev))
            .unwrap_or_default();
        chrome.lang.set(picked);
    };
    view! {
        <div class="preferences">
            <label class="pref">
                <span>{move || Tr::language(lang.get())}</span>
                <select on:change=choose_lang prop:value=move || lang.get().tag()>
                    {Lang::ALL.into_iter().map(|l| view! {
                        <option value=l.tag() selected=move || lang.get() == l>{l.native_name()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button
                type="button"
                class="secondary pref-button"
                aria-pressed=move || (chrome.theme.get() == crate::glue::prefs::Theme::Dark).to_string()
                on:click=move |_| chrome.theme.update(|t| *t = t.toggled())
            >
                {move || Tr::dark_theme(lang.get())}
            </button>
            <button
                type="button"
                class="secondary pref-button"
                aria-pressed=move || notifies_mentions().to_string()
                disabled=move || permission.get() == "denied"
                on:click=toggle_mentions
            >
                {move || Tr::notify_mentions(lang.get())}
            </button>
            <Show when=move || permission.get() == "default">
                <button
                    type="button"
                    class="secondary pref-button"
                    on:click=move |_| notify::request(move |answer| set_permission.set(answer))
                >
                    {move || Tr::enable_notifications(lang.get())}
                </button>
            </Show>
        </div>
    }
    .into_any()
}
