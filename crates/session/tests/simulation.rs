//! Property tests: several sessions against a simulated server over simulated links, with
//! simulated time and random faults — abrupt drops, duplicated and reordered frames,
//! server restarts, offline spells and long pauses. After the faults stop and the system
//! settles, every client must show every message exactly once, in the same order, and no
//! reconnect delay may exceed the backoff cap.

use proptest::prelude::*;
use std::collections::{HashMap, HashSet, VecDeque};
use wirechat_protocol::{
    decode, encode, feature, Ack, ChatMessage, Fetch, Frame, Hello, History, Join,
};
use wirechat_session::{BackoffConfig, Command, Input, Session, SessionConfig, Status};

const T0: u64 = 1_764_000_000_000;
const ROOM: &str = "lobby";
const CLIENTS: usize = 3;
/// The simulated server answers `join.after` and `fetch` with at most this many messages,
/// so long outages exercise the gap-filling path.
const PAGE: usize = 8;

/// The reference server's rules, in miniature: per-room seq, history, dedupe by id.
struct SimServer {
    epoch: String,
    log: Vec<ChatMessage>,
    ids: HashMap<String, u64>,
    reports_latest: bool,
}

impl SimServer {
    fn new(reports_latest: bool) -> Self {
        Self {
            epoch: "epoch-1".into(),
            log: Vec::new(),
            ids: HashMap::new(),
            reports_latest,
        }
    }

    fn hello(&self) -> String {
        encode(&Frame::Hello(Hello {
            server: "sim".into(),
            epoch: self.epoch.clone(),
            features: vec![
                feature::HISTORY.into(),
                feature::ACK.into(),
                feature::PING.into(),
            ],
            max_text: None,
            handshake: None,
        }))
    }

    fn page_after(&self, after: u64, req: Option<u64>) -> String {
        let msgs: Vec<ChatMessage> = self
            .log
            .iter()
            .filter(|m| m.seq.unwrap_or(0) > after)
            .take(PAGE)
            .cloned()
            .collect();
        encode(&Frame::History(History {
            name: None,
            room: ROOM.into(),
            more: false,
            msgs,
            latest: self.latest(),
            req: self.echo(req),
            read: None,
        }))
    }

    fn recent(&self, req: Option<u64>) -> String {
        let start = self.log.len().saturating_sub(100);
        encode(&Frame::History(History {
            name: None,
            room: ROOM.into(),
            more: start > 0,
            msgs: self.log[start..].to_vec(),
            latest: self.latest(),
            req: self.echo(req),
            read: None,
        }))
    }

    /// The request id the answer echoes: the reference server echoes it along with
    /// reporting `latest`; servers that predate both do neither.
    fn echo(&self, req: Option<u64>) -> Option<u64> {
        req.filter(|_| self.reports_latest)
    }

    /// What the reference server reports as `latest`; `None` models servers that do not.
    fn latest(&self) -> Option<u64> {
        (self.reports_latest && !self.log.is_empty()).then_some(self.log.len() as u64)
    }
}

/// One socket: frames in flight both ways.
struct Link {
    opened: bool,
    joined: bool,
    to_client: VecDeque<String>,
    to_server: VecDeque<String>,
}

struct Client {
    session: Session,
    link: Option<Link>,
    wake: Option<u64>,
    composed: usize,
}

struct World {
    now: u64,
    server: SimServer,
    clients: Vec<Client>,
    backoff: BackoffConfig,
    worst_delay: u64,
}

