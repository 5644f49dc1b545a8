//! The root component: configuration → name → chat room, with in-app settings.

use crate::chat::{ChatHandle, ChatOptions};
use crate::components::{notify_of_mentions, ChatRoom, NamePrompt, SettingsPanel};
use crate::config::{
    linked_server_to_confirm, merge, parse_config_file, ClientConfig, ConfigError, ConfigFile,
    QueryOverrides, SignInSource,
};
use crate::dom_id::unique_id;
use crate::glue::notify;
use crate::glue::page;
use crate::glue::prefs::{self, Theme};
use crate::glue::token;
use crate::i18n::{use_lang, Lang, Tr};
use leptos::prelude::*;
use wirechat_protocol::check_room_name;

/// What the deployed app adds around an embedded chat: the settings panel, the language
/// and the theme. Provided by [`App`]; absent when the chat is embedded elsewhere.
#[derive(Clone, Copy)]
pub struct AppChrome {
    /// Whether the settings panel is open.
    pub settings_open: RwSignal<bool>,
    /// The UI language.
    pub lang: RwSignal<Lang>,
    /// The colour theme.
    pub theme: RwSignal<Theme>,
}

/// localStorage key of the joined rooms (JSON list), so they survive a reload.
const ROOMS_KEY: &str = "wirechat.rooms";

/// The whole app as deployed: reads `config.json`, saved settings and the URL, asks for a
/// name if needed.
#[component]
pub fn App() -> impl IntoView {
    let lang = RwSignal::new(prefs::initial_lang());
    let theme = RwSignal::new(prefs::initial_theme());
    // The first run applies what was found; later runs are the user's choice and are kept.
    Effect::new(move |ran: Option<()>| prefs::apply_lang(lang.get(), ran.is_some()));
    Effect::new(move |ran: Option<()>| prefs::apply_theme(theme.get(), ran.is_some()));
    provide_context::<Signal<Lang>>(lang.into());
    let chrome = AppChrome {
        settings_open: RwSignal::new(false),
        lang,
        theme,
    };
    provide_context(chrome);
    let (loaded, set_loaded) = signal(None::<Result<(ConfigFile, ClientConfig), ConfigError>>);
    // A server named by the link rather than configured, waiting for the reader's consent.
    let linked_server = RwSignal::new(None::<String>);
    let file = StoredValue::new(ConfigFile::default());
    leptos::task::spawn_local(async move {
        // A link's sign-in is never used; take the token out of the address bar and history.
        page::drop_query_keys(&["token", "token_url"]);
        let query = page::query_overrides();
        let result = match fetch_config_file().await {
            Ok(found) => {
                file.set_value(found.clone());
                let saved = page::saved_settings();
                let page = page::page_origin();
                linked_server.set(linked_server_to_confirm(&page, &found, &saved, &query));
                merge(&page, found.clone(), saved, query).map(|config| (found, config))
            }
            Err(reason) => Err(reason),
        };
        set_loaded.set(Some(result));
    });
    let refuse_linked_server = Callback::new(move |()| {
        page::drop_query_keys(&["server"]);
        let query = QueryOverrides {
            server: None,
            ..page::query_overrides()
        };
        let found = file.get_value();
        let result = merge(
            &page::page_origin(),
            found.clone(),
            page::saved_settings(),
            query,
        )
        .map(|config| (found, config));
        linked_server.set(None);
        set_loaded.set(Some(result));
    });
    view! {
        <main class="app">
            {move || match (loaded.get(), linked_server.get()) {
                (None, _) => view! { <p class="loading" role="status">{move || Tr::connecting(lang.get())}</p> }.into_any(),
                (Some(Err(reason)), _) => view! { <ConfigProblem reason/> }.into_any(),
                (Some(Ok(_)), Some(host)) => view! {
                    <LinkedServerConsent
                        host
                        on_connect=Callback::new(move |()| linked_server.set(None))
                        on_cancel=refuse_linked_server
                    />
                }
                .into_any(),
                (Some(Ok((file, config))), None) => view! { <Configured file config/> }.into_any(),
            }}
        </main>
    }
}

/// Asks before connecting to a server that a link named instead of the configured one.
#[component]
fn LinkedServerConsent(
    /// The host the link points to.
    host: String,
    /// The reader agrees: connect there.
    on_connect: Callback<()>,
    /// The reader refuses: use the configured server.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let title_id = unique_id("linked-server-title");
    view! {
        <div class="config-error linked-server" role="alertdialog" aria-labelledby=title_id.clone()>
            <h1 id=title_id.clone()>{move || Tr::connect_to(lang.get(), &host)}</h1>
            <p>{move || Tr::other_server_detail(lang.get())}</p>
            <div class="linked-server-actions">
                <button type="button" on:click=move |_| on_cancel.run(())>{move || Tr::cancel(lang.get())}</button>
                <button type="button" on:click=move |_| on_connect.run(())>{move || Tr::connect(lang.get())}</button>
            </div>
        </div>
    }
}

