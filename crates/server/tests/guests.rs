//! Guests that come back with their `resume` token, over real sockets: a second tab or a
//! reconnect is the same guest, also after a restart, and no other token passes for one.

use crate::common;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{local, msg, start, Client};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use wirechat_protocol::{close_code, error_code, Auth, Authed, Frame};
use wirechat_server::{
    AuthConfig, Config, RunningServer, SigningKey, Storage, GUEST_KEY_FILE, RESUME_LIFETIME,
};

const SECRET: &[u8] = b"a test secret that is long enough for HS256";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn auth(token: &str) -> Frame {
    Frame::Auth(Auth {
        token: token.to_owned(),
    })
}

fn hs256(claims: &Value, key: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key),
    )
    .unwrap()
}

fn stored(data_dir: &Path) -> Config {
    Config {
        storage: Storage::Sqlite {
            data_dir: data_dir.to_owned(),
        },
        ..local()
    }
}

/// The `authed` after `hello`, which every guest gets, and its resume token.
fn first_authed(client: &Client) -> (Authed, String) {
    let authed = client.authed.clone().expect("a guest's authed");
    let resume = authed
        .resume
        .clone()
        .expect("a guest's authed carries resume");
    (authed, resume)
}

/// Connects and sends `resume` as the first frame; returns the second `authed`.
async fn resumed(server: &RunningServer, resume: &str) -> (Client, Authed) {
    let mut client = Client::connect(server).await;
    client.send(auth(resume)).await;
    match client.recv().await {
        Frame::Authed(authed) => (client, authed),
        other => panic!("expected a second authed, got {other:?}"),
    }
}

