//! The settings form: server, room, name and subprotocols, checked before they are saved.

use crate::config::{
    check_protocol, check_server_url, parse_protocol_list, ClientConfig, ConfigError, ConfigFile,
    ServerSetting,
};
use crate::dom_id::unique_id;
use crate::glue::page;
use crate::i18n::{use_lang, Tr};
use leptos::html;
use leptos::prelude::*;
use wirechat_protocol::{check_display_name, check_room_name};

/// Server, room, name and subprotocols, checked before they are saved.
#[component]
pub fn SettingsPanel(
    /// The settings in force.
    current: Signal<ClientConfig>,
    /// Called with checked settings to save and apply.
    on_save: Callback<ConfigFile>,
    /// Called when the user closes the panel without saving.
    on_close: Callback<()>,
    /// The name the server signed this user in as, once it has said so.
    #[prop(optional, into)]
    signed_in_as: Signal<Option<String>>,
) -> impl IntoView {
    let now = current.get_untracked();
    // The server takes a signed-in user's name from the token and ignores any other.
    let signed_in = now.sign_in.is_some();
    let kept_name = now.name.clone();
    let server = NodeRef::<html::Input>::new();
    let room = NodeRef::<html::Input>::new();
    let name = NodeRef::<html::Input>::new();
    let protocols = NodeRef::<html::Input>::new();
    let lang = use_lang();
    let (error, set_error) = signal(None::<ConfigError>);
    let value = |input: NodeRef<html::Input>| {
        input
            .get_untracked()
            .map(|el| el.value().trim().to_owned())
            .unwrap_or_default()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let origin = page::page_origin();
        let settings = ConfigFile {
            server: Some(origin.resolve(&value(server)).into()),
            room: Some(value(room)),
            // A signed-in user's name is not theirs to set: keep the guest name saved before.
            name: if signed_in {
                kept_name.clone()
            } else {
                Some(value(name))
            },
            protocols: Some(parse_protocol_list(&value(protocols))),
            // Sign-in comes from the site's config.json, not from this form.
            ..ConfigFile::default()
        };
        let checked = check_server_url(
            &origin,
            settings.server.as_ref().map_or("", ServerSetting::first),
        )
        .and_then(|()| {
            check_room_name(settings.room.as_deref().unwrap_or_default())
                .map_err(ConfigError::BadRoom)
        })
        .and_then(|()| match &settings.name {
            Some(name) if !signed_in => check_display_name(name).map_err(ConfigError::BadName),
            _ => Ok(()),
        })
        .and_then(|()| {
            settings
                .protocols
                .iter()
                .flatten()
                .try_for_each(|p| check_protocol(p))
        });
        match checked {
            Ok(()) => {
                set_error.set(None);
                on_save.run(settings);
            }
            Err(reason) => set_error.set(Some(reason)),
        }
    };
    view! {
        <div class="settings-backdrop">
            <form class="settings" aria-label=move || Tr::settings(lang.get()) on:submit=submit>
                <h2>{move || Tr::settings(lang.get())}</h2>
                <label>
                    {move || Tr::server_field(lang.get())}
                    <input node_ref=server type="text" inputmode="url" spellcheck="false" value=now.server/>
                </label>
                <label>
                    {move || Tr::room_field(lang.get())}
                    <input node_ref=room type="text" value=now.room/>
                </label>
                {if signed_in {
                    let hint_id = unique_id("name-from-sign-in");
                    view! {
                        <label>
                            {move || Tr::your_name(lang.get())}
                            <input
                                node_ref=name
                                type="text"
                                readonly=true
                                aria-describedby=hint_id.clone()
                                prop:value=move || signed_in_as.get().unwrap_or_default()
                            />
                        </label>
                        <p class="hint" id=hint_id>{move || Tr::name_from_sign_in(lang.get())}</p>
                    }
                    .into_any()
                } else {
                    view! {
                        <label>
                            {move || Tr::your_name(lang.get())}
                            <input node_ref=name type="text" autocomplete="nickname" value=now.name.clone().unwrap_or_default()/>
                        </label>
                    }
                    .into_any()
                }}
                <label>
                    {move || Tr::subprotocols_field(lang.get())}
                    <input node_ref=protocols type="text" spellcheck="false" value=now.protocols.join(", ")/>
                </label>
                <p class="error" role="alert">{move || error.get().map(|e| Tr::config_error(lang.get(), &e))}</p>
                <div class="settings-actions">
                    <button type="button" class="secondary" on:click=move |_| on_close.run(())>{move || Tr::cancel(lang.get())}</button>
                    <button type="submit">{move || Tr::save(lang.get())}</button>
                </div>
            </form>
        </div>
    }
}
