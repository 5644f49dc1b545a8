//! The HTTP side of the WebSocket handshake, byte by byte over a plain TCP socket.

use crate::common;

use common::{local, raw_exchange, start, Client, RawResponse, WAIT};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use wirechat_server::Config;

fn upgrade_request(port: u16, key: &str, extra_headers: &str) -> String {
    format!(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\n{extra_headers}Sec-WebSocket-Version: 13\r\n\r\n"
    )
}

fn assert_switched(response: &RawResponse, accept: &str) {
    assert_eq!(response.status_line, "HTTP/1.1 101 Switching Protocols");
    assert_eq!(response.header("Upgrade"), Some("websocket"));
    let connection = response.header("Connection").expect("a Connection header");
    assert!(connection.eq_ignore_ascii_case("upgrade"), "{connection}");
    assert_eq!(response.header("Sec-WebSocket-Accept"), Some(accept));
}

#[tokio::test]
async fn a_browser_offering_chat_gets_chat() {
    let server = start(local()).await;
    let port = server.addr().port();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\nOrigin: http://localhost:{port}\r\n\r\n"
    );
    let response = raw_exchange(&server, &request).await;
    assert_switched(&response, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    assert_eq!(response.header("Sec-WebSocket-Protocol"), Some("chat"));
    server.shutdown().await;
}

#[tokio::test]
async fn the_rfc_6455_sample_key_is_answered_as_the_rfc_says() {
    let server = start(local()).await;
    let port = server.addr().port();
    let offered = upgrade_request(
        port,
        "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Protocol: chat\r\n",
    );
    let response = raw_exchange(&server, &offered).await;
    assert_switched(&response, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(response.header("Sec-WebSocket-Protocol"), Some("chat"));

    // A client offering no subprotocol is served without one.
    let plain = upgrade_request(port, "dGhlIHNhbXBsZSBub25jZQ==", "");
    let response = raw_exchange(&server, &plain).await;
    assert_switched(&response, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(response.header("Sec-WebSocket-Protocol"), None);
    server.shutdown().await;
}

#[tokio::test]
async fn hello_reports_the_key_sent_and_the_accept_header_the_client_received() {
    let server = start(local()).await;
    let request = server.ws_url().into_client_request().unwrap();
    let key = request.headers()["Sec-WebSocket-Key"]
        .to_str()
        .unwrap()
        .to_owned();
    let (ws, response) = timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("handshake in time")
        .expect("handshake succeeds");
    let accept = response.headers()["Sec-WebSocket-Accept"]
        .to_str()
        .unwrap()
        .to_owned();
    let client = Client::after_handshake(ws).await;
    let handshake = client.hello.handshake.expect("hello reports the handshake");
    assert_eq!(handshake.key, key);
    assert_eq!(handshake.accept, accept);
    server.shutdown().await;
}

#[tokio::test]
async fn a_page_from_another_site_is_refused_with_403() {
    let server = start(local()).await;
    let port = server.addr().port();
    let request = upgrade_request(
        port,
        "dGhlIHNhbXBsZSBub25jZQ==",
        "Origin: https://evil.example\r\n",
    );
    let response = raw_exchange(&server, &request).await;
    assert!(
        response.status_line.starts_with("HTTP/1.1 403"),
        "{}",
        response.status_line
    );
    assert_eq!(response.header("Upgrade"), None);
    assert_eq!(response.header("Sec-WebSocket-Accept"), None);
    assert!(
        response.body_text().contains("https://evil.example"),
        "{:?}",
        response.body_text()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn own_listed_and_absent_origins_pass() {
    let server = start(Config {
        allowed_origins: vec!["https://friends.example".into()],
        ..local()
    })
    .await;
    let port = server.addr().port();
    let key = "dGhlIHNhbXBsZSBub25jZQ==";
    for origin in [
        "Origin: https://friends.example\r\n".to_owned(),
        format!("Origin: http://127.0.0.1:{port}\r\n"),
        "Origin: http://[::1]:3000\r\n".to_owned(),
        // Bots without an Origin header.
        String::new(),
    ] {
        let response = raw_exchange(&server, &upgrade_request(port, key, &origin)).await;
        assert_switched(&response, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
    for origin in ["https://friends.example:8443", "http://friends.example"] {
        let header = format!("Origin: {origin}\r\n");
        let response = raw_exchange(&server, &upgrade_request(port, key, &header)).await;
        assert!(response.status_line.starts_with("HTTP/1.1 403"), "{origin}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_websocket_client_offering_chat_completes_the_handshake() {
    let server = start(local()).await;
    let mut request = server.ws_url().into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("Sec-WebSocket-Protocol", "chat".parse().unwrap());
    headers.insert(
        "Origin",
        format!("http://localhost:{}", server.addr().port())
            .parse()
            .unwrap(),
    );
    let client = Client::connect_request(request).await;
    assert!(!client.hello.epoch.is_empty());
    drop(client);
    server.shutdown().await;
}

#[tokio::test]
async fn spawn_refuses_a_text_limit_that_blocks_every_message() {
    for max_text_bytes in [0, wirechat_server::MIN_TEXT_BYTES - 1] {
        let err = wirechat_server::spawn(Config {
            max_text_bytes,
            ..local()
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("64 to 32768"), "{err}");
    }
}