/// Sends `token` as a resume and checks that nothing came of it: no `authed`, no error, the
/// socket open, and the guest still posting under its fresh uid.
async fn ignored(server: &RunningServer, token: &str, case: &str) {
    let mut client = Client::connect(server).await;
    let (fresh, _) = first_authed(&client);
    client.send(auth(token)).await;
    assert_eq!(client.sync().await, [], "{case}: no answer to the resume");
    client.join("lobby", "mallory").await;
    client.send(msg(case, "lobby", "still me?")).await;
    match client
        .recv_until(|f| matches!(f, Frame::Msg(m) if m.id == case))
        .await
    {
        Frame::Msg(m) => assert_eq!(m.uid, Some(fresh.uid), "{case}: the fresh uid stays"),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_second_tab_with_the_resume_is_the_same_guest_next_to_its_open_socket() {
    let server = start(local()).await;
    let mut first = Client::connect(&server).await;
    let (guest, resume) = first_authed(&first);
    first.join("lobby", "alice").await;

    let (mut second, again) = resumed(&server, &resume).await;
    assert_eq!(again.uid, guest.uid);
    assert!(again.resume.is_some(), "a fresh resume comes with it");
    let history = second.join("lobby", "alice").await;
    assert_eq!(history.name.as_deref(), Some("alice"), "not \"alice (2)\"");
    first.presence_is("lobby", &["alice"]).await;

    second.send(msg("m1", "lobby", "from the second tab")).await;
    for client in [&mut first, &mut second] {
        match client.recv_until(|f| matches!(f, Frame::Msg(_))).await {
            Frame::Msg(m) => assert_eq!(
                (m.from.as_str(), m.uid.as_deref()),
                ("alice", Some(guest.uid.as_str()))
            ),
            _ => unreachable!(),
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_guest_comes_back_after_a_restart_and_owns_its_earlier_messages() {
    let data = tempfile::tempdir().unwrap();
    let first = start(stored(data.path())).await;
    let mut alice = Client::connect(&first).await;
    let (guest, resume) = first_authed(&alice);
    alice.join("lobby", "alice").await;
    alice.send(msg("m1", "lobby", "before the restart")).await;
    alice.recv_until(|f| matches!(f, Frame::Msg(_))).await;
    drop(alice);
    first.shutdown().await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::fs::metadata(data.path().join(GUEST_KEY_FILE)).unwrap();
        assert_eq!(key.permissions().mode() & 0o777, 0o600, "owner only");
    }

    let second = start(stored(data.path())).await;
    let (mut alice, again) = resumed(&second, &resume).await;
    assert_eq!(again.uid, guest.uid);
    let history = alice.join("lobby", "alice").await;
    let earlier: Vec<_> = history
        .msgs
        .iter()
        .map(|m| (m.id.as_str(), m.uid.as_deref()))
        .collect();
    assert_eq!(earlier, [("m1", Some(guest.uid.as_str()))]);
    drop(alice);
    second.shutdown().await;
}

#[tokio::test]
async fn altered_forged_expired_and_foreign_resume_tokens_are_ignored() {
    let data = tempfile::tempdir().unwrap();
    let server = start(stored(data.path())).await;
    let victim = Client::connect(&server).await;
    let (victim_id, resume) = first_authed(&victim);
    let key = std::fs::read(data.path().join(GUEST_KEY_FILE)).unwrap();
    let exp = now() + RESUME_LIFETIME.as_secs();

    // Another guest's uid in the payload, under the victim's signature.
    let mut parts: Vec<String> = resume.split('.').map(str::to_owned).collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).expect("JSON claims");
    claims["sub"] = json!("guest-0-7");
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    ignored(&server, &parts.join("."), "altered").await;

    let theirs = json!({"sub": victim_id.uid, "exp": exp, "guest": true});
    ignored(
        &server,
        &hs256(&theirs, b"a key the attacker made up, 32+ bytes"),
        "forged",
    )
    .await;

    let mut expired = theirs.clone();
    expired["exp"] = json!(now() - 3600);
    ignored(&server, &hs256(&expired, &key), "expired").await;

    let unmarked = json!({"sub": victim_id.uid, "exp": exp});
    ignored(&server, &hs256(&unmarked, &key), "unmarked").await;

    let other = start(local()).await;
    let (_, elsewhere) = first_authed(&Client::connect(&other).await);
    ignored(&server, &elsewhere, "from another server").await;
    ignored(&server, "not a token at all", "garbage").await;

    // A valid resume after the first join no longer changes who the connection is.
    let mut late = Client::connect(&server).await;
    late.join("lobby", "late").await;
    late.send(auth(&resume)).await;
    let answers = late.sync().await;
    assert!(
        !answers
            .iter()
            .any(|f| matches!(f, Frame::Authed(_) | Frame::Error(_))),
        "a resume after join is ignored: {answers:?}"
    );

    // And the real one still works.
    let (_, again) = resumed(&server, &resume).await;
    assert_eq!(again.uid, victim_id.uid);
    drop(victim);
    other.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn user_tokens_and_guest_resumes_never_pass_for_each_other() {
    let guests = start(local()).await;
    let victim = Client::connect(&guests).await;
    let (victim_id, resume) = first_authed(&victim);
    // A user token, as the operator's web app signs them, naming the guest, even marked.
    let user = json!({"sub": victim_id.uid, "name": "Alice", "exp": now() + 60});
    ignored(&guests, &hs256(&user, SECRET), "user token").await;
    let mut marked = user.clone();
    marked["guest"] = json!(true);
    ignored(&guests, &hs256(&marked, SECRET), "marked user token").await;

    let users = start(Config {
        auth: Some(AuthConfig::new(SigningKey::Secret(SECRET.to_vec()))),
        ..local()
    })
    .await;
    let mut client = Client::connect(&users).await;
    client.send(auth(&resume)).await;
    match client.recv().await {
        Frame::Error(error) => assert_eq!(error.code, error_code::UNAUTHORIZED),
        other => panic!("expected unauthorized, got {other:?}"),
    }
    assert_eq!(client.close_code().await, close_code::UNAUTHORIZED);
    drop(victim);
    guests.shutdown().await;
    users.shutdown().await;
}