#[derive(Debug, Clone)]
enum Step {
    Compose(usize),
    DeliverToClient(usize),
    DeliverToServer(usize),
    Advance(u64),
    Drop(usize),
    RestartServer,
    DuplicateToClient(usize),
    ReorderToClient(usize),
    DuplicateToServer(usize),
    Offline(usize),
    Online(usize),
    Visible(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let client = 0..CLIENTS;
    prop_oneof![
        6 => client.clone().prop_map(Step::Compose),
        10 => client.clone().prop_map(Step::DeliverToClient),
        10 => client.clone().prop_map(Step::DeliverToServer),
        4 => (0u64..40_000).prop_map(Step::Advance),
        2 => client.clone().prop_map(Step::Drop),
        1 => Just(Step::RestartServer),
        2 => client.clone().prop_map(Step::DuplicateToClient),
        2 => client.clone().prop_map(Step::ReorderToClient),
        1 => client.clone().prop_map(Step::DuplicateToServer),
        1 => client.clone().prop_map(Step::Offline),
        2 => client.clone().prop_map(Step::Online),
        1 => client.prop_map(Step::Visible),
    ]
}

impl World {
    fn new(seed: u64, reports_latest: bool) -> Self {
        let backoff = BackoffConfig::default();
        let mut world = Self {
            now: T0,
            server: SimServer::new(reports_latest),
            clients: Vec::new(),
            backoff,
            worst_delay: 0,
        };
        for i in 0..CLIENTS {
            let config = SessionConfig {
                name: format!("user{i}"),
                backoff,
                ..SessionConfig::default()
            };
            world.clients.push(Client {
                session: Session::new(config, seed.wrapping_add(i as u64)),
                link: None,
                wake: None,
                composed: 0,
            });
            world.input(i, Input::Start);
        }
        world
    }

    fn input(&mut self, i: usize, input: Input) {
        let commands = self.clients[i].session.handle(self.now, input);
        for command in commands {
            match command {
                Command::Connect { .. } => {
                    // The server accepts at once and greets first.
                    let mut to_client = VecDeque::new();
                    to_client.push_back(self.server.hello());
                    self.clients[i].link = Some(Link {
                        opened: false,
                        joined: false,
                        to_client,
                        to_server: VecDeque::new(),
                    });
                }
                Command::Send(text) => {
                    if let Some(link) = self.clients[i].link.as_mut() {
                        link.to_server.push_back(text);
                    }
                }
                // The glue ignores events of a socket it closed itself.
                Command::Close { .. } => self.clients[i].link = None,
                Command::WakeAt(at) => self.clients[i].wake = Some(at),
                // This simulated server welcomes guests: no tokens, nothing to keep.
                Command::NeedToken
                | Command::KeepResume(_)
                | Command::Probe
                | Command::EndProbe
                | Command::RememberTransport(_) => {}
            }
        }
        if let Status::Reconnecting { at } = self.clients[i].session.status() {
            self.worst_delay = self.worst_delay.max(at.saturating_sub(self.now));
        }
    }

    fn apply(&mut self, step: &Step) {
        match *step {
            Step::Compose(i) => {
                let n = self.clients[i].composed;
                self.clients[i].composed += 1;
                self.input(
                    i,
                    Input::Compose {
                        id: format!("c{i}-{n}"),
                        text: format!("message {n} from client {i}"),
                    },
                );
            }
            Step::DeliverToClient(i) => self.deliver_to_client(i),
            Step::DeliverToServer(i) => self.deliver_to_server(i),
            Step::Advance(ms) => self.advance(ms),
            Step::Drop(i) => {
                if self.clients[i].link.take().is_some() {
                    self.input(
                        i,
                        Input::Closed {
                            code: 1006,
                            reason: String::new(),
                        },
                    );
                }
            }
            Step::RestartServer => {
                // History is persistent, like the SQLite store: the epoch stays.
                for i in 0..CLIENTS {
                    if self.clients[i].link.take().is_some() {
                        self.input(
                            i,
                            Input::Closed {
                                code: 1001,
                                reason: "restart".into(),
                            },
                        );
                    }
                }
            }
            Step::DuplicateToClient(i) => {
                if let Some(link) = self.clients[i].link.as_mut() {
                    if let Some(front) = link.to_client.front().cloned() {
                        link.to_client.push_front(front);
                    }
                }
            }
            Step::ReorderToClient(i) => {
                if let Some(link) = self.clients[i].link.as_mut() {
                    if link.opened && link.to_client.len() >= 2 {
                        link.to_client.swap(0, 1);
                    }
                }
            }
            Step::DuplicateToServer(i) => {
                if let Some(link) = self.clients[i].link.as_mut() {
                    if let Some(front) = link.to_server.front().cloned() {
                        link.to_server.push_back(front);
                    }
                }
            }
            Step::Offline(i) => self.input(i, Input::Offline),
            Step::Online(i) => self.input(i, Input::Online),
            Step::Visible(i) => self.input(i, Input::Visible),
        }
    }

