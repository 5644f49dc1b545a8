//! Who is who, in real browsers against the real server: guests with the same name told
//! apart, users signed in through the site's token endpoint and renewed on the open
//! connection, a token endpoint that hands out bad tokens, and a room a token does not allow.

use std::time::Duration;

use wirechat_e2e::{
    bounded, wait_until, Browser, Harness, MessageRow, TokenAnswer, TokenEndpoint, TEST_BOUND,
};
use wirechat_server::{mint_token, AuthConfig, Config, SigningKey, TokenRequest};

const SECRET: &[u8] = b"a secret for the end-to-end identity tests, 32+ bytes";

fn user(sub: &str, name: &str, rooms: &[&str], ttl: Duration) -> TokenRequest {
    TokenRequest {
        sub: sub.into(),
        name: name.into(),
        rooms: rooms.iter().map(|r| (*r).to_owned()).collect(),
        ttl,
        audience: None,
    }
}

/// A server that requires tokens signed with [`SECRET`], with exact clocks so that an
/// identity that is not renewed really ends at its `exp`.
async fn signed_in_harness() -> Harness {
    Harness::start_with(exact_sign_in).await
}

/// Like [`signed_in_harness`], for a light test: one that mostly waits for a token to
/// expire or for a retry, and so shares the machine with another light test.
async fn signed_in_light_harness() -> Harness {
    Harness::start_light_with(exact_sign_in).await
}

/// Tokens signed with [`SECRET`] required, with no leeway on their expiry.
fn exact_sign_in(config: &mut Config) {
    config.auth = Some(AuthConfig {
        leeway: Duration::ZERO,
        ..AuthConfig::new(SigningKey::Secret(SECRET.to_vec()))
    });
}

fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The chat page in `room` as the web app behind `endpoint` serves it, from the app's own
/// origin: its `config.json` names the harness's chat server and `sign_in` (`token` or
/// `token_url`).
fn site_page(
    harness: &Harness,
    endpoint: &TokenEndpoint,
    room: &str,
    sign_in: serde_json::Value,
) -> String {
    let mut config = serde_json::json!({ "server": harness.app().ws_url() });
    if let (Some(config), Some(sign_in)) = (config.as_object_mut(), sign_in.as_object()) {
        config.extend(sign_in.clone());
    }
    endpoint.set_config(config);
    format!("{}?room={room}", endpoint.http_url())
}

/// [`site_page`] in `lobby`, fetching tokens from the site's `/token`.
fn endpoint_page(harness: &Harness, endpoint: &TokenEndpoint) -> String {
    site_page(
        harness,
        endpoint,
        "lobby",
        serde_json::json!({ "token_url": "/token" }),
    )
}

fn row_with<'a>(rows: &'a [MessageRow], text: &str) -> &'a MessageRow {
    rows.iter()
        .find(|r| r.text == text)
        .unwrap_or_else(|| panic!("no row {text:?} in {rows:?}"))
}

async fn wait_for_text(browser: &Browser, text: &str) {
    let what = format!("page text containing {text:?}");
    wait_until(&what, Duration::from_secs(15), || async {
        let body = browser
            .evaluate("return document.body.innerText;", vec![])
            .await;
        // Names are shown isolated (FSI … PDI); the words around them are what is checked.
        let body: String = body
            .as_str()
            .unwrap_or_default()
            .chars()
            .filter(|c| !matches!(c, '\u{2068}' | '\u{2069}'))
            .collect();
        if body.contains(text) {
            Ok(())
        } else {
            Err(format!("page text {body:?}"))
        }
    })
    .await
}

async fn wait_for_row(browser: &Browser, text: &str) -> Vec<MessageRow> {
    wait_for_row_marked(browser, text, None).await
}

/// Waits for this user's own message `text` to read as delivered.
async fn wait_for_own(browser: &Browser, text: &str) -> Vec<MessageRow> {
    wait_for_row_marked(browser, text, Some("Delivered")).await
}

async fn wait_for_row_marked(
    browser: &Browser,
    text: &str,
    delivery: Option<&str>,
) -> Vec<MessageRow> {
    let what = format!("a row {text:?} marked {delivery:?}");
    wait_until(&what, Duration::from_secs(15), || async {
        let rows = browser.try_messages().await?;
        let found = rows
            .iter()
            .any(|r| r.text == text && (delivery.is_none() || r.delivery.as_deref() == delivery));
        if found {
            Ok(rows)
        } else {
            Err(format!("rows {rows:?}"))
        }
    })
    .await
}

