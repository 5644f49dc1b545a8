//! The app on third-party relays that know nothing of the protocol (`e2e/relays/relay.mjs`):
//! no `hello`, no rooms, no history, only frames passed on. The page itself still comes
//! from the reference server; its socket goes to the relay.

use std::time::Duration;

use wirechat_e2e::{
    bounded, wait_until, Browser, Harness, MessageRow, Proxy, ProxyMode, Relay, RelayMode,
    TEST_BOUND,
};

/// What the page says once it has decided the server is a plain relay.
const RELAY_NOTE: &str = "History is unavailable";

/// How long a confirmed own message is watched to prove it never turns into a failure.
const SETTLE: Duration = Duration::from_secs(3);

/// How long a page may take to reconnect once its link is back: its backoff after a few
/// refused attempts, plus the wait for a `hello` that never comes on a relay.
const RECONNECT_LIMIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_relay_keeps_rooms_apart_and_confirms_own_messages() {
    rooms_on_a_relay(RelayMode::Broadcast, "Delivered").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_skips_the_sender_keeps_rooms_apart_and_own_messages_sent() {
    rooms_on_a_relay(RelayMode::NoSelf, "Sent").await;
}

/// Alice and bob in room "a", carol in room "b", all on one relay that passes every frame
/// to everyone (or everyone but the sender): the rooms exist only in the clients.
async fn rooms_on_a_relay(mode: RelayMode, own_delivery: &str) {
    let harness = Harness::start().await;
    let relay = Relay::start(mode).await;
    bounded(TEST_BOUND, async {
        let url = relay.ws_url();
        let alice = harness.join_on(&url, "a", "alice").await;
        let bob = harness.join_on(&url, "a", "bob").await;
        let carol = harness.join_on(&url, "b", "carol").await;
        for browser in [&alice, &bob, &carol] {
            browser.wait_for_note(RELAY_NOTE).await;
        }

        alice.send("hello from alice").await;
        bob.wait_for_message("alice", "hello from alice").await;
        bob.send("hi alice, bob here").await;
        alice.wait_for_message("bob", "hi alice, bob here").await;
        alice
            .wait_for_delivery("alice", "hello from alice", own_delivery)
            .await;
        bob.wait_for_delivery("bob", "hi alice, bob here", own_delivery)
            .await;

        // Carol's own message showing proves her log is live, so its silence about room a
        // means something.
        carol.send("carol in room b").await;
        let rows = carol
            .wait_for_delivery("carol", "carol in room b", own_delivery)
            .await;
        assert_shown_once(&carol, &rows, "carol", "carol in room b");
        for text in ["hello from alice", "hi alice, bob here"] {
            assert_not_shown(&carol, &rows, text);
        }

        // The relay hands carol's frame to alice and bob too; by the time this reaches
        // alice, they have both had it and must have left it out.
        bob.send("still just us").await;
        alice.wait_for_message("bob", "still just us").await;
        let room_a = [
            ("alice", "hello from alice"),
            ("bob", "hi alice, bob here"),
            ("bob", "still just us"),
        ];
        for browser in [&alice, &bob] {
            let rows = browser.wait_for_messages(&room_a).await;
            for (from, text) in room_a {
                assert_shown_once(browser, &rows, from, text);
            }
            assert_not_shown(browser, &rows, "carol in room b");
        }

        // Nothing will ever confirm or refuse a message on a relay: what is settled stays so.
        tokio::time::sleep(SETTLE).await;
        for (browser, own) in [
            (&alice, "hello from alice"),
            (&bob, "hi alice, bob here"),
            (&carol, "carol in room b"),
        ] {
            let name = browser.label();
            let rows = browser.messages().await;
            let delivery = rows
                .iter()
                .find(|row| row.shows(name, own))
                .and_then(|row| row.delivery.clone());
            assert_eq!(
                delivery.as_deref(),
                Some(own_delivery),
                "{name}'s {own:?} {SETTLE:?} after it settled on the {mode} relay: {rows:?}"
            );
        }

        assert_eq!(
            relay.connections(),
            3,
            "the {mode} relay should see one connection per browser and no reconnects"
        );
        for browser in [&alice, &bob, &carol] {
            browser.wait_for_test_id_text("subprotocol", "none").await;
        }
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_server_confirms_a_message_and_shows_it_once() {
    let harness = Harness::start().await;
    let relay = Relay::start(RelayMode::Echo).await;
    bounded(TEST_BOUND, async {
        let alice = harness.join_on(&relay.ws_url(), "echo", "alice").await;
        alice.wait_for_note(RELAY_NOTE).await;

        alice.send("is anyone there?").await;
        let rows = alice
            .wait_for_delivery("alice", "is anyone there?", "Delivered")
            .await;
        assert_shown_once(&alice, &rows, "alice", "is anyone there?");
        assert_eq!(relay.connections(), 1, "one browser, one connection");
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_stays_connected_on_a_silent_relay() {
    // Light: one browser, then seconds of silence.
    let harness = Harness::start_light().await;
    // Alone on a relay that never sends a frame back to its sender, the page hears nothing.
    let relay = Relay::start(RelayMode::NoSelf).await;
    bounded(TEST_BOUND, async {
        let alice = harness.join_on(&relay.ws_url(), "quiet", "alice").await;
        // Long enough to cover the wait for a `hello` that never comes, and then some.
        alice
            .expect_status_throughout("Connected", Duration::from_secs(6))
            .await;
        alice.wait_for_note(RELAY_NOTE).await;
        assert_eq!(
            relay.connections(),
            1,
            "the page reconnected to a relay that only stayed silent"
        );
    })
    .await;
    harness.shutdown().await;
}

/// Browsers fail the handshake when a server selects none of the offered subprotocols; the
/// app must then connect without offering any.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_selects_no_subprotocol_still_gets_a_working_connection() {
    let harness = Harness::start().await;
    let relay = Relay::start_with(RelayMode::Broadcast, &["--subprotocols", "decline"]).await;
    bounded(TEST_BOUND, async {
        let alice = harness.open_on(&relay.ws_url(), "a", "alice").await;
        alice
            .evaluate(
                "localStorage.setItem('wirechat.settings', JSON.stringify({protocols: ['chat']}));",
                vec![],
            )
            .await;
        alice.reload().await;
        alice.wait_for_status("Connected").await;
        alice.wait_for_test_id_text("subprotocol", "none").await;
        alice.send("no subprotocol needed").await;
        alice
            .wait_for_delivery("alice", "no subprotocol needed", "Delivered")
            .await;
        assert!(
            relay.connections() >= 2,
            "the first attempt offered chat and failed; the next offered none ({} connections)",
            relay.connections()
        );
    })
    .await;
}

fn assert_shown_once(browser: &Browser, rows: &[MessageRow], from: &str, text: &str) {
    let count = rows.iter().filter(|row| row.shows(from, text)).count();
    assert_eq!(
        count,
        1,
        "{} shows {from}'s {text:?} {count} times: {rows:?}",
        browser.label()
    );
}

fn assert_not_shown(browser: &Browser, rows: &[MessageRow], text: &str) {
    assert!(
        !rows.iter().any(|row| row.text.contains(text)),
        "{} shows {text:?} from another room: {rows:?}",
        browser.label()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_broadcast_relay_a_peer_back_after_the_sender_still_sees_its_offline_messages() {
    the_sender_back_first(RelayMode::Broadcast, "Delivered").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_relay_that_skips_the_sender_a_peer_back_later_still_sees_the_offline_messages() {
    the_sender_back_first(RelayMode::NoSelf, "Sent").await;
}

/// The relay forgets whoever was away: alice and bob lose the link together, alice writes
/// while offline and is back first, so her outbox goes out while bob is still away. Bob,
/// back a moment later, must still see each of her offline messages, exactly once.
async fn the_sender_back_first(mode: RelayMode, own_delivery: &str) {
    // Light: two browsers that mostly wait out an outage and their reconnects.
    let harness = Harness::start_light().await;
    let relay = Relay::start(mode).await;
    let alice_link = Proxy::start(relay.addr()).await;
    let bob_link = Proxy::start(relay.addr()).await;
    bounded(Duration::from_secs(120), async {
        let alice = harness
            .join_on(&alice_link.ws_url(), "catchup", "alice")
            .await;
        let bob = harness.join_on(&bob_link.ws_url(), "catchup", "bob").await;
        for browser in [&alice, &bob] {
            browser.wait_for_note(RELAY_NOTE).await;
        }
        let before = "before the outage";
        alice.send(before).await;
        bob.wait_for_message("alice", before).await;

        for link in [&alice_link, &bob_link] {
            link.set_mode(ProxyMode::Refuse);
            link.cut_all();
        }
        let offline = ["offline one", "offline two", "offline three"];
        for text in offline {
            alice.send(text).await;
        }
        for text in offline {
            alice.wait_for_delivery("alice", text, "Sending").await;
        }

        alice_link.set_mode(ProxyMode::Forward);
        for text in offline {
            wait_for_delivery_within(&alice, text, own_delivery).await;
        }
        assert_eq!(
            relay.frames_of_type("msg"),
            1 + offline.len(),
            "alice's outbox went out while bob was away"
        );
        assert_ne!(bob.status_text().await, "Connected", "bob is still away");

        bob_link.set_mode(ProxyMode::Forward);
        let expected: Vec<(&str, &str)> = offline.iter().map(|t| ("alice", *t)).collect();
        bob.wait_for_messages_within(&expected, RECONNECT_LIMIT)
            .await;
        tokio::time::sleep(SETTLE).await;
        for browser in [&alice, &bob] {
            let rows = browser.messages().await;
            for text in offline.iter().chain([&before]) {
                assert_shown_once(browser, &rows, "alice", text);
            }
            assert_eq!(rows.len(), 4, "{}: {rows:?}", browser.label());
        }
        let rows = bob.messages().await;
        let order: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(order, [before, offline[0], offline[1], offline[2]]);
        assert_eq!(relay.frames_of_type("missed"), 1, "one peer answered, once");
    })
    .await;
    harness.shutdown().await;
}

/// On an echo server the only peer is oneself: the page's own request for missed messages
/// comes back to it, and it must not answer it (nor show anything twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_an_echo_server_a_page_back_from_an_outage_never_answers_itself() {
    // Light: one browser that mostly waits out an outage and its reconnect.
    let harness = Harness::start_light().await;
    let relay = Relay::start(RelayMode::Echo).await;
    let link = Proxy::start(relay.addr()).await;
    bounded(Duration::from_secs(90), async {
        let alice = harness.join_on(&link.ws_url(), "echo", "alice").await;
        alice.wait_for_note(RELAY_NOTE).await;
        alice.send("before").await;
        alice
            .wait_for_delivery("alice", "before", "Delivered")
            .await;
        link.set_mode(ProxyMode::Refuse);
        link.cut_all();
        alice.send("while away").await;
        alice
            .wait_for_delivery("alice", "while away", "Sending")
            .await;
        link.set_mode(ProxyMode::Forward);
        wait_for_delivery_within(&alice, "while away", "Delivered").await;
        wait_until(
            "alice asked again after the outage",
            RECONNECT_LIMIT,
            || async {
                match relay.frames_of_type("catchup") {
                    n if n >= 2 => Ok(()),
                    n => Err(format!("{n} catchup frames")),
                }
            },
        )
        .await;
        tokio::time::sleep(SETTLE).await;
        let rows = alice.messages().await;
        assert_shown_once(&alice, &rows, "alice", "before");
        assert_shown_once(&alice, &rows, "alice", "while away");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(relay.frames_of_type("missed"), 0, "nobody to answer");
    })
    .await;
    harness.shutdown().await;
}

/// Waits, longer than a reconnect takes, for `browser`'s own `text` to carry `delivery`.
async fn wait_for_delivery_within(browser: &Browser, text: &str, delivery: &str) {
    let name = browser.label().to_owned();
    let what = format!("{name}: its {text:?} marked {delivery:?}");
    wait_until(&what, RECONNECT_LIMIT, || async {
        let rows = browser.try_messages().await?;
        if rows
            .iter()
            .any(|r| r.shows(&name, text) && r.delivery.as_deref() == Some(delivery))
        {
            Ok(())
        } else {
            Err(format!(
                "status {:?}, rows {rows:?}",
                browser.status_text().await
            ))
        }
    })
    .await;
}
