//! Relay catch-up with several sessions on a simulated plain relay (broadcast, skipping the
//! sender, or echo) over links that can go down, in simulated time.

use std::collections::VecDeque;
use wirechat_protocol::{
    decode, encode, Catchup, ChatMessage, Frame, Missed, MAX_CATCHUP_MSGS, MAX_SERVER_FRAME_BYTES,
};
use wirechat_session::{Command, Input, ServerMode, Session, SessionConfig};

const T0: u64 = 1_764_000_000_000;
const ROOM: &str = "lobby";

/// Whom the relay passes each frame to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Broadcast,
    NoSelf,
    Echo,
}

struct Peer {
    session: Session,
    /// Whether the network lets this peer reach the relay.
    up: bool,
    /// Whether this peer's socket is open.
    open: bool,
    wake: Option<u64>,
}

/// A relay that knows nothing of the protocol, with one link per peer.
struct Relay {
    mode: Mode,
    peers: Vec<Peer>,
    now: u64,
    queue: VecDeque<(usize, Input)>,
    /// Every frame a peer wrote on an open socket: (peer, frame).
    written: Vec<(usize, Frame)>,
}

impl Relay {
    fn new(mode: Mode, names: &[&str]) -> Self {
        let peers = names
            .iter()
            .enumerate()
            .map(|(i, name)| Peer {
                session: Session::new(
                    SessionConfig {
                        name: (*name).into(),
                        rooms: vec![ROOM.into()],
                        ..SessionConfig::default()
                    },
                    1000 + i as u64,
                ),
                up: true,
                open: false,
                wake: None,
            })
            .collect();
        let mut relay = Self {
            mode,
            peers,
            now: T0,
            queue: VecDeque::new(),
            written: Vec::new(),
        };
        for i in 0..names.len() {
            relay.input(i, Input::Start);
        }
        // Past the wait for a `hello`: every peer takes the server for a relay and asks.
        relay.run_for(4_000);
        for peer in &relay.peers {
            assert_eq!(peer.session.mode(), &ServerMode::Relay);
        }
        relay
    }

    fn input(&mut self, peer: usize, input: Input) {
        self.queue.push_back((peer, input));
        while let Some((i, input)) = self.queue.pop_front() {
            let commands = self.peers[i].session.handle(self.now, input);
            for command in commands {
                self.carry_out(i, command);
            }
        }
    }

    fn carry_out(&mut self, i: usize, command: Command) {
        match command {
            Command::Connect { .. } => {
                let peer = &mut self.peers[i];
                peer.open = peer.up;
                let answer = if peer.up {
                    Input::Opened {
                        protocol: String::new(),
                    }
                } else {
                    Input::Closed {
                        code: 1006,
                        reason: String::new(),
                    }
                };
                self.queue.push_back((i, answer));
            }
            Command::Send(text) => {
                if !self.peers[i].open {
                    return;
                }
                self.written
                    .push((i, decode(&text).expect("peers write valid frames")));
                for j in self.recipients(i) {
                    self.queue.push_back((j, Input::Text(text.clone())));
                }
            }
            Command::Close { .. } => self.peers[i].open = false,
            Command::WakeAt(t) => self.peers[i].wake = Some(t),
            // Relays carry no identity.
            Command::NeedToken
            | Command::KeepResume(_)
            | Command::Probe
            | Command::EndProbe
            | Command::RememberTransport(_) => {}
        }
    }

    fn recipients(&self, sender: usize) -> Vec<usize> {
        (0..self.peers.len())
            .filter(|&j| self.peers[j].open)
            .filter(|&j| match self.mode {
                Mode::Broadcast => true,
                Mode::NoSelf => j != sender,
                Mode::Echo => j == sender,
            })
            .collect()
    }

    /// Runs every timer due in the next `ms` milliseconds, in order.
    fn run_for(&mut self, ms: u64) {
        let end = self.now + ms;
        loop {
            let next = self
                .peers
                .iter()
                .filter_map(|p| p.wake)
                .filter(|&t| t <= end)
                .min();
            let Some(next) = next else { break };
            self.now = self.now.max(next);
            for i in 0..self.peers.len() {
                if self.peers[i].wake == Some(next) {
                    self.peers[i].wake = None;
                    self.input(i, Input::Tick);
                }
            }
        }
        self.now = end;
    }

    /// The network between `peer` and the relay fails: its socket drops.
    fn cut(&mut self, peer: usize) {
        self.peers[peer].up = false;
        if self.peers[peer].open {
            self.peers[peer].open = false;
            self.input(
                peer,
                Input::Closed {
                    code: 1006,
                    reason: String::new(),
                },
            );
        }
    }

