use super::super::{Command, Input, Session, SessionConfig};
use super::{RememberedTransport, TransportKind, TransportReason};
use crate::store::Delivery;
use proptest::prelude::*;
use wirechat_protocol::{encode, ChatMessage, Frame, Hello, History, Timestamp};

const T0: u64 = 1_764_000_000_000;
const WS: TransportKind = TransportKind::WebSocket;
const SSE: TransportKind = TransportKind::Sse;
const POLL: TransportKind = TransportKind::LongPolling;

fn hello_offering(fallbacks: &[&str]) -> String {
    let mut features = vec!["history".to_owned(), "ack".into(), "ping".into()];
    features.extend(fallbacks.iter().map(|f| (*f).to_owned()));
    encode(&Frame::Hello(Hello {
        server: "test".into(),
        epoch: "e1".into(),
        features,
        max_text: None,
        handshake: None,
    }))
}

fn hello() -> String {
    hello_offering(&["sse", "long-polling"])
}

fn session_with(config: SessionConfig) -> Session {
    Session::new(
        SessionConfig {
            name: "alice".into(),
            ..config
        },
        7,
    )
}

/// The transport named by the `Connect` among `cmds`, if any.
fn connect_over(cmds: &[Command]) -> Option<TransportKind> {
    cmds.iter().find_map(|c| match c {
        Command::Connect { transport, .. } => Some(*transport),
        _ => None,
    })
}

fn closed() -> Input {
    Input::Closed {
        code: 1006,
        reason: String::new(),
    }
}

fn opened() -> Input {
    Input::Opened {
        protocol: String::new(),
    }
}

/// Waits out the backoff; returns the time and the transport of the next attempt.
fn next_attempt(s: &mut Session, now: u64) -> (u64, TransportKind) {
    let at = now + 30_000;
    let cmds = s.handle(at, Input::Tick);
    (at, connect_over(&cmds).expect("a new attempt"))
}

#[test]
fn a_websocket_that_cannot_open_falls_back_to_sse_then_to_long_polling() {
    let mut s = session_with(SessionConfig::default());
    assert_eq!(connect_over(&s.handle(T0, Input::Start)), Some(WS));
    assert_eq!(s.transport(), (WS, TransportReason::FirstChoice));
    s.handle(T0 + 10, closed());
    let (now, kind) = next_attempt(&mut s, T0 + 10);
    assert_eq!(kind, SSE);
    assert_eq!(s.transport(), (SSE, TransportReason::CouldNotOpen(WS)));
    s.handle(now, closed());
    let (now, kind) = next_attempt(&mut s, now);
    assert_eq!(kind, POLL);
    assert_eq!(s.transport(), (POLL, TransportReason::CouldNotOpen(SSE)));
    // Nothing opened at all: the configured order starts over.
    s.handle(now, closed());
    assert_eq!(next_attempt(&mut s, now).1, WS);
}

#[test]
fn a_websocket_cut_before_its_first_frame_falls_back_and_says_so() {
    let mut s = session_with(SessionConfig::default());
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    s.handle(T0 + 5, closed());
    assert_eq!(next_attempt(&mut s, T0 + 5).1, SSE);
    assert_eq!(s.transport(), (SSE, TransportReason::DiedEarly(WS)));
}

#[test]
fn a_connect_timeout_falls_back_too() {
    let mut s = session_with(SessionConfig::default());
    s.handle(T0, Input::Start);
    s.handle(T0 + 10_000, Input::Tick);
    assert_eq!(next_attempt(&mut s, T0 + 10_000).1, SSE);
}

#[test]
fn a_transport_that_worked_is_kept_when_its_connection_drops_later() {
    let mut s = session_with(SessionConfig::default());
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    let cmds = s.handle(T0, Input::Text(hello()));
    assert!(cmds.contains(&Command::RememberTransport(WS)));
    s.handle(T0 + 60_000, closed());
    assert_eq!(next_attempt(&mut s, T0 + 60_000).1, WS);
}

#[test]
fn a_fallback_the_server_did_not_announce_is_skipped() {
    let mut s = session_with(SessionConfig::default());
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    s.handle(T0, Input::Text(hello_offering(&["long-polling"])));
    s.handle(T0 + 1, closed());
    let (now, kind) = next_attempt(&mut s, T0 + 1);
    assert_eq!(kind, WS);
    s.handle(now, closed());
    assert_eq!(next_attempt(&mut s, now).1, POLL);
}

#[test]
fn a_relay_offers_no_fallback_so_an_outage_is_retried_over_a_websocket() {
    let mut s = session_with(SessionConfig::default());
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    // No hello: once the wait for one is over, this is a relay.
    s.handle(T0 + 3_000, Input::Tick);
    s.handle(T0 + 4_000, closed());
    // The relay is down: attempts that cannot open stay on a WebSocket.
    let (now, kind) = next_attempt(&mut s, T0 + 4_000);
    assert_eq!(kind, WS);
    s.handle(now, closed());
    let (now, kind) = next_attempt(&mut s, now);
    assert_eq!(kind, WS);
    s.handle(now, closed());
    assert_eq!(next_attempt(&mut s, now).1, WS);
}

