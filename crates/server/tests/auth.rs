//! Signed-in users and guests, over real sockets: which tokens are refused, what a token
//! allows, how a session is renewed, and how users with the same name are told apart.
//!
//! The keys in `tests/keys/` were made for these tests only, with
//! `openssl genpkey -algorithm ed25519` and `openssl genpkey -algorithm RSA`.

use crate::common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{join_frame, local, msg, raw_exchange, start, Client};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use wirechat_protocol::{
    close_code, error_code, feature, Auth, Authed, ErrorFrame, Fetch, Frame, Join,
};
use wirechat_server::{AuthConfig, Config, RunningServer, SigningKey};

const SECRET: &[u8] = b"a test secret that is long enough for HS256";
const ED_PRIVATE: &[u8] = include_bytes!("keys/ed25519.key");
const ED_PUBLIC: &[u8] = include_bytes!("keys/ed25519.pub");
const RSA_PRIVATE: &[u8] = include_bytes!("keys/rsa.key");
const RSA_PUBLIC: &[u8] = include_bytes!("keys/rsa.pub");

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims valid for a minute.
fn claims(sub: &str, name: &str) -> Value {
    json!({"sub": sub, "name": name, "iat": now(), "exp": now() + 60})
}

/// Claims that expire `secs` seconds from now (in whole seconds, as JWTs count).
fn expiring_in(secs: u64) -> Value {
    let mut claims = claims("u1", "Alice");
    claims["exp"] = json!(now() + secs);
    claims
}

