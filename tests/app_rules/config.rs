//! Configuration merging, in the browser like the app itself.

use wasm_bindgen_test::*;
use wirechat::config::*;
use wirechat::i18n::{Lang, Tr};
use wirechat_protocol::LabelProblem;

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
        ConfigFile::default(),
        QueryOverrides::default(),
    )
    .unwrap();
    assert_eq!(c.server, "ws://chat.example:8080/ws");
    assert_eq!(c.room, "lobby");
    assert_eq!(c.name, None);
    let c = merge(
        &https_page(),
        ConfigFile::default(),
        ConfigFile::default(),
        QueryOverrides::default(),
    )
    .unwrap();
    assert_eq!(c.server, "wss://chat.example/ws");
}

#[wasm_bindgen_test]
fn the_query_overrides_the_file_and_the_file_the_defaults() {
    let file =
        parse_config_file(r#"{"server":"wss://a.example/chat","room":"ops","protocols":["chat"]}"#)
            .unwrap();
    let saved_name = ConfigFile {
        name: Some("kim".into()),
        ..Default::default()
    };
    let c = merge(
        &https_page(),
        file.clone(),
        saved_name.clone(),
        QueryOverrides::default(),
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
    let c = merge(&https_page(), file, saved_name, query).unwrap();
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
    let err = merge(
        &http_page(),
        ConfigFile::default(),
        ConfigFile::default(),
        bad_url,
    )
    .unwrap_err();
    assert_eq!(err, ConfigError::NotWebSocket("ftp://nope".into()));
    assert!(Tr::config_error(Lang::En, &err).contains("ws:// or wss://"));
    let mixed = QueryOverrides {
        server: Some("ws://insecure.example/ws".into()),
        ..Default::default()
    };
    let err = merge(
        &https_page(),
        ConfigFile::default(),
        ConfigFile::default(),
        mixed,
    )
    .unwrap_err();
    assert_eq!(
        err,
        ConfigError::InsecureServer("ws://insecure.example/ws".into())
    );
    assert!(Tr::config_error(Lang::En, &err).contains("mixed content"));
    let bad_room = QueryOverrides {
        room: Some(" ".into()),
        ..Default::default()
    };
    assert_eq!(
        merge(
            &http_page(),
            ConfigFile::default(),
            ConfigFile::default(),
            bad_room
        ),
        Err(ConfigError::BadRoom(LabelProblem::Empty))
    );
    let err = parse_config_file("{nope").unwrap_err();
    assert!(matches!(err, ConfigError::FileInvalid(_)), "{err:?}");
    assert!(Tr::config_error(Lang::Ko, &err).contains("config.json"));
}

#[wasm_bindgen_test]
fn saved_settings_beat_the_file_and_the_url_beats_both() {
    let file = parse_config_file(
        r#"{"server":"wss://file.example/ws","room":"from-file","protocols":["chat"]}"#,
    )
    .unwrap();
    let saved = ConfigFile {
        server: Some("wss://saved.example/ws".into()),
        room: None,
        name: Some("kim".into()),
        protocols: Some(vec![]),
        ..ConfigFile::default()
    };
    let c = merge(
        &https_page(),
        file.clone(),
        saved.clone(),
        QueryOverrides::default(),
    )
    .unwrap();
    assert_eq!(c.server, "wss://saved.example/ws");
    assert_eq!(c.room, "from-file");
    assert!(
        c.protocols.is_empty(),
        "saved \"no subprotocols\" beats the file"
    );
    let query = QueryOverrides {
        room: Some("linked".into()),
        ..Default::default()
    };
    let c = merge(&https_page(), file, saved, query).unwrap();
    assert_eq!(
        (c.server.as_str(), c.room.as_str()),
        ("wss://saved.example/ws", "linked")
    );
}

#[wasm_bindgen_test]
fn subprotocols_must_be_tokens() {
    assert_eq!(
        parse_protocol_list(" chat, superchat ,,"),
        ["chat", "superchat"]
    );
    assert!(check_protocol("chat").is_ok());
    assert!(check_protocol("v1.chat_x-y").is_ok());
    for bad in ["", "two words", "a,b", "ünï", "x\"y"] {
        assert!(check_protocol(bad).is_err(), "{bad:?}");
    }
    let file = ConfigFile {
        protocols: Some(vec!["bad proto".into()]),
        ..Default::default()
    };
    let err = merge(
        &http_page(),
        file,
        ConfigFile::default(),
        QueryOverrides::default(),
    )
    .unwrap_err();
    assert_eq!(err, ConfigError::BadProtocol("bad proto".into()));
}

#[wasm_bindgen_test]
fn a_link_to_another_host_is_asked_about_and_the_configured_host_is_not() {
    let page = http_page();
    let linking = |server: &str| QueryOverrides {
        server: Some(server.into()),
        ..Default::default()
    };
    let none = ConfigFile::default();
    let file = ConfigFile {
        server: Some("wss://relay.example/chat".into()),
        ..Default::default()
    };
    let ask = |file: &ConfigFile, saved: &ConfigFile, query: &QueryOverrides| {
        linked_server_to_confirm(&page, file, saved, query)
    };
    assert_eq!(ask(&none, &none, &QueryOverrides::default()), None);
    assert_eq!(ask(&none, &none, &linking("/other")), None);
    assert_eq!(
        ask(&none, &none, &linking("ws://CHAT.example:9000/ws")),
        None
    );
    assert_eq!(
        ask(&none, &none, &linking("wss://chat.evil.example/ws")).as_deref(),
        Some("chat.evil.example")
    );
    assert_eq!(
        ask(&none, &none, &linking("ws://chat.example@evil.example/ws")).as_deref(),
        Some("evil.example")
    );
    assert_eq!(ask(&file, &none, &linking("wss://relay.example/x")), None);
    assert_eq!(
        ask(&file, &none, &linking("ws://chat.example/ws")).as_deref(),
        Some("chat.example")
    );
    let saved = ConfigFile {
        server: Some("wss://mine.example/ws".into()),
        ..Default::default()
    };
    assert_eq!(ask(&file, &saved, &linking("wss://mine.example/ws")), None);
}

/// Puts `query` in the address bar, as if the page had been opened from a link.
fn open_from_link(query: &str) {
    let window = web_sys::window().expect("a window");
    let path = window.location().pathname().expect("the page's path");
    window
        .history()
        .expect("history")
        .replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}")),
        )
        .expect("replace the address");
}