#[test]
fn only_the_configured_transports_are_used_in_their_order() {
    let mut s = session_with(SessionConfig {
        transports: vec![POLL, SSE],
        ..SessionConfig::default()
    });
    assert_eq!(connect_over(&s.handle(T0, Input::Start)), Some(POLL));
    s.handle(T0, closed());
    assert_eq!(next_attempt(&mut s, T0).1, SSE);
}

#[test]
fn a_fresh_remembered_transport_is_used_first_and_a_stale_one_is_not() {
    let remembered = |at| SessionConfig {
        remembered_transport: Some(RememberedTransport { kind: POLL, at }),
        ..SessionConfig::default()
    };
    let mut fresh = session_with(remembered(T0 - 59 * 60_000));
    assert_eq!(connect_over(&fresh.handle(T0, Input::Start)), Some(POLL));
    assert_eq!(fresh.transport(), (POLL, TransportReason::Remembered));
    let mut stale = session_with(remembered(T0 - 61 * 60_000));
    assert_eq!(connect_over(&stale.handle(T0, Input::Start)), Some(WS));
    let mut not_configured = session_with(SessionConfig {
        transports: vec![WS, SSE],
        ..remembered(T0)
    });
    assert_eq!(
        connect_over(&not_configured.handle(T0, Input::Start)),
        Some(WS)
    );
}

