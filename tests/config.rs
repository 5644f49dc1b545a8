//! Configuration merging, in the browser like the app itself.

#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;
use wirechat::config::*;

wasm_bindgen_test_configure!(run_in_browser);

fn http_page() -> PageOrigin {
    PageOrigin {
        protocol: "http:".into(),
        host: "chat.example:8080".into(),
    }
}

fn https_page() -> PageOrigin {
    PageOrigin {
        protocol: "https:".into(),
        host: "chat.example".into(),
    }
}

#[wasm_bindgen_test]
fn defaults_to_the_same_origin_ws_with_wss_on_https() {
    let c = merge(
        &http_page(),
        ConfigFile::default(),
        QueryOverrides::default(),
        None,
    )
    .unwrap();
    assert_eq!(c.server, "ws://chat.example:8080/ws");
    assert_eq!(c.room, "lobby");
    assert_eq!(c.name, None);
    let c = merge(
        &https_page(),
        ConfigFile::default(),
        QueryOverrides::default(),
        None,
    )
    .unwrap();
    assert_eq!(c.server, "wss://chat.example/ws");
}

#[wasm_bindgen_test]
fn the_query_overrides_the_file_and_the_file_the_defaults() {
    let file =
        parse_config_file(r#"{"server":"wss://a.example/chat","room":"ops","protocols":["chat"]}"#)
            .unwrap();
    let c = merge(
        &https_page(),
        file.clone(),
        QueryOverrides::default(),
        Some("kim".into()),
    )
    .unwrap();
    assert_eq!(
        (c.server.as_str(), c.room.as_str()),
        ("wss://a.example/chat", "ops")
    );
    assert_eq!(c.name.as_deref(), Some("kim"));
    assert_eq!(c.protocols, ["chat"]);
    let query = QueryOverrides {
        server: Some("wss://b.example/ws".into()),
        room: Some("dev".into()),
        name: Some("lee".into()),
    };
    let c = merge(&https_page(), file, query, Some("kim".into())).unwrap();
    assert_eq!(
        (c.server.as_str(), c.room.as_str()),
        ("wss://b.example/ws", "dev")
    );
    assert_eq!(c.name.as_deref(), Some("lee"));
}

#[wasm_bindgen_test]
fn bad_settings_get_clear_messages() {
    let bad_url = QueryOverrides {
        server: Some("ftp://nope".into()),
        ..Default::default()
    };
    let err = merge(&http_page(), ConfigFile::default(), bad_url, None).unwrap_err();
    assert!(err.contains("ws:// or wss://"), "{err}");
    let mixed = QueryOverrides {
        server: Some("ws://insecure.example/ws".into()),
        ..Default::default()
    };
    let err = merge(&https_page(), ConfigFile::default(), mixed, None).unwrap_err();
    assert!(err.contains("mixed content"), "{err}");
    let bad_room = QueryOverrides {
        room: Some(" ".into()),
        ..Default::default()
    };
    assert!(merge(&http_page(), ConfigFile::default(), bad_room, None).is_err());
    assert!(parse_config_file("{nope")
        .unwrap_err()
        .contains("config.json"));
}
