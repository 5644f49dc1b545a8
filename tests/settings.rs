//! The settings panel in the reader's language: a setting it refuses is explained in Korean
//! on a Korean page, not in English.

#![cfg(target_arch = "wasm32")]

mod support;

use leptos::prelude::*;
use support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wirechat::components::SettingsPanel;
use wirechat::config::ClientConfig;
use wirechat::i18n::Lang;

wasm_bindgen_test_configure!(run_in_browser);

/// The panel's text fields in order: server, room, name, subprotocols.
fn fields(root: &web_sys::HtmlElement) -> Vec<web_sys::HtmlInputElement> {
    find_all(root, "form.settings input")
        .into_iter()
        .map(|el| el.unchecked_into())
        .collect()
}

#[wasm_bindgen_test]
async fn a_refused_setting_is_explained_in_korean() {
    let root: web_sys::HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let saved = RwSignal::new(false);
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        provide_context::<Signal<Lang>>(Signal::stored(Lang::Ko));
        let current = ClientConfig {
            server: "ws://chat.example/ws".into(),
            room: "lobby".into(),
            name: Some("민준".into()),
            protocols: Vec::new(),
            sign_in: None,
        };
        view! {
            <SettingsPanel
                current=Signal::stored(current)
                on_save=Callback::new(move |_| saved.set(true))
                on_close=Callback::new(|()| {})
            />
        }
    });
    wait_for(&root, "button[type=submit]").await;
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
    assert!(!saved.get_untracked(), "refused settings are not saved");
    root.remove();
}