    /// The network comes back; the peer reconnects now, as on the browser's `online` event.
    fn heal(&mut self, peer: usize) {
        self.peers[peer].up = true;
        self.input(peer, Input::RetryNow);
    }

    fn compose(&mut self, peer: usize, id: &str, text: &str) {
        self.input(
            peer,
            Input::Compose {
                id: id.into(),
                text: text.into(),
            },
        );
    }

    /// The texts `peer` shows, in order.
    fn texts(&self, peer: usize) -> Vec<String> {
        self.peers[peer]
            .session
            .room(ROOM)
            .expect("joined")
            .entries()
            .iter()
            .map(|e| e.msg.text.clone())
            .collect()
    }

    fn answers(&self) -> Vec<(usize, Missed)> {
        self.written
            .iter()
            .filter_map(|(i, f)| match f {
                Frame::Missed(m) => Some((*i, m.clone())),
                _ => None,
            })
            .collect()
    }

    fn requests(&self) -> Vec<(usize, Catchup)> {
        self.written
            .iter()
            .filter_map(|(i, f)| match f {
                Frame::Catchup(c) => Some((*i, c.clone())),
                _ => None,
            })
            .collect()
    }
}

fn count(texts: &[String], text: &str) -> usize {
    texts.iter().filter(|t| *t == text).count()
}

/// Finding 4: after an outage the sender is back first; its outbox goes out to nobody (or
/// only back to itself), and the peer who returns a moment later must still get it, once.
fn the_sender_back_first(mode: Mode) {
    let mut relay = Relay::new(mode, &["alice", "bob"]);
    relay.compose(0, "b1", "before the outage");
    relay.run_for(100);
    assert_eq!(relay.texts(1), ["before the outage"]);

    relay.cut(0);
    relay.cut(1);
    relay.run_for(1_000);
    let offline = ["offline 1", "offline 2", "offline 3"];
    for (n, text) in offline.iter().enumerate() {
        relay.compose(0, &format!("o{n}"), text);
        relay.run_for(200);
    }
    relay.heal(0);
    relay.run_for(5_000);
    assert!(relay.peers[0].open, "alice is back");
    relay.heal(1);
    relay.run_for(15_000);

    let bob = relay.texts(1);
    assert_eq!(count(&bob, "before the outage"), 1, "{mode:?}: {bob:?}");
    for text in offline {
        assert_eq!(count(&bob, text), 1, "{mode:?}: bob shows {bob:?}");
    }
    assert_eq!(&bob[1..], offline, "{mode:?}: in the order written");
    let alice = relay.texts(0);
    assert_eq!(alice.len(), 4, "{mode:?}: alice shows {alice:?}");
    assert_eq!(relay.answers().len(), 1, "{mode:?}: one answer");
}

#[test]
fn on_a_broadcast_relay_a_peer_back_after_the_sender_still_gets_its_offline_messages() {
    the_sender_back_first(Mode::Broadcast);
}

#[test]
fn on_a_relay_that_skips_the_sender_a_peer_back_after_the_sender_still_gets_them() {
    the_sender_back_first(Mode::NoSelf);
}

#[test]
fn on_an_echo_server_a_client_never_answers_its_own_request() {
    let mut relay = Relay::new(Mode::Echo, &["alice"]);
    relay.compose(0, "m1", "one");
    relay.run_for(100);
    relay.cut(0);
    relay.compose(0, "m2", "two");
    relay.run_for(1_000);
    relay.heal(0);
    relay.run_for(15_000);
    assert!(
        !relay.requests().is_empty(),
        "alice asked on each relay connection"
    );
    assert!(relay.answers().is_empty(), "{:?}", relay.answers());
    assert_eq!(relay.texts(0), ["one", "two"]);
}

#[test]
fn one_peer_answers_and_the_others_stay_silent() {
    for mode in [Mode::Broadcast, Mode::NoSelf] {
        let mut relay = Relay::new(mode, &["alice", "bob", "carol", "dan"]);
        for n in 0..5 {
            relay.compose(n % 3, &format!("m{n}"), &format!("message {n}"));
            relay.run_for(100);
        }
        relay.cut(3);
        relay.run_for(100);
        relay.compose(0, "late", "while dan was away");
        relay.run_for(100);
        relay.heal(3);
        relay.run_for(15_000);
        let answers = relay.answers();
        assert_eq!(answers.len(), 1, "{mode:?}: {answers:?}");
        let dan = relay.texts(3);
        assert_eq!(count(&dan, "while dan was away"), 1, "{mode:?}: {dan:?}");
        assert_eq!(dan.len(), 6, "{mode:?}: {dan:?}");
    }
}