    fn advance(&mut self, ms: u64) {
        let until = self.now + ms;
        // Fire every timer that falls due on the way, in time order.
        loop {
            let next = (0..CLIENTS)
                .filter_map(|i| self.clients[i].wake.map(|t| (t, i)))
                .filter(|(t, _)| *t <= until)
                .min();
            let Some((t, i)) = next else { break };
            self.now = self.now.max(t);
            self.clients[i].wake = None;
            self.input(i, Input::Tick);
        }
        self.now = until;
    }

    fn deliver_to_client(&mut self, i: usize) {
        let Some(link) = self.clients[i].link.as_mut() else {
            return;
        };
        if !link.opened {
            // The hello is the server's first frame, so it arrives right behind the open.
            link.opened = true;
            let hello = link.to_client.pop_front();
            self.input(
                i,
                Input::Opened {
                    protocol: String::new(),
                },
            );
            if let Some(hello) = hello {
                self.input(i, Input::Text(hello));
            }
            return;
        }
        if let Some(text) = link.to_client.pop_front() {
            self.input(i, Input::Text(text));
        }
    }

    fn deliver_to_server(&mut self, i: usize) {
        let Some(text) = self.clients[i]
            .link
            .as_mut()
            .and_then(|l| l.to_server.pop_front())
        else {
            return;
        };
        let mut replies = Vec::new();
        let mut broadcast = None;
        match decode(&text).expect("clients send valid frames") {
            Frame::Join(Join {
                after, epoch, req, ..
            }) => {
                if let Some(link) = self.clients[i].link.as_mut() {
                    link.joined = true;
                }
                let resume = after.filter(|_| epoch.as_deref() == Some(&self.server.epoch));
                replies.push(match resume {
                    Some(after) => self.server.page_after(after, req),
                    None => self.server.recent(req),
                });
            }
            Frame::Msg(mut msg) => match self.server.ids.get(&msg.id) {
                Some(&seq) => replies.push(encode(&Frame::Ack(Ack {
                    id: msg.id,
                    room: ROOM.into(),
                    seq: Some(seq),
                }))),
                None => {
                    let seq = self.server.log.len() as u64 + 1;
                    msg.seq = Some(seq);
                    self.server.ids.insert(msg.id.clone(), seq);
                    self.server.log.push(msg.clone());
                    broadcast = Some(encode(&Frame::Msg(msg)));
                }
            },
            Frame::Fetch(Fetch {
                after: Some(after),
                req,
                ..
            }) => replies.push(self.server.page_after(after, req)),
            Frame::Ping(ping) => replies.push(encode(&Frame::Pong(ping))),
            _ => {}
        }
        if let Some(link) = self.clients[i].link.as_mut() {
            link.to_client.extend(replies);
        }
        if let Some(frame) = broadcast {
            for client in &mut self.clients {
                if let Some(link) = client.link.as_mut().filter(|l| l.joined) {
                    link.to_client.push_back(frame.clone());
                }
            }
        }
    }