/// Why the chat cannot start, and a way out when saved settings are the cause.
#[component]
fn ConfigProblem(reason: ConfigError) -> impl IntoView {
    let reset = move |_| {
        page::forget(page::SETTINGS_KEY);
        page::drop_query_overrides();
        let _ = window().location().reload();
    };
    let lang = use_lang();
    view! {
        <div class="config-error" role="alert">
            <h1>{move || Tr::cannot_start(lang.get())}</h1>
            <p>{move || Tr::config_error(lang.get(), &reason)}</p>
            <button type="button" on:click=reset>{move || Tr::reset_settings(lang.get())}</button>
        </div>
    }
}

#[component]
fn Configured(file: ConfigFile, config: ClientConfig) -> impl IntoView {
    let config = RwSignal::new(config);
    let settings_open = expect_context::<AppChrome>().settings_open;
    let signed_in_as = RwSignal::new(None::<String>);

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
            Err(reason) => {
                leptos::logging::warn!("settings refused: {}", Tr::config_error(Lang::En, &reason))
            }
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
            // A signed-in user's name comes from the token: there is nothing to ask.
            let name = current.name.clone().or_else(|| current.sign_in.as_ref().map(|_| "guest".to_owned()));
            match name {
                None => view! { <NamePrompt on_done=name_chosen/> }.into_any(),
                Some(name) => {
                    let mut options = ChatOptions::new(current.server.clone(), current.room.clone(), name);
                    options.protocols = current.protocols.clone();
                    options.fallback_servers = current.fallback_servers.clone();
                    options.session.transports = current.transports.clone();
                    if let Some(seconds) = current.upgrade_check_seconds {
                        options.session.upgrade_every_ms = seconds.saturating_mul(1000);
                    }
                    options.token_provider = current.sign_in.clone().map(|source| match source {
                        SignInSource::Token(token) => token::fixed(token),
                        SignInSource::Url(url) => token::from_url(url),
                    });
                    options.other_rooms = saved_rooms()
                        .into_iter()
                        .filter(|r| *r != current.room && check_room_name(r).is_ok())
                        .collect();
                    view! { <ChatRoom options><PageSync/><ShareSignedInName shared=signed_in_as/></ChatRoom> }.into_any()
                }
            }
        }}
        <Show when=move || settings_open.get()>
            <SettingsPanel
                current=config.into()
                on_save=save
                on_close=Callback::new(move |_| settings_open.set(false))
                signed_in_as=signed_in_as
            />
        </Show>
    }
}

/// Copies the name the server signed this user in as out of the chat, for the settings
/// panel, which lives outside it.
#[component]
fn ShareSignedInName(
    /// Where the name goes; it keeps the last one while the connection is down.
    shared: RwSignal<Option<String>>,
) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    Effect::new(move |_| {
        if let Some(name) = chat.connection.with(|c| c.signed_in_as.clone()) {
            shared.set(Some(name));
        }
    });
}

fn saved_rooms() -> Vec<String> {
    page::load(ROOMS_KEY)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Keeps the page in step with the chat: the current room in the address bar (so a link or
/// a reload lands in it), the unread total in the title, the joined rooms in localStorage,
/// and a desktop notification for news (and for mentions) while the tab is hidden.
#[component]
fn PageSync() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    notify_of_mentions();
    Effect::new(move |_| page::show_room_in_address_bar(&chat.room.get()));
    Effect::new(move |_| {
        let rooms: Vec<String> = chat
            .rooms
            .with(|r| r.iter().map(|r| r.name.clone()).collect());
        if let Ok(text) = serde_json::to_string(&rooms) {
            page::save(ROOMS_KEY, &text);
        }
    });
    Effect::new(move |_| {
        let unread: u32 = chat.rooms.with(|r| r.iter().map(|r| r.unread).sum());
        let mentioned = chat.rooms.with(|r| r.iter().any(|r| r.mentions > 0));
        let room = chat.room.get();
        let title = if unread > 0 {
            // "@" as on the room's badge: someone asked for the reader.
            let at = if mentioned { "@" } else { "" };
            format!("({at}{unread}) #{room} · wirechat")
        } else {
            format!("#{room} · wirechat")
        };
        document().set_title(&title);
    });
    // News while hidden: the room's count grew, or another room's unread count did.
    Effect::new(move |seen: Option<(usize, u32)>| {
        let count = chat.message_count.get();
        let unread: u32 = chat.rooms.with(|r| r.iter().map(|r| r.unread).sum());
        if let Some((seen_count, seen_unread)) = seen {
            if (count > seen_count || unread > seen_unread) && notify::page_hidden() {
                let latest = chat.messages_between(count.saturating_sub(1), count);
                let me = chat.name.get_untracked();
                // A mention has a notification of its own (`notify_of_mentions`).
                if let Some(msg) = latest.into_iter().find(|m| m.from != me && !m.mentions_you) {
                    let room = chat.room.get_untracked();
                    notify::show(
                        &Tr::new_message_from(lang.get_untracked(), &msg.from, &room),
                        &msg.text,
                    );
                }
            }
        }
        (count, unread)
    });
}

/// `config.json` beside `index.html`; a missing file means "use the defaults".
async fn fetch_config_file() -> Result<ConfigFile, ConfigError> {
    match crate::glue::http::get_text("config.json", false).await {
        Ok(Ok(text)) => parse_config_file(&text),
        Ok(Err(404)) => Ok(ConfigFile::default()),
        Ok(Err(status)) => Err(ConfigError::FileStatus(status)),
        Err(why) => Err(ConfigError::FileUnavailable(why)),
    }
}
