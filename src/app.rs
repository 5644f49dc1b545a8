//! The root component: configuration → name → chat room.

use crate::chat::ChatOptions;
use crate::components::{ChatRoom, NamePrompt};
use crate::config::{merge, parse_config_file, ClientConfig, ConfigFile};
use crate::glue::page::{self, NAME_KEY};
use leptos::prelude::*;

/// The whole app as deployed: reads `config.json` and the URL, asks for a name if needed.
#[component]
pub fn App() -> impl IntoView {
    let (config, set_config) = signal(None::<Result<ClientConfig, String>>);
    leptos::task::spawn_local(async move {
        set_config.set(Some(load_config().await));
    });
    view! {
        <main class="app">
            {move || match config.get() {
                None => view! { <p class="loading" role="status">"Connecting…"</p> }.into_any(),
                Some(Err(reason)) => view! {
                    <div class="config-error" role="alert">
                        <h1>"This chat cannot start"</h1>
                        <p>{reason}</p>
                    </div>
                }.into_any(),
                Some(Ok(config)) => view! { <Configured config/> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn Configured(config: ClientConfig) -> impl IntoView {
    let (name, set_name) = signal(config.name.clone());
    let on_done = Callback::new(move |chosen: String| {
        page::save(NAME_KEY, &chosen);
        set_name.set(Some(chosen));
    });
    move || match name.get() {
        None => view! { <NamePrompt on_done/> }.into_any(),
        Some(name) => {
            let mut options = ChatOptions::new(config.server.clone(), config.room.clone(), name);
            options.protocols = config.protocols.clone();
            view! { <ChatRoom options/> }.into_any()
        }
    }
}

async fn load_config() -> Result<ClientConfig, String> {
    let file = fetch_config_file().await?;
    merge(
        &page::page_origin(),
        file,
        page::query_overrides(),
        page::load(NAME_KEY),
    )
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
