//! The link figures under Connection details: frames and bytes both ways, reconnects, the
//! round trip of a ping, and the recent closes with what their codes mean.

use crate::support::*;
use wasm_bindgen_test::*;
use wirechat_protocol::{decode, encode, Frame, Ping};
use wirechat_session::BackoffConfig;

/// The hello of a server that answers pings.
const HELLO_PING: &str = r#"{"type":"hello","server":"test","epoch":"e1","features":["history","ack","presence","typing","ping"]}"#;

const MESSAGE: &str = r#"{"type":"msg","id":"b1","room":"lobby","from":"bob","text":"hi","ts":1700000000000,"seq":1}"#;

fn row(chat: &Mounted, testid: &str) -> String {
    find(&chat.root, &format!(r#"[data-testid="{testid}"]"#))
        .text_content()
        .unwrap()
}

fn visible_again() {
    let event = web_sys::Event::new("visibilitychange").unwrap();
    web_sys::window().unwrap().dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn connection_details_show_frames_bytes_reconnects_round_trip_and_closes() {
    let mut options = lobby_options();
    // Retry at once, and ping only when asked to, so every frame is one the test chose.
    options.session.backoff = BackoffConfig {
        initial_ms: 1,
        max_ms: 1,
    };
    options.session.ping_after_ms = 600_000;
    let chat = mount_chat_with(options).await;
    chat.server.push(MESSAGE);
    chat.server.drop_connection();
    wait_until("the chat connects again", || chat.server.connects() == 2).await;
    settle().await;
    chat.server.push(HELLO_PING);
    settle().await;

    visible_again();
    let ping = {
        let mut found = None;
        wait_until("a ping goes out", || {
            found = chat
                .server
                .sent()
                .iter()
                .find_map(|text| match decode(text) {
                    Ok(Frame::Ping(ping)) => Some(ping),
                    _ => None,
                });
            found.is_some()
        })
        .await;
        found.unwrap()
    };
    assert!(ping.ts.is_some(), "the ping carries its time");
    let pong = encode(&Frame::Pong(Ping { ts: ping.ts }));
    chat.server.push(&pong);
    settle().await;

    find(&chat.root, "details.devbar summary").click();
    settle().await;
    assert!(find(&chat.root, "details.devbar").has_attribute("open"));

    let received = [HELLO, MESSAGE, HELLO_PING, pong.as_str()];
    let sent = chat.server.sent();
    let bytes_in: usize = received.iter().map(|t| t.len()).sum();
    let bytes_out: usize = sent.iter().map(String::len).sum();
    assert_eq!(row(&chat, "frames-in-out"), format!("4 / {}", sent.len()));
    assert_eq!(
        row(&chat, "bytes-in-out"),
        format!("{bytes_in} / {bytes_out}")
    );
    assert_eq!(row(&chat, "reconnects"), "1");
    let round_trip = row(&chat, "round-trip");
    assert!(round_trip.ends_with(" ms"), "{round_trip}");
    assert_eq!(
        row(&chat, "recent-closes"),
        "1006 · lost without a close frame"
    );
}

/// Regression: a close code the protocol does not name read "4999 · code 4999", its number
/// twice. Its number is shown once, and what the page can say of it.
#[wasm_bindgen_test]
async fn a_close_code_without_a_name_shows_its_number_once() {
    let chat = mount_chat().await;
    chat.server.close(4999, "");
    settle().await;
    find(&chat.root, "details.devbar summary").click();
    settle().await;
    let closes = row(&chat, "recent-closes");
    assert_eq!(closes, "4999 · unknown code");
    assert_eq!(closes.matches("4999").count(), 1, "{closes}");
}

/// Every code the protocol names has its own meaning in both languages; others read as
/// "unknown code".
#[wasm_bindgen_test]
fn close_codes_have_meanings_in_both_languages() {
    use wirechat::i18n::{Lang, Tr};
    use wirechat_protocol::close_code::*;
    let named = [
        NORMAL,
        GOING_AWAY,
        PROTOCOL_ERROR,
        UNSUPPORTED_DATA,
        ABNORMAL,
        INVALID_DATA,
        POLICY,
        TOO_BIG,
        INTERNAL_ERROR,
        SLOW_CONSUMER,
        UNAUTHORIZED,
        FORBIDDEN,
    ];
    for lang in Lang::ALL {
        let meanings: Vec<String> = named
            .iter()
            .map(|&code| Tr::close_meaning(lang, code).to_string())
            .collect();
        for (code, meaning) in named.iter().zip(&meanings) {
            assert!(!meaning.contains(&code.to_string()), "{code}: {meaning}");
        }
        let mut distinct = meanings.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), named.len(), "{meanings:?}");
    }
    assert_eq!(Tr::close_meaning(Lang::En, 4999), "unknown code");
    assert_eq!(Tr::close_meaning(Lang::Ko, 4999), "알 수 없는 코드");
    assert_eq!(
        Tr::close_meaning(Lang::Ko, ABNORMAL),
        "종료 프레임 없이 끊김"
    );
}
