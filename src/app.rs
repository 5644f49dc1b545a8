//! The root component: configuration → name → chat room, with in-app settings.

use crate::chat::ChatOptions;
use crate::components::{ChatRoom, NamePrompt, SettingsPanel};
use crate::config::{merge, parse_config_file, ClientConfig, ConfigFile, QueryOverrides};
use crate::glue::page;
use leptos::prelude::*;

/// Opens the settings panel; provided by [`App`], absent when the chat is embedded.
#[derive(Clone, Copy)]
pub struct SettingsToggle(pub RwSignal<bool>);

/// The whole app as deployed: reads `config.json`, saved settings and the URL, asks for a
/// name if needed.
#[component]
pub fn App() -> impl IntoView {
    let (loaded, set_loaded) = signal(None::<Result<(ConfigFile, ClientConfig), String>>);
    leptos::task::spawn_local(async move {
        let result = match fetch_config_file().await {
            Ok(file) => merge(
                &page::page_origin(),
                file.clone(),
                page::saved_settings(),
                page::query_overrides(),
            )
            .map(|config| (file, config)),
            Err(reason) => Err(reason),
        };
        set_loaded.set(Some(result));
    });
    view! {
        <main class="app">
            {move || match loaded.get() {
                None => view! { <p class="loading" role="status">"Connecting…"</p> }.into_any(),
                Some(Err(reason)) => view! { <ConfigProblem reason/> }.into_any(),
                Some(Ok((file, config))) => view! { <Configured file config/> }.into_any(),
            }}
        </main>
    }
}

/// Why the chat cannot start, and a way out when saved settings are the cause.
#[component]
fn ConfigProblem(reason: String) -> impl IntoView {
    let reset = move |_| {
        page::forget(page::SETTINGS_KEY);
        page::drop_query_overrides();
        let _ = window().location().reload();
    };
    view! {
        <div class="config-error" role="alert">
            <h1>"This chat cannot start"</h1>
            <p>{reason}</p>
            <button type="button" on:click=reset>"Reset settings"</button>
        </div>
    }
}

#[component]
fn Configured(file: ConfigFile, config: ClientConfig) -> impl IntoView {
    let config = RwSignal::new(config);
    let settings_open = RwSignal::new(false);
    provide_context(SettingsToggle(settings_open));

    let save = Callback::new(move |saved: ConfigFile| {
        // The form was checked against the same merge; a saved value now beats the URL.
        match merge(
            &page::page_origin(),
            file.clone(),
            saved.clone(),
            QueryOverrides::default(),
        ) {
            Ok(next) => {
                page::save_settings(&saved);
                page::drop_query_overrides();
                settings_open.set(false);
                config.set(next);
            }
            Err(reason) => leptos::logging::warn!("settings refused: {reason}"),
        }
    });
    let name_chosen = Callback::new(move |name: String| {
        let mut saved = page::saved_settings();
        saved.name = Some(name.clone());
        page::save_settings(&saved);
        config.update(|c| c.name = Some(name));
    });

    view! {
        {move || {
            let current = config.get();
            match current.name.clone() {
                None => view! { <NamePrompt on_done=name_chosen/> }.into_any(),
                Some(name) => {
                    let mut options = ChatOptions::new(current.server.clone(), current.room.clone(), name);
                    options.protocols = current.protocols.clone();
                    view! { <ChatRoom options/> }.into_any()
                }
            }
        }}
        <Show when=move || settings_open.get()>
            <SettingsPanel current=config.into() on_save=save on_close=Callback::new(move |_| settings_open.set(false))/>
        </Show>
    }
}

/// `config.json` beside `index.html`; a missing file means "use the defaults".
async fn fetch_config_file() -> Result<ConfigFile, String> {
    let response = gloo_net::http::Request::get("config.json")
        .send()
        .await
        .map_err(|err| format!("config.json could not be loaded: {err}"))?;
    if response.status() == 404 {
        return Ok(ConfigFile::default());
    }
    if !response.ok() {
        return Err(format!(
            "config.json could not be loaded: HTTP {}",
            response.status()
        ));
    }
    let text = response
        .text()
        .await
        .map_err(|err| format!("config.json could not be read: {err}"))?;
    parse_config_file(&text)
}