fn message(id: &str, seq: Option<u64>) -> ChatMessage {
    ChatMessage {
        uid: None,
        id: id.into(),
        room: "lobby".into(),
        from: "bob".into(),
        text: id.into(),
        ts: Timestamp::saturating_from_millis(T0),
        seq,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

fn history(msgs: Vec<ChatMessage>) -> Input {
    let latest = msgs.last().and_then(|m| m.seq);
    Input::Text(encode(&Frame::History(History {
        name: None,
        room: "lobby".into(),
        msgs,
        more: false,
        latest,
        req: None,
        read: None,
    })))
}

/// A session chatting over long polling, with one message from bob shown.
fn on_long_polling() -> Session {
    let mut s = session_with(SessionConfig {
        remembered_transport: Some(RememberedTransport { kind: POLL, at: T0 }),
        ..SessionConfig::default()
    });
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    // No `ping` feature: the link stays up through the minutes these tests skip.
    let quiet = encode(&Frame::Hello(Hello {
        server: "test".into(),
        epoch: "e1".into(),
        features: vec!["history".into(), "ack".into(), "long-polling".into()],
        max_text: None,
        handshake: None,
    }));
    s.handle(T0, Input::Text(quiet));
    s.handle(T0, history(vec![message("b1", Some(1))]));
    s
}

#[test]
fn on_a_fallback_a_websocket_probe_that_reaches_hello_moves_the_session_over() {
    let mut s = on_long_polling();
    let every = SessionConfig::default().upgrade_every_ms;
    assert!(!s
        .handle(T0 + every - 1, Input::Tick)
        .contains(&Command::Probe));
    assert!(s.handle(T0 + every, Input::Tick).contains(&Command::Probe));
    // Written while the probe opens: it goes out on long polling, unconfirmed.
    s.handle(
        T0 + every + 1,
        Input::Compose {
            id: "a1".into(),
            text: "hi".into(),
        },
    );
    let cmds = s.handle(T0 + every + 2, Input::ProbeFrame(hello()));
    assert!(cmds.contains(&Command::EndProbe));
    assert!(cmds.iter().any(|c| matches!(c, Command::Close { .. })));
    assert_eq!(connect_over(&cmds), Some(WS));
    assert_eq!(s.transport(), (WS, TransportReason::Upgraded));

    // The new connection resumes after seq 1 and sends the unconfirmed message again.
    let cmds = s.handle(T0 + every + 3, opened());
    let sent: Vec<Frame> = cmds
        .iter()
        .filter_map(|c| match c {
            Command::Send(t) => wirechat_protocol::decode(t).ok(),
            _ => None,
        })
        .collect();
    assert!(sent
        .iter()
        .any(|f| matches!(f, Frame::Join(j) if j.after == Some(1))));
    assert!(sent
        .iter()
        .any(|f| matches!(f, Frame::Msg(m) if m.id == "a1")));
    let cmds = s.handle(T0 + every + 3, Input::Text(hello()));
    assert!(cmds.contains(&Command::RememberTransport(WS)));
    // The server had taken a1 on long polling already: its replay and the echo of the
    // resend are one message, as is bob's message replayed.
    let mut mine = message("a1", Some(2));
    mine.from = "alice".into();
    s.handle(
        T0 + every + 4,
        history(vec![message("b1", Some(1)), mine.clone()]),
    );
    s.handle(T0 + every + 5, Input::Text(encode(&Frame::Msg(mine))));
    let log = s.room("lobby").unwrap();
    let ids: Vec<&str> = log.entries().iter().map(|e| e.msg.id.as_str()).collect();
    assert_eq!(ids, ["b1", "a1"]);
    assert_eq!(log.get("a1").unwrap().delivery, Some(Delivery::Delivered));
    // On a WebSocket, no more probes.
    assert!(!s
        .handle(T0 + 10 * every, Input::Tick)
        .contains(&Command::Probe));
}

#[test]
fn a_probe_that_fails_or_takes_too_long_is_tried_again_later() {
    let mut s = on_long_polling();
    let every = SessionConfig::default().upgrade_every_ms;
    let timeout = SessionConfig::default().connect_timeout_ms;
    s.handle(T0 + every, Input::Tick);
    s.handle(T0 + every + 1, Input::ProbeClosed);
    assert_eq!(s.transport().0, POLL);
    let second = T0 + 2 * every + 1;
    assert!(s.handle(second, Input::Tick).contains(&Command::Probe));
    let cmds = s.handle(second + timeout, Input::Tick);
    assert!(cmds.contains(&Command::EndProbe));
    assert_eq!(connect_over(&cmds), None);
    assert!(s
        .handle(second + timeout + every, Input::Tick)
        .contains(&Command::Probe));
    // A probe answered by something that is not a hello (a proxy's page, say) is no upgrade.
    let cmds = s.handle(
        second + timeout + every + 1,
        Input::ProbeFrame("<html>".into()),
    );
    assert!(cmds.contains(&Command::EndProbe));
    assert_eq!(s.transport().0, POLL);
}

#[test]
fn without_websocket_in_the_list_there_is_no_probe() {
    let mut s = session_with(SessionConfig {
        transports: vec![SSE],
        ..SessionConfig::default()
    });
    s.handle(T0, Input::Start);
    s.handle(T0, opened());
    s.handle(T0, Input::Text(hello()));
    let every = SessionConfig::default().upgrade_every_ms;
    assert!(!s
        .handle(T0 + 5 * every, Input::Tick)
        .contains(&Command::Probe));
}

#[test]
fn the_http_urls_come_from_the_websocket_url() {
    let cases = [
        ("ws://chat.example/ws", SSE, "http://chat.example/sse"),
        (
            "wss://chat.example:8443/ws",
            POLL,
            "https://chat.example:8443/poll",
        ),
        (
            "wss://chat.example/chat/ws?x=1#y",
            SSE,
            "https://chat.example/chat/sse",
        ),
        ("ws://127.0.0.1:9000", POLL, "http://127.0.0.1:9000/poll"),
        ("ws://h/socket/", SSE, "http://h/socket/sse"),
    ];
    for (ws, kind, http) in cases {
        assert_eq!(kind.url_for(ws).as_deref(), Some(http), "{ws}");
    }
    assert_eq!(WS.url_for("wss://h/ws").as_deref(), Some("wss://h/ws"));
    assert_eq!(SSE.url_for("https://h/ws"), None);
}

#[test]
fn names_round_trip() {
    for kind in TransportKind::ALL {
        assert_eq!(TransportKind::from_name(kind.name()), Some(kind));
    }
    assert_eq!(TransportKind::from_name("polling"), None);
}

/// One attempt's fate in the property test.
#[derive(Debug, Clone)]
enum Fate {
    NeverOpens,
    DiesBeforeHello,
    /// Reaches a `hello` announcing these fallbacks, then drops.
    Works(Vec<&'static str>),
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        Just(Fate::NeverOpens),
        Just(Fate::DiesBeforeHello),
        prop::sample::subsequence(vec!["sse", "long-polling"], 0..=2).prop_map(Fate::Works),
    ]
}

fn order() -> impl Strategy<Value = Vec<TransportKind>> {
    prop::sample::subsequence(TransportKind::ALL.to_vec(), 1..=3).prop_shuffle()
}

proptest! {
    /// Whatever happens to the attempts, each one uses a configured transport, never a
    /// fallback the server's last `hello` left out, and a transport that reached `hello` is
    /// used again for the next attempt.
    #[test]
    fn attempts_stay_within_the_configured_and_announced_transports(
        order in order(),
        fates in prop::collection::vec(fate(), 1..24),
    ) {
        let mut s = session_with(SessionConfig {
            transports: order.clone(),
            ..SessionConfig::default()
        });
        let mut now = T0;
        let mut kind = connect_over(&s.handle(now, Input::Start)).unwrap();
        let mut announced: Option<Vec<&str>> = None;
        for fate in fates {
            prop_assert!(order.contains(&kind));
            if let Some(offered) = &announced {
                prop_assert!(kind == WS || offered.contains(&kind.name()));
            }
            let worked = matches!(fate, Fate::Works(_));
            match fate {
                Fate::NeverOpens => {}
                Fate::DiesBeforeHello => {
                    s.handle(now, opened());
                }
                Fate::Works(mut fallbacks) => {
                    // A server that carried the hello over a fallback offers it.
                    if kind != WS && !fallbacks.contains(&kind.name()) {
                        fallbacks.push(kind.name());
                    }
                    s.handle(now, opened());
                    s.handle(now, Input::Text(hello_offering(&fallbacks)));
                    announced = Some(fallbacks);
                }
            }
            s.handle(now, closed());
            let before = kind;
            (now, kind) = next_attempt(&mut s, now);
            if worked {
                prop_assert_eq!(kind, before);
            }
        }
    }
}