#[wasm_bindgen_test]
fn sign_in_comes_from_config_json_and_never_from_a_link() {
    let file = parse_config_file(r#"{"token":"file-token"}"#).unwrap();
    open_from_link("?room=lobby&token=link-token&token_url=%2Fother%2Ftoken");
    let from_link = wirechat::glue::page::query_overrides();
    open_from_link("");
    assert_eq!(
        from_link.room.as_deref(),
        Some("lobby"),
        "the link was read"
    );
    let c = merge(
        &https_page(),
        file,
        ConfigFile::default(),
        from_link.clone(),
    )
    .unwrap();
    assert_eq!(c.sign_in, Some(SignInSource::Token("file-token".into())));
    let url_file = parse_config_file(r#"{"token":"file-token","token_url":"/session/token"}"#);
    let c = merge(
        &https_page(),
        url_file.unwrap(),
        ConfigFile::default(),
        QueryOverrides::default(),
    )
    .unwrap();
    assert_eq!(c.sign_in, Some(SignInSource::Url("/session/token".into())));
    let guest = merge(
        &https_page(),
        ConfigFile::default(),
        ConfigFile::default(),
        from_link,
    )
    .unwrap();
    assert_eq!(guest.sign_in, None, "a link signs nobody in");
}

#[wasm_bindgen_test]
fn a_list_of_servers_gives_the_first_and_keeps_the_others_as_fallbacks() {
    let file = parse_config_file(
        r#"{"server":["wss://a.example/ws","/ws","wss://c.example/ws"],"room":"ops"}"#,
    )
    .unwrap();
    let c = merge(
        &https_page(),
        file.clone(),
        ConfigFile::default(),
        QueryOverrides::default(),
    )
    .unwrap();
    assert_eq!(c.server, "wss://a.example/ws");
    assert_eq!(
        c.fallback_servers,
        ["wss://chat.example/ws", "wss://c.example/ws"]
    );

    // The settings form saves the address shown: one of the list keeps the others.
    let saved = ConfigFile {
        server: Some("wss://c.example/ws".into()),
        ..ConfigFile::default()
    };
    let c = merge(
        &https_page(),
        file.clone(),
        saved,
        QueryOverrides::default(),
    )
    .unwrap();
    assert_eq!(c.server, "wss://c.example/ws");
    assert_eq!(
        c.fallback_servers,
        ["wss://a.example/ws", "wss://chat.example/ws"]
    );

    // A server of someone else's (a link) is used alone.
    let query = QueryOverrides {
        server: Some("wss://elsewhere.example/ws".into()),
        ..Default::default()
    };
    let c = merge(&https_page(), file.clone(), ConfigFile::default(), query).unwrap();
    assert_eq!(c.server, "wss://elsewhere.example/ws");
    assert!(c.fallback_servers.is_empty());

    // A single string is still a single server.
    let one = parse_config_file(r#"{"server":"wss://a.example/ws"}"#).unwrap();
    let c = merge(
        &https_page(),
        one,
        ConfigFile::default(),
        QueryOverrides::default(),
    )
    .unwrap();
    assert!(c.fallback_servers.is_empty());
}

#[wasm_bindgen_test]
fn every_server_of_the_list_is_checked() {
    let file =
        parse_config_file(r#"{"server":["wss://a.example/ws","ws://plain.example/ws"]}"#).unwrap();
    assert_eq!(
        merge(
            &https_page(),
            file,
            ConfigFile::default(),
            QueryOverrides::default()
        ),
        Err(ConfigError::InsecureServer("ws://plain.example/ws".into()))
    );
}

#[wasm_bindgen_test]
fn a_link_to_a_node_of_the_list_needs_no_consent_only_when_it_is_the_first_host() {
    // The consent is about one server: the configured (first) one.
    let file =
        parse_config_file(r#"{"server":["wss://a.example/ws","wss://b.example/ws"]}"#).unwrap();
    let query = QueryOverrides {
        server: Some("wss://a.example/other".into()),
        ..Default::default()
    };
    assert_eq!(
        linked_server_to_confirm(&https_page(), &file, &ConfigFile::default(), &query),
        None
    );
}