fn hs256(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

fn auth_config(key: SigningKey) -> AuthConfig {
    AuthConfig {
        // Exact clocks, so expiry tests need not wait out a leeway.
        leeway: Duration::ZERO,
        ..AuthConfig::new(key)
    }
}

fn with_auth(auth: AuthConfig) -> Config {
    Config {
        auth: Some(auth),
        ..local()
    }
}

async fn secret_server() -> RunningServer {
    start(with_auth(auth_config(SigningKey::Secret(SECRET.to_vec())))).await
}

fn auth(token: &str) -> Frame {
    Frame::Auth(Auth {
        token: token.to_owned(),
    })
}

/// Connects and signs in with `token`, returning the client and its `authed`.
async fn signed_in(server: &RunningServer, token: &str) -> (Client, Authed) {
    let mut client = Client::connect(server).await;
    client.send(auth(token)).await;
    match client.recv().await {
        Frame::Authed(authed) => (client, authed),
        other => panic!("expected authed, got {other:?}"),
    }
}

/// Reads the `unauthorized` error and the 4001 close that must follow it.
async fn expect_unauthorized(client: &mut Client) -> ErrorFrame {
    let error = match client.recv_until(|f| matches!(f, Frame::Error(_))).await {
        Frame::Error(error) => error,
        _ => unreachable!(),
    };
    assert_eq!(error.code, error_code::UNAUTHORIZED, "{error:?}");
    assert_eq!(client.close_code().await, close_code::UNAUTHORIZED);
    error
}

/// Connects, sends `token` and expects it refused.
async fn refused(server: &RunningServer, token: &str) -> ErrorFrame {
    let mut client = Client::connect(server).await;
    client.send(auth(token)).await;
    expect_unauthorized(&mut client).await
}

/// A guest and the `authed` that followed its `hello`.
async fn guest(server: &RunningServer) -> (Client, Authed) {
    let client = Client::connect(server).await;
    let authed = client.authed.clone().expect("a guest's authed");
    (client, authed)
}

fn history_name(frame: &Frame) -> Option<String> {
    match frame {
        Frame::History(history) => history.name.clone(),
        _ => None,
    }
}

fn join_req(room: &str, req: u64) -> Frame {
    Frame::Join(Join {
        req: Some(req),
        ..match join_frame(room, "whoever") {
            Frame::Join(join) => join,
            _ => unreachable!(),
        }
    })
}

#[tokio::test]
async fn hello_lists_auth_only_when_a_token_is_required() {
    let open = start(local()).await;
    let (_client, authed) = guest(&open).await;
    let client = Client::connect(&open).await;
    assert!(!client.hello.has(feature::AUTH));
    assert!(authed.uid.starts_with("guest-") && authed.exp.is_none());

    let closed = secret_server().await;
    let client = Client::connect(&closed).await;
    assert!(client.hello.has(feature::AUTH));
    let (_client, authed) = signed_in(&closed, &hs256(&claims("u1", "Alice"))).await;
    assert_eq!((authed.uid.as_str(), authed.name.as_str()), ("u1", "Alice"));
    let exp = authed.exp.expect("an exp");
    assert!(exp % 1000 == 0 && exp / 1000 > now(), "exp in ms: {exp}");
    open.shutdown().await;
    closed.shutdown().await;
}

#[tokio::test]
async fn forged_none_expired_early_and_wrong_audience_tokens_are_refused() {
    let server = start(with_auth(AuthConfig {
        audience: Some("chat".into()),
        ..auth_config(SigningKey::Secret(SECRET.to_vec()))
    }))
    .await;
    let good = json!({"sub": "u1", "name": "Alice", "exp": now() + 60, "aud": "chat"});
    signed_in(&server, &hs256(&good)).await;

    let forged = encode(
        &Header::new(Algorithm::HS256),
        &good,
        &EncodingKey::from_secret(b"another secret that is long enough to sign"),
    )
    .unwrap();
    let refusal = refused(&server, &forged).await;
    assert!(
        !refusal.message.contains(&forged),
        "the token is never echoed"
    );

    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    refused(&server, &format!("{header}.{payload}.")).await;

    let mut expired = good.clone();
    expired["exp"] = json!(now() - 60);
    refused(&server, &hs256(&expired)).await;

    let mut early = good.clone();
    early["nbf"] = json!(now() + 60);
    refused(&server, &hs256(&early)).await;

    let mut elsewhere = good.clone();
    elsewhere["aud"] = json!("another-app");
    refused(&server, &hs256(&elsewhere)).await;
    let mut no_audience = good;
    no_audience.as_object_mut().unwrap().remove("aud");
    refused(&server, &hs256(&no_audience)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn public_keys_take_their_own_algorithm_and_refuse_hs256_signed_with_the_key() {
    let cases = [
        (
            ED_PUBLIC,
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(ED_PRIVATE).unwrap(),
        ),
        (
            RSA_PUBLIC,
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(),
        ),
    ];
    for (public, algorithm, private) in cases {
        let key = SigningKey::public_pem(public).unwrap();
        let server = start(with_auth(auth_config(key))).await;
        let claims = claims("u1", "Alice");
        let signed = encode(&Header::new(algorithm), &claims, &private).unwrap();
        signed_in(&server, &signed).await;
        // The classic confusion: the public key, known to anyone, used as an HMAC secret.
        let confused = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(public),
        )
        .unwrap();
        refused(&server, &confused).await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn frames_before_auth_and_silence_are_refused_with_4001() {
    let server = start(with_auth(AuthConfig {
        sign_in_timeout: Duration::from_millis(300),
        ..auth_config(SigningKey::Secret(SECRET.to_vec()))
    }))
    .await;
    let mut early = Client::connect(&server).await;
    early.send(join_frame("lobby", "alice")).await;
    expect_unauthorized(&mut early).await;

    let mut silent = Client::connect(&server).await;
    expect_unauthorized(&mut silent).await;
    server.shutdown().await;
}

#[tokio::test]
async fn rooms_outside_the_token_are_forbidden_for_join_and_fetch() {
    let server = secret_server().await;
    let mut claims = claims("u1", "Alice");
    claims["rooms"] = json!(["team-*", "support"]);
    let (mut client, _) = signed_in(&server, &hs256(&claims)).await;

    client.send(join_req("lobby", 7)).await;
    match client.recv().await {
        Frame::Error(error) => {
            assert_eq!(
                (error.code.as_str(), error.req),
                (error_code::FORBIDDEN, Some(7))
            );
        }
        other => panic!("expected forbidden, got {other:?}"),
    }
    client
        .send(Frame::Fetch(Fetch {
            room: "lobby".into(),
            before: None,
            after: None,
            limit: None,
            req: Some(8),
        }))
        .await;
    match client.recv().await {
        Frame::Error(error) => {
            assert_eq!(
                (error.code.as_str(), error.req),
                (error_code::FORBIDDEN, Some(8))
            );
        }
        other => panic!("expected forbidden, got {other:?}"),
    }
    // The connection stays open, and the rooms the token names work.
    client.join("team-red", "ignored").await;
    client.join("support", "ignored").await;
    server.shutdown().await;
}

#[tokio::test]
async fn two_guests_named_alice_are_told_apart() {
    let server = start(local()).await;
    let (mut first, first_id) = guest(&server).await;
    let (mut second, second_id) = guest(&server).await;
    assert_ne!(first_id.uid, second_id.uid);
    assert_eq!(
        history_name(&Frame::History(first.join("lobby", "alice").await)).as_deref(),
        Some("alice")
    );
    let second_join = Frame::History(second.join("lobby", "alice").await);
    assert_eq!(history_name(&second_join).as_deref(), Some("alice (2)"));
    second.presence_is("lobby", &["alice", "alice (2)"]).await;

    first.send(msg("m1", "lobby", "from the first")).await;
    for client in [&mut first, &mut second] {
        match client.recv_until(|f| matches!(f, Frame::Msg(_))).await {
            Frame::Msg(m) => {
                assert_eq!(
                    (m.from.as_str(), m.uid.as_deref()),
                    ("alice", Some(first_id.uid.as_str()))
                );
            }
            _ => unreachable!(),
        }
    }
    second.send(msg("m2", "lobby", "from the second")).await;
    match first.recv_until(|f| matches!(f, Frame::Msg(_))).await {
        Frame::Msg(m) => {
            assert_eq!(
                (m.from.as_str(), m.uid.as_deref()),
                ("alice (2)", Some(second_id.uid.as_str()))
            );
        }
        _ => unreachable!(),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn signed_in_users_are_named_by_their_token() {
    let server = secret_server().await;
    let (mut alice, _) = signed_in(&server, &hs256(&claims("u1", "Alice"))).await;
    let (mut tab, _) = signed_in(&server, &hs256(&claims("u1", "Alice"))).await;
    let (mut impostor, _) = signed_in(&server, &hs256(&claims("u2", "Alice"))).await;

    let joined = Frame::History(alice.join("lobby", "Mallory").await);
    assert_eq!(history_name(&joined).as_deref(), Some("Alice"));
    // A second tab of the same user is the same person in the room.
    let joined = Frame::History(tab.join("lobby", "whatever").await);
    assert_eq!(history_name(&joined).as_deref(), Some("Alice"));
    let joined = Frame::History(impostor.join("lobby", "Alice").await);
    assert_eq!(history_name(&joined).as_deref(), Some("Alice (2)"));
    impostor.presence_is("lobby", &["Alice", "Alice (2)"]).await;

    impostor.send(msg("m1", "lobby", "hi")).await;
    match alice.recv_until(|f| matches!(f, Frame::Msg(_))).await {
        Frame::Msg(m) => assert_eq!(
            (m.from.as_str(), m.uid.as_deref()),
            ("Alice (2)", Some("u2"))
        ),
        _ => unreachable!(),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_cookie_works_from_an_allowed_origin_and_is_refused_from_another() {
    let server = start(with_auth(AuthConfig {
        cookie: Some("wc_token".into()),
        ..auth_config(SigningKey::Secret(SECRET.to_vec()))
    }))
    .await;
    let token = hs256(&claims("u1", "Alice"));
    let port = server.addr().port();

    let evil = format!(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\nCookie: wc_token={token}\r\n\r\n"
    );
    let response = raw_exchange(&server, &evil).await;
    assert!(
        response.status_line.contains(" 403 "),
        "{}",
        response.status_line
    );

    let mut request = server.ws_url().into_client_request().unwrap();
    let headers = request.headers_mut();
    let origin = format!("http://127.0.0.1:{port}");
    headers.insert("Origin", HeaderValue::from_str(&origin).unwrap());
    let cookie = format!("theme=dark; wc_token={token}");
    headers.insert("Cookie", HeaderValue::from_str(&cookie).unwrap());
    let mut client = Client::connect_request(request).await;
    match client.recv().await {
        Frame::Authed(authed) => assert_eq!(authed.uid, "u1"),
        other => panic!("expected authed, got {other:?}"),
    }
    client.join("lobby", "x").await;

    // An expired cookie is told so, like a refused auth frame.
    let mut expired = claims("u1", "Alice");
    expired["exp"] = json!(now() - 60);
    let mut request = server.ws_url().into_client_request().unwrap();
    let cookie = format!("wc_token={}", hs256(&expired));
    request
        .headers_mut()
        .insert("Cookie", HeaderValue::from_str(&cookie).unwrap());
    let mut client = Client::connect_request(request).await;
    expect_unauthorized(&mut client).await;
    server.shutdown().await;
}

/// An upgrade request from a page at `origin`, with `cookie` when given.
/// The requests that open a connection, one per transport, and the status that opens it.
#[derive(Clone, Copy, Debug)]
enum Opener {
    WebSocket,
    EventStream,
    Polling,
}

impl Opener {
    const ALL: [Opener; 3] = [Opener::WebSocket, Opener::EventStream, Opener::Polling];

    fn opened(self) -> &'static str {
        match self {
            Opener::WebSocket => " 101 ",
            Opener::EventStream | Opener::Polling => " 200 ",
        }
    }
}

fn opening_from(opener: Opener, port: u16, origin: &str, cookie: Option<&str>) -> String {
    let cookie = cookie.map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
    let request = match opener {
        Opener::WebSocket => "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\n",
        Opener::EventStream => "GET /sse HTTP/1.1\r\nAccept: text/event-stream\r\n",
        Opener::Polling => "POST /poll HTTP/1.1\r\nContent-Length: 0\r\n",
    };
    format!("{request}Host: 127.0.0.1:{port}\r\nOrigin: {origin}\r\n{cookie}\r\n")
}

#[tokio::test]
async fn the_cookie_is_refused_from_every_page_but_the_servers_own() {
    let server = start(with_auth(AuthConfig {
        cookie: Some("wc_token".into()),
        ..auth_config(SigningKey::Secret(SECRET.to_vec()))
    }))
    .await;
    let cookie = format!("wc_token={}", hs256(&claims("u1", "Alice")));
    let port = server.addr().port();
    let other_port = if port == 65535 { port - 1 } else { port + 1 };
    // Every transport opens through the same gate, so each is checked.
    for opener in Opener::ALL {
        for origin in [
            // Another local page: browsers send a host's cookies to all of its ports.
            format!("http://127.0.0.1:{other_port}"),
            format!("http://localhost:{port}"),
            format!("http://127.0.0.1:{port}.evil.example"),
            "null".to_owned(),
            "https://evil.example".to_owned(),
        ] {
            let request = opening_from(opener, port, &origin, Some(&cookie));
            let response = raw_exchange(&server, &request).await;
            assert!(
                response.status_line.contains(" 403 "),
                "{opener:?} from {origin}: {}",
                response.status_line
            );
        }
        // Local pages still connect without the cookie, and sign in with auth like anyone.
        let local_page = format!("http://127.0.0.1:{other_port}");
        let response = raw_exchange(&server, &opening_from(opener, port, &local_page, None)).await;
        assert!(
            response.status_line.contains(opener.opened()),
            "{opener:?}: {}",
            response.status_line
        );
        let own = format!("http://127.0.0.1:{port}");
        let request = opening_from(opener, port, &own, Some(&cookie));
        let response = raw_exchange(&server, &request).await;
        assert!(
            response.status_line.contains(opener.opened()),
            "{opener:?}: {}",
            response.status_line
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_refresh_on_the_open_connection_outlives_the_first_exp() {
    let server = secret_server().await;
    let (mut client, first) = signed_in(&server, &hs256(&expiring_in(2))).await;
    client.join("lobby", "x").await;
    client.send(msg("before", "lobby", "one")).await;
    client.recv_until(|f| matches!(f, Frame::Msg(_))).await;

    client.send(auth(&hs256(&claims("u1", "Alice")))).await;
    let renewed = match client.recv_until(|f| matches!(f, Frame::Authed(_))).await {
        Frame::Authed(authed) => authed,
        _ => unreachable!(),
    };
    assert!(renewed.exp > first.exp);
    // Well past the first exp: still the same connection, still in the room.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    client.send(msg("after", "lobby", "two")).await;
    let seqs: Vec<_> = client
        .fetch_from_start("lobby")
        .await
        .msgs
        .iter()
        .map(|m| (m.id.clone(), m.seq))
        .collect();
    assert_eq!(
        seqs,
        [
            ("before".to_owned(), Some(1)),
            ("after".to_owned(), Some(2))
        ]
    );

    // Another user's token is no refresh.
    client.send(auth(&hs256(&claims("u2", "Bob")))).await;
    expect_unauthorized(&mut client).await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_identity_that_is_not_renewed_ends_at_exp_with_4001() {
    let server = secret_server().await;
    let (mut client, _) = signed_in(&server, &hs256(&expiring_in(1))).await;
    client.join("lobby", "x").await;
    let error = expect_unauthorized(&mut client).await;
    assert!(error.message.contains("expired"), "{}", error.message);
    server.shutdown().await;
}

#[tokio::test]
async fn the_token_command_prints_a_token_the_server_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, [SECRET, b"\n"].concat()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wirechat-server"))
        .args(["token", "--secret-file"])
        .arg(&secret_file)
        .args([
            "--sub",
            "u7",
            "--name",
            "Grace",
            "--rooms",
            "team-*,support",
            "--ttl",
            "10m",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8(output.stdout).unwrap();

    let server = secret_server().await;
    let (mut client, authed) = signed_in(&server, token.trim()).await;
    assert_eq!((authed.uid.as_str(), authed.name.as_str()), ("u7", "Grace"));
    let exp = authed.exp.unwrap() / 1000;
    assert!((now() + 590..=now() + 600).contains(&exp), "ttl 10m: {exp}");
    client.send(join_req("lobby", 1)).await;
    assert!(matches!(client.recv().await, Frame::Error(e) if e.code == error_code::FORBIDDEN));
    server.shutdown().await;
}