#[test]
fn a_peer_with_more_adds_only_what_the_first_answer_lacked() {
    let mut relay = Relay::new(Mode::Broadcast, &["alice", "bob", "carol"]);
    relay.compose(0, "m0", "all three saw this");
    relay.run_for(100);
    relay.cut(1);
    relay.cut(2);
    relay.compose(0, "m1", "alice alone");
    relay.run_for(1_000);
    // Bob comes back, gets "alice alone" from alice, then carol returns.
    relay.heal(1);
    relay.run_for(15_000);
    relay.cut(0);
    relay.compose(1, "m2", "bob to whoever listens");
    relay.run_for(100);
    relay.heal(2);
    relay.heal(0);
    relay.run_for(15_000);
    for (peer, name) in [(0, "alice"), (1, "bob"), (2, "carol")] {
        let texts = relay.texts(peer);
        for text in [
            "all three saw this",
            "alice alone",
            "bob to whoever listens",
        ] {
            assert_eq!(count(&texts, text), 1, "{name}: {texts:?}");
        }
    }
    // No answer repeats a message another answer to the same request carried.
    let answers = relay.answers();
    for (i, (_, a)) in answers.iter().enumerate() {
        for (_, b) in &answers[i + 1..] {
            if a.to == b.to {
                assert!(
                    a.msgs.iter().all(|m| !b.msgs.iter().any(|n| n.id == m.id)),
                    "{answers:?}"
                );
            }
        }
    }
}

#[test]
fn an_answer_stays_under_the_frame_and_count_bounds() {
    let mut relay = Relay::new(Mode::NoSelf, &["alice", "bob"]);
    relay.cut(1);
    // Escape-heavy text at the length limit: each quote is two bytes in JSON.
    let heavy = "\"".repeat(4_000);
    for n in 0..300 {
        let text = if n % 2 == 0 {
            format!("{n} {}", &heavy[..3_990])
        } else {
            format!("short {n}")
        };
        relay.compose(0, &format!("m{n}"), &text);
    }
    relay.heal(1);
    relay.run_for(15_000);
    let answers = relay.answers();
    assert!(!answers.is_empty());
    for (_, answer) in &answers {
        let size = encode(&Frame::Missed(answer.clone())).len();
        assert!(size <= MAX_SERVER_FRAME_BYTES, "{size} bytes");
        assert!(answer.msgs.len() <= MAX_CATCHUP_MSGS);
    }
    // What came is the newest part, in order.
    let bob = relay.texts(1);
    assert_eq!(bob.last().map(String::as_str), Some("short 299"));
    assert!(bob.len() < 100, "cut by bytes: {} messages", bob.len());

    let mut relay = Relay::new(Mode::NoSelf, &["alice", "bob"]);
    relay.cut(1);
    for n in 0..300 {
        relay.compose(0, &format!("m{n}"), &format!("short {n}"));
    }
    relay.heal(1);
    relay.run_for(15_000);
    let answers = relay.answers();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].1.msgs.len(), MAX_CATCHUP_MSGS);
    assert_eq!(relay.texts(1).len(), MAX_CATCHUP_MSGS);
}

/// A session alone on a relay that asked for what it missed; returns it and its request.
fn asker() -> (Session, Catchup) {
    let mut s = Session::new(
        SessionConfig {
            name: "bob".into(),
            rooms: vec![ROOM.into()],
            ..SessionConfig::default()
        },
        7,
    );
    s.handle(T0, Input::Start);
    s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    let commands = s.handle(T0 + 3_000, Input::Tick);
    let request = commands
        .iter()
        .find_map(|c| match c {
            Command::Send(t) => match decode(t) {
                Ok(Frame::Catchup(c)) => Some(c),
                _ => None,
            },
            _ => None,
        })
        .expect("a relay session asks for what it missed");
    assert_eq!(request.room, ROOM);
    assert_eq!(request.since, None, "an empty room asks for everything");
    (s, request)
}

