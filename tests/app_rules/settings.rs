//! The settings panel in the reader's language: a setting it refuses is explained in Korean
//! on a Korean page, not in English.

use crate::support::*;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wirechat::components::SettingsPanel;
use wirechat::config::{ClientConfig, ConfigFile, SignInSource};
use wirechat::i18n::Lang;

/// The panel's text fields in order: server, room, name, subprotocols.
fn fields(root: &web_sys::HtmlElement) -> Vec<web_sys::HtmlInputElement> {
    find_all(root, "form.settings input")
        .into_iter()
        .map(|el| el.unchecked_into())
        .collect()
}

/// Mounts the panel in `lang` on a fresh element for a user `name` in lobby on chat.example,
/// signed in by `sign_in` as `signed_in_as`; what it saves lands in `saved`.
async fn mount_panel(
    lang: Lang,
    name: &str,
    sign_in: Option<SignInSource>,
    saved: RwSignal<Option<ConfigFile>>,
    signed_in_as: RwSignal<Option<String>>,
) -> (web_sys::HtmlElement, Box<dyn std::any::Any>) {
    let root: web_sys::HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let current = ClientConfig {
        server: "ws://chat.example/ws".into(),
        fallback_servers: Vec::new(),
        room: "lobby".into(),
        name: Some(name.into()),
        protocols: Vec::new(),
        sign_in,
        transports: wirechat_session::TransportKind::ALL.to_vec(),
        upgrade_check_seconds: None,
    };
    let handle = leptos::mount::mount_to(root.clone(), move || {
        provide_context::<Signal<Lang>>(Signal::stored(lang));
        view! {
            <SettingsPanel
                current=Signal::stored(current.clone())
                on_save=Callback::new(move |file| saved.set(Some(file)))
                on_close=Callback::new(|()| {})
                signed_in_as=signed_in_as
            />
        }
    });
    wait_for(&root, "button[type=submit]").await;
    (root, Box::new(handle))
}

#[wasm_bindgen_test]
async fn a_refused_setting_is_explained_in_korean() {
    let saved = RwSignal::new(None);
    let (root, _handle) = mount_panel(Lang::Ko, "민준", None, saved, RwSignal::new(None)).await;
    let save = find_all(&root, "button[type=submit]").pop().unwrap();
    let error = || find(&root, r#"[role="alert"]"#).text_content().unwrap();

    fields(&root)[1].set_value("");
    save.click();
    wait_until("the empty room is refused", || {
        error() == "방 이름이 비어 있습니다."
    })
    .await;

    fields(&root)[1].set_value("lobby");
    fields(&root)[0].set_value("ftp://chat.example");
    save.click();
    let refusal = "서버 주소 \"ftp://chat.example\"은(는) WebSocket URL이 아닙니다: ws:// 또는 \
                   wss://로 시작해야 합니다.";
    wait_until("the address is refused", || error() == refusal).await;
    assert!(
        saved.with_untracked(Option::is_none),
        "refused settings are not saved"
    );
    root.remove();
}

/// The server ignores the name a signed-in user would type, so the panel shows the token's
/// name read-only and saving keeps the guest name saved before.
#[wasm_bindgen_test]
async fn a_signed_in_user_sees_the_tokens_name_and_cannot_change_it() {
    let saved = RwSignal::new(None);
    let signed_in_as = RwSignal::new(None);
    let token = Some(SignInSource::Token("a token".into()));
    let (root, _handle) = mount_panel(Lang::En, "old guest name", token, saved, signed_in_as).await;
    signed_in_as.set(Some("Alice".into()));
    let name = || fields(&root)[2].clone();
    wait_until("the token's name shows", || name().value() == "Alice").await;
    assert!(name().read_only(), "the name field is read-only");
    assert!(
        root.text_content()
            .unwrap()
            .contains("Your name comes from your sign-in"),
        "the panel says why"
    );

    name().set_value("Mallory");
    find_all(&root, "button[type=submit]")
        .pop()
        .unwrap()
        .click();
    wait_until("the settings are saved", || {
        saved.with_untracked(Option::is_some)
    })
    .await;
    let file = saved.get_untracked().unwrap();
    assert_eq!(file.name.as_deref(), Some("old guest name"));
    assert_eq!(file.room.as_deref(), Some("lobby"));
    root.remove();
}