/// The defect: a second guest called "alice" saw the first one's messages as her own,
/// because own messages were recognised by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_guests_named_alice_each_see_only_their_own_messages_as_own() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let first = harness.join("lobby", "alice").await;
        let second = harness.join("lobby", "alice").await;
        first.send("from the first alice").await;
        wait_for_row(&second, "from the first alice").await;
        second.send("from the second alice").await;
        for (browser, own, other) in [
            (&first, "from the first alice", "from the second alice"),
            (&second, "from the second alice", "from the first alice"),
        ] {
            wait_for_row(browser, other).await;
            let rows = wait_for_own(browser, own).await;
            assert_eq!(
                row_with(&rows, other).delivery,
                None,
                "{other:?} is not this alice's own message: {rows:?}"
            );
        }
        for browser in [&first, &second] {
            let what = "two distinct alices online";
            wait_until(what, Duration::from_secs(15), || async {
                let online = browser.online_people().await;
                if online == ["alice", "alice (2)"] {
                    Ok(())
                } else {
                    Err(format!("online {online:?}"))
                }
            })
            .await;
        }
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signed_in_through_the_token_endpoint_is_renewed_without_reconnecting() {
    let harness = signed_in_light_harness().await;
    let endpoint = TokenEndpoint::start(
        SECRET,
        TokenAnswer::Valid(user("u-alice", "Alice", &[], Duration::from_secs(10))),
    )
    .await;
    bounded(TEST_BOUND, async {
        let alice = harness
            .open_url(&endpoint_page(&harness, &endpoint), "alice")
            .await;
        alice.wait_for_status("Connected").await;
        wait_for_text(&alice, "Signed in as Alice").await;
        alice.send("before the first expiry").await;
        wait_for_own(&alice, "before the first expiry").await;

        // Past the first token's expiry: the identity was renewed on the open socket.
        alice
            .expect_status_throughout("Connected", Duration::from_secs(13))
            .await;
        assert!(
            endpoint.requests() >= 2,
            "the token was renewed ({} requests)",
            endpoint.requests()
        );
        assert!(
            endpoint.requests() <= 6,
            "renewals are spaced ({} requests)",
            endpoint.requests()
        );
        alice.send("after the first expiry").await;
        wait_for_own(&alice, "after the first expiry").await;
        assert_eq!(harness.app().open_connections(), 1, "never reconnected");
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_explained_retried_with_backoff_and_recovers() {
    let harness = signed_in_light_harness().await;
    let endpoint = TokenEndpoint::start(SECRET, TokenAnswer::Invalid).await;
    bounded(TEST_BOUND, async {
        let alice = harness
            .open_url(&endpoint_page(&harness, &endpoint), "alice")
            .await;
        alice.wait_for_status("Not signed in").await;
        tokio::time::sleep(Duration::from_secs(8)).await;
        let asked = endpoint.requests();
        // Waits of at least 0.25, 0.5, 1, 2 and 4 s: no more than six asks in eight seconds.
        assert!((1..=6).contains(&asked), "{asked} token requests in 8 s");

        endpoint.set_answer(TokenAnswer::Valid(user(
            "u-alice",
            "Alice",
            &[],
            Duration::from_secs(600),
        )));
        wait_until("the page signs in", Duration::from_secs(30), || async {
            let status = alice.status_text().await;
            if status.contains("Connected") {
                Ok(())
            } else {
                Err(format!("status {status:?}"))
            }
        })
        .await;
        wait_for_text(&alice, "Signed in as Alice").await;
        alice.send("signed in at last").await;
        wait_for_own(&alice, "signed in at last").await;
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_outside_the_tokens_rooms_is_refused_and_another_room_works() {
    let harness = signed_in_harness().await;
    let token = mint_token(
        SECRET,
        &user("u-bob", "Bob", &["team-*"], Duration::from_secs(600)),
    )
    .expect("mint a token");
    let endpoint = TokenEndpoint::start(SECRET, TokenAnswer::Invalid).await;
    bounded(TEST_BOUND, async {
        let url = site_page(
            &harness,
            &endpoint,
            "secret",
            serde_json::json!({ "token": token }),
        );
        let bob = harness.open_url(&url, "bob").await;
        bob.wait_for_status("Connected").await;
        wait_for_text(&bob, "You are not allowed in this room").await;

        bob.join_room_from_sidebar("team-a").await;
        bob.send("hello team").await;
        wait_for_own(&bob, "hello team").await;
        bob.expect_status_throughout("Connected", Duration::from_secs(1))
            .await;
    })
    .await;
    harness.shutdown().await;
}

/// A link that carries a token or a token endpoint signs nobody in: the visitor stays who the
/// site's `config.json` says, so a link cannot sign them in as someone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_with_a_token_does_not_sign_the_visitor_in() {
    let harness = signed_in_harness().await;
    let lasting = Duration::from_secs(600);
    let alice = mint_token(SECRET, &user("u-alice", "Alice", &[], lasting)).expect("mint");
    let mallory = mint_token(SECRET, &user("u-mallory", "Mallory", &[], lasting)).expect("mint");
    // The site's endpoint would hand out Mallory: a link naming it must not be followed either.
    let endpoint = TokenEndpoint::start(
        SECRET,
        TokenAnswer::Valid(user("u-mallory", "Mallory", &[], lasting)),
    )
    .await;
    bounded(TEST_BOUND, async {
        let page = site_page(
            &harness,
            &endpoint,
            "lobby",
            serde_json::json!({ "token": alice }),
        );
        let link = format!("{page}&token={}&token_url=%2Ftoken", query_value(&mallory));
        let visitor = harness.open_url(&link, "visitor").await;
        visitor.wait_for_status("Connected").await;
        wait_for_text(&visitor, "Signed in as Alice").await;
        visitor.send("who am I").await;
        wait_for_own(&visitor, "who am I").await;
        let body = visitor
            .evaluate("return document.body.innerText;", vec![])
            .await;
        assert!(
            !body.as_str().unwrap_or_default().contains("Mallory"),
            "the link's identity shows: {body}"
        );
        assert_eq!(
            endpoint.requests(),
            0,
            "the link's token endpoint was asked"
        );
        let address = visitor.evaluate("return location.search;", vec![]).await;
        assert_eq!(
            address.as_str(),
            Some("?room=lobby"),
            "the token left the address bar"
        );
    })
    .await;
    harness.shutdown().await;
}

/// The "nothing lost or duplicated across the refresh": a steady stream from a user
/// whose token is renewed on the open connection, and whose first token expires in the
/// middle of it, reaches a reader exactly once each, and each reads as delivered to its sender.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_across_a_token_renewal_arrive_exactly_once() {
    let harness = signed_in_light_harness().await;
    let ten_seconds = Duration::from_secs(10);
    let alice_site = TokenEndpoint::start(
        SECRET,
        TokenAnswer::Valid(user("u-alice", "Alice", &[], ten_seconds)),
    )
    .await;
    let bob_site = TokenEndpoint::start(
        SECRET,
        TokenAnswer::Valid(user("u-bob", "Bob", &[], Duration::from_secs(600))),
    )
    .await;
    // Two browsers start, then 14 s of sending: more than the usual bound on a busy machine.
    bounded(2 * TEST_BOUND, async {
        let alice = harness
            .open_url(&endpoint_page(&harness, &alice_site), "alice")
            .await;
        let bob = harness
            .open_url(&endpoint_page(&harness, &bob_site), "bob")
            .await;
        alice.wait_for_status("Connected").await;
        bob.wait_for_status("Connected").await;

        // One message every 700 ms for 14 s: the renewal, and the first token's expiry 10 s
        // after sign-in, both fall within the stream.
        let texts: Vec<String> = (1..=20)
            .map(|i| format!("across the renewal {i}"))
            .collect();
        for text in &texts {
            alice.send(text).await;
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        assert!(
            alice_site.requests() >= 2,
            "the token was renewed during the stream ({} requests)",
            alice_site.requests()
        );

        let expected: Vec<(&str, &str)> = texts.iter().map(|t| ("Alice", t.as_str())).collect();
        let rows = bob.wait_for_messages(&expected).await;
        for text in &texts {
            let shown = rows.iter().filter(|r| &r.text == text).count();
            assert_eq!(shown, 1, "bob sees {text:?} {shown} times: {rows:?}");
        }
        let last = texts.last().expect("messages were sent");
        let own = wait_for_own(&alice, last).await;
        for text in &texts {
            let mine: Vec<&MessageRow> = own.iter().filter(|r| &r.text == text).collect();
            assert_eq!(mine.len(), 1, "alice sees {text:?} once: {own:?}");
            assert_eq!(
                mine[0].delivery.as_deref(),
                Some("Delivered"),
                "{text:?} is delivered: {own:?}"
            );
        }
    })
    .await;
    harness.shutdown().await;
}