fn message(id: &str, room: &str, ts: u64) -> ChatMessage {
    ChatMessage {
        uid: None,
        id: id.into(),
        room: room.into(),
        from: "alice".into(),
        text: format!("text {id}"),
        ts: wirechat_protocol::Timestamp::saturating_from_millis(ts),
        seq: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

fn answer(to: &str, room: &str, msgs: Vec<ChatMessage>) -> Input {
    Input::Text(encode(&Frame::Missed(Missed {
        room: room.into(),
        to: to.into(),
        from: "alice".into(),
        msgs,
    })))
}

fn ids(s: &Session) -> Vec<String> {
    s.room(ROOM)
        .map(|log| log.entries().iter().map(|e| e.msg.id.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn duplicated_and_reordered_ids_in_answers_are_stored_once_in_time_order() {
    let (mut s, request) = asker();
    let now = T0 + 3_100;
    let msgs = vec![
        message("c", ROOM, T0 - 10),
        message("a", ROOM, T0 - 30),
        message("b", ROOM, T0 - 20),
        message("a", ROOM, T0 - 30),
    ];
    s.handle(now, answer(&request.nonce, ROOM, msgs));
    assert_eq!(ids(&s), ["a", "b", "c"]);
    // A second answer to the same request adds only what is new.
    let more = vec![message("b", ROOM, T0 - 20), message("d", ROOM, T0 - 5)];
    s.handle(now + 50, answer(&request.nonce, ROOM, more));
    assert_eq!(ids(&s), ["a", "b", "c", "d"]);
}

#[test]
fn answers_nobody_asked_for_or_for_other_rooms_are_ignored() {
    let (mut s, request) = asker();
    let now = T0 + 3_100;
    s.handle(
        now,
        answer("not-a-nonce", ROOM, vec![message("x", ROOM, T0)]),
    );
    s.handle(
        now,
        answer(
            &request.nonce,
            "elsewhere",
            vec![message("y", "elsewhere", T0)],
        ),
    );
    // Messages of another room inside an answer for this one are left out too.
    s.handle(
        now,
        answer(&request.nonce, ROOM, vec![message("z", "elsewhere", T0)]),
    );
    assert!(ids(&s).is_empty(), "{:?}", ids(&s));
    assert!(s.room("elsewhere").is_none());
    // After the window closes, even the right nonce is ignored.
    s.handle(now + 20_000, Input::Tick);
    s.handle(
        now + 20_000,
        answer(&request.nonce, ROOM, vec![message("w", ROOM, T0)]),
    );
    assert!(ids(&s).is_empty(), "{:?}", ids(&s));
}

#[test]
fn a_request_is_answered_once_even_when_it_comes_twice() {
    let mut relay = Relay::new(Mode::Broadcast, &["alice"]);
    relay.compose(0, "m1", "hello");
    relay.run_for(100);
    let request = Frame::Catchup(Catchup {
        room: ROOM.into(),
        from: "zed".into(),
        nonce: "zed-1".into(),
        since: None,
        have: vec![],
    });
    relay.input(0, Input::Text(encode(&request)));
    relay.input(0, Input::Text(encode(&request)));
    relay.run_for(2_000);
    relay.input(0, Input::Text(encode(&request)));
    relay.run_for(2_000);
    let answers = relay.answers();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].1.to, "zed-1");
    assert_eq!(answers[0].1.msgs.len(), 1);
    // A request for a room alice is not in gets nothing.
    let elsewhere = Frame::Catchup(Catchup {
        room: "elsewhere".into(),
        from: "zed".into(),
        nonce: "zed-2".into(),
        since: None,
        have: vec![],
    });
    relay.input(0, Input::Text(encode(&elsewhere)));
    relay.run_for(2_000);
    assert_eq!(relay.answers().len(), 1);
}

#[test]
fn what_the_asker_has_and_what_came_before_since_are_left_out() {
    let mut relay = Relay::new(Mode::Broadcast, &["alice"]);
    relay.compose(0, "m1", "old");
    relay.run_for(100);
    relay.compose(0, "m2", "had");
    relay.run_for(100);
    relay.compose(0, "m3", "missing");
    relay.run_for(100);
    let sent_ts = |id: &str| {
        relay.peers[0]
            .session
            .room(ROOM)
            .and_then(|l| l.get(id))
            .map(|e| e.msg.ts)
            .unwrap()
    };
    let since = sent_ts("m2");
    let request = Frame::Catchup(Catchup {
        room: ROOM.into(),
        from: "zed".into(),
        nonce: "zed-1".into(),
        since: Some(since.as_millis()),
        have: vec!["m2".into()],
    });
    relay.input(0, Input::Text(encode(&request)));
    relay.run_for(2_000);
    let answers = relay.answers();
    let ids: Vec<&str> = answers[0].1.msgs.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["m3"]);
}

#[test]
fn a_server_that_said_hello_gets_no_catchup_and_its_answers_are_ignored() {
    let mut s = Session::new(SessionConfig::default(), 3);
    s.handle(T0, Input::Start);
    let mut commands = s.handle(
        T0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    commands.extend(s.handle(
        T0,
        Input::Text(r#"{"type":"hello","epoch":"e","features":["history"]}"#.into()),
    ));
    commands.extend(s.handle(T0 + 5_000, Input::Tick));
    let asked = commands
        .iter()
        .any(|c| matches!(c, Command::Send(t) if t.contains("catchup")));
    assert!(!asked, "{commands:?}");
    s.handle(T0 + 5_000, answer("x", ROOM, vec![message("a", ROOM, T0)]));
    assert!(ids(&s).is_empty());
}