    /// No more faults: everyone online, frames flow, timers fire, failed messages are
    /// retried as a user would, until nothing is left to do.
    fn settle(&mut self) {
        for i in 0..CLIENTS {
            self.input(i, Input::Online);
        }
        for _ in 0..20_000 {
            let mut busy = false;
            for i in 0..CLIENTS {
                let failed: Vec<String> = self.clients[i]
                    .session
                    .room(ROOM)
                    .map(|log| {
                        log.entries()
                            .iter()
                            .filter(|e| e.delivery == Some(wirechat_session::Delivery::Failed))
                            .map(|e| e.msg.id.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                for id in failed {
                    self.input(i, Input::RetryMessage(id));
                    busy = true;
                }
                if let Some(link) = &self.clients[i].link {
                    if !link.opened || !link.to_client.is_empty() {
                        self.deliver_to_client(i);
                        busy = true;
                    }
                }
                if self.clients[i]
                    .link
                    .as_ref()
                    .is_some_and(|l| !l.to_server.is_empty())
                {
                    self.deliver_to_server(i);
                    busy = true;
                }
            }
            let unsettled = self.clients.iter().any(|c| {
                c.session.status() != Status::Connected || !c.session.unconfirmed().is_empty()
            });
            if !busy {
                if !unsettled && self.all_caught_up() {
                    return;
                }
                self.advance(1_000);
            }
        }
        panic!("the system did not settle");
    }

    fn all_caught_up(&self) -> bool {
        let want = self.server.log.len();
        self.clients
            .iter()
            .all(|c| c.session.room(ROOM).map_or(0, |l| l.len()) >= want)
    }

    fn shown_ids(&self, i: usize) -> Vec<String> {
        self.clients[i]
            .session
            .room(ROOM)
            .map(|log| log.entries().iter().map(|e| e.msg.id.clone()).collect())
            .unwrap_or_default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    #[test]
    fn no_message_is_lost_or_shown_twice(
        seed in any::<u64>(),
        reports_latest in any::<bool>(),
        steps in prop::collection::vec(step(), 0..250),
    ) {
        let mut world = World::new(seed, reports_latest);
        for step in &steps {
            world.apply(step);
        }
        world.settle();

        let composed: HashSet<String> = (0..CLIENTS)
            .flat_map(|i| (0..world.clients[i].composed).map(move |n| format!("c{i}-{n}")))
            .collect();
        prop_assert_eq!(world.server.log.len(), composed.len(), "the server stored each message once");
        let reference = world.shown_ids(0);
        for i in 0..CLIENTS {
            let shown = world.shown_ids(i);
            let unique: HashSet<&String> = shown.iter().collect();
            prop_assert_eq!(unique.len(), shown.len(), "client {} shows a message twice", i);
            let shown_set: HashSet<String> = shown.iter().cloned().collect();
            prop_assert_eq!(&shown_set, &composed, "client {} lost or invented messages", i);
            prop_assert_eq!(&shown, &reference, "client {} shows another order", i);
        }
        let server_order: Vec<String> = world.server.log.iter().map(|m| m.id.clone()).collect();
        prop_assert_eq!(reference, server_order, "clients show the server's order");
        prop_assert!(
            world.worst_delay <= world.backoff.max_ms,
            "a reconnect waited {} ms, over the {} ms cap", world.worst_delay, world.backoff.max_ms
        );
    }
}

#[test]
fn a_long_outage_is_filled_page_by_page() {
    for reports_latest in [true, false] {
        long_outage(reports_latest);
    }
}

fn long_outage(reports_latest: bool) {
    let mut world = World::new(7, reports_latest);
    world.settle();
    world.apply(&Step::Offline(2));
    world.apply(&Step::Drop(2));
    for _ in 0..(PAGE * 3 + 1) {
        world.apply(&Step::Compose(0));
        world.apply(&Step::DeliverToServer(0));
    }
    world.settle();
    assert_eq!(world.shown_ids(2), world.shown_ids(0));
    assert_eq!(world.shown_ids(2).len(), PAGE * 3 + 1);
}
