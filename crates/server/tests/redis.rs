//! Several real server processes sharing one real Redis (`--redis`): order, deduplication,
//! resume and outages across nodes, through real WebSocket clients.
//!
//! Each test starts its own `redis-server` on a free port with persistence off, and stops it.

use crate::common;
use crate::process;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{answers, msg, Client};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use wirechat_protocol::{close_code, error_code, Fetch, Frame, Join};

/// A `redis-server` of the test's own, killed when dropped.
struct RedisServer {
    port: u16,
    child: Child,
}

impl RedisServer {
    fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts (scripts/setup.sh installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < process::WAIT, "redis-server listens");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { port, child }
    }

    fn start() -> Self {
        Self::start_on(free_port())
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends the process `signal` (`STOP` freezes it with its data, `CONT` thaws it): an
    /// outage after which Redis comes back as it was.
    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `wirechat-server` process on Redis, killed when dropped.
struct Node {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Node {
    fn start(redis: &RedisServer) -> Self {
        Self::start_with(redis, &[])
    }

    fn start_with(redis: &RedisServer, more: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = redis.url();
        let args = [&["--redis", &url, "--no-rate-limits"], more].concat();
        let mut child = process::server_in(dir.path(), &args);
        let port = process::wait_until_listening(&mut child);
        Self {
            port,
            child,
            _dir: dir,
        }
    }

    async fn connect(&self) -> Client {
        let url = format!("ws://127.0.0.1:{}/ws", self.port);
        Client::connect_request(url.into_client_request().unwrap()).await
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        process::exit_status(&mut self.child);
    }
}

/// Reads until the message `id` arrives and returns its `seq`.
async fn seq_of(client: &mut Client, id: &str) -> u64 {
    match client
        .recv_until(|f| matches!(f, Frame::Msg(m) if m.id == id))
        .await
    {
        Frame::Msg(m) => m.seq.expect("a delivered message has a seq"),
        _ => unreachable!(),
    }
}

/// The ids of every `msg` the client gets until it has seen `last`.
async fn ids_until(client: &mut Client, last: &str) -> Vec<(String, u64)> {
    let mut seen = Vec::new();
    loop {
        if let Frame::Msg(m) = client.recv().await {
            seen.push((m.id.clone(), m.seq.unwrap()));
            if m.id == last {
                return seen;
            }
        }
    }
}

/// Two nodes on `redis`, with alice on the first and bob on the second in "lobby".
async fn alice_and_bob(redis: &RedisServer) -> ((Node, Node), Client, Client) {
    let (a, b) = (Node::start(redis), Node::start(redis));
    let mut alice = a.connect().await;
    let mut bob = b.connect().await;
    alice.join("lobby", "alice").await;
    bob.join("lobby", "bob").await;
    ((a, b), alice, bob)
}

fn join_after(room: &str, name: &str, after: u64, epoch: &str) -> Frame {
    Frame::Join(Join {
        room: room.into(),
        name: name.into(),
        after: Some(after),
        epoch: Some(epoch.into()),
        deltas: false,
        req: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_different_nodes_share_one_order_and_history() {
    let redis = RedisServer::start();
    let (a, b) = (Node::start(&redis), Node::start(&redis));
    let mut alice = a.connect().await;
    let mut bob = b.connect().await;
    assert_eq!(
        alice.hello.epoch, bob.hello.epoch,
        "the nodes share an epoch"
    );
    alice.join("lobby", "alice").await;
    bob.join("lobby", "bob").await;

    // Both send at once, from both nodes.
    let sends = 20;
    for i in 0..sends {
        alice.send(msg(&format!("a{i}"), "lobby", "from a")).await;
        bob.send(msg(&format!("b{i}"), "lobby", "from b")).await;
    }
    let mut seen_by_alice = ids_until(&mut alice, &format!("b{}", sends - 1)).await;
    let mut seen_by_bob = ids_until(&mut bob, &format!("a{}", sends - 1)).await;
    // Whoever's last id came first may still have the other's tail to read.
    for (client, seen) in [
        (&mut alice, &mut seen_by_alice),
        (&mut bob, &mut seen_by_bob),
    ] {
        while seen.len() < 2 * sends {
            if let Frame::Msg(m) = client.recv().await {
                seen.push((m.id.clone(), m.seq.unwrap()));
            }
        }
    }
    let seqs: Vec<u64> = seen_by_alice.iter().map(|(_, seq)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=2 * sends as u64).collect::<Vec<_>>(),
        "seq has no gap or repeat"
    );
    assert_eq!(
        seen_by_alice, seen_by_bob,
        "both nodes deliver the same order"
    );

    // A retry of alice's first message reaches node B: acknowledged with its seq, not stored.
    let first_seq = seen_by_alice.iter().find(|(id, _)| id == "a0").unwrap().1;
    bob.send(msg("a0", "lobby", "from a")).await;
    match bob
        .recv_until(|f| matches!(f, Frame::Ack(_) | Frame::Msg(_) | Frame::Error(_)))
        .await
    {
        Frame::Ack(ack) => assert_eq!((ack.id.as_str(), ack.seq), ("a0", Some(first_seq))),
        other => panic!("expected the ack of the retry, got {other:?}"),
    }
    let stored = bob.fetch_from_start("lobby").await;
    assert_eq!(
        stored.msgs.len(),
        2 * sends,
        "the retry was not stored again"
    );
    assert_eq!(stored.msgs.iter().filter(|m| m.id == "a0").count(), 1);
    assert_eq!(stored.latest, Some(2 * sends as u64));

    // Carol saw up to seq 5 on node A and resumes on node B.
    let mut carol = b.connect().await;
    carol
        .send(join_after("lobby", "carol", 5, &alice.hello.epoch))
        .await;
    let missed = carol.history_of("lobby").await;
    let resumed: Vec<u64> = missed.msgs.iter().map(|m| m.seq.unwrap()).collect();
    assert_eq!(resumed, (6..=2 * sends as u64).collect::<Vec<_>>());
    assert_eq!(
        missed.msgs.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
        seen_by_alice[5..]
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>(),
    );

    // Paging back works on any node too.
    carol
        .send(Frame::Fetch(Fetch {
            room: "lobby".into(),
            before: Some(6),
            after: None,
            limit: Some(3),
            req: None,
        }))
        .await;
    let older = carol.history_of("lobby").await;
    assert_eq!(
        older
            .msgs
            .iter()
            .map(|m| m.seq.unwrap())
            .collect::<Vec<_>>(),
        [3, 4, 5]
    );
    assert!(older.more);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_crosses_nodes() {
    let redis = RedisServer::start();
    let (_nodes, mut alice, mut bob) = alice_and_bob(&redis).await;
    bob.send(Frame::Typing(wirechat_protocol::Typing {
        room: "lobby".into(),
        from: "whoever".into(),
    }))
    .await;
    match alice.recv_until(|f| matches!(f, Frame::Typing(_))).await {
        Frame::Typing(t) => assert_eq!(t.from, "bob"),
        _ => unreachable!(),
    }
}

/// Sends `id` until it is confirmed (its echo or an ack), counting `unavailable` answers.
async fn send_until_confirmed(client: &mut Client, id: &str, deadline: Instant) -> (u64, usize) {
    let mut refused = 0;
    loop {
        assert!(Instant::now() < deadline, "{id} was not confirmed in time");
        client.send(msg(id, "lobby", "during the outage")).await;
        match client.recv_until(answers(id)).await {
            Frame::Msg(m) => return (m.seq.unwrap(), refused),
            Frame::Ack(a) => return (a.seq.unwrap(), refused),
            Frame::Error(e) => {
                assert_eq!(e.code, error_code::UNAVAILABLE, "{e:?}");
                assert_eq!(e.id.as_deref(), Some(id));
                refused += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            _ => unreachable!(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_refuses_sends_until_the_nodes_recover() {
    let mut redis = RedisServer::start();
    let (a, b) = (Node::start(&redis), Node::start(&redis));
    let mut alice = a.connect().await;
    let mut bob = b.connect().await;
    let old_epoch = alice.hello.epoch.clone();
    alice.join("lobby", "alice").await;
    bob.join("lobby", "bob").await;
    alice
        .send(msg("before", "lobby", "before the outage"))
        .await;
    assert_eq!(seq_of(&mut alice, "before").await, 1);
    assert_eq!(seq_of(&mut bob, "before").await, 1);

    // Redis goes away: a send is answered `unavailable`, never dropped in silence.
    redis.stop();
    alice
        .send(msg("during", "lobby", "while Redis is down"))
        .await;
    match alice
        .recv_until(|f| matches!(f, Frame::Error(_) | Frame::Msg(_)))
        .await
    {
        Frame::Error(e) => {
            assert_eq!(e.code, error_code::UNAVAILABLE);
            assert_eq!(e.id.as_deref(), Some("during"));
        }
        other => panic!("expected unavailable, got {other:?}"),
    }

    // Redis comes back empty (no persistence): the nodes reconnect and make a new epoch,
    // and close their members' connections (1001) so clients drop their old cursors.
    let redis = RedisServer::start_on(redis.port);
    assert_eq!(alice.close_code().await, close_code::GOING_AWAY);
    assert_eq!(bob.close_code().await, close_code::GOING_AWAY);
    let mut alice = a.connect().await;
    let mut bob = b.connect().await;
    assert_ne!(
        alice.hello.epoch, old_epoch,
        "Redis lost its data: a new epoch"
    );
    assert_eq!(alice.hello.epoch, bob.hello.epoch);
    alice.join("lobby", "alice").await;
    let before_gone = bob.join("lobby", "bob").await;
    assert!(
        before_gone.msgs.is_empty(),
        "what was stored before the restart is gone"
    );

    // The message that was refused is confirmed once, on retry, and reaches node B.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (seq, _) = send_until_confirmed(&mut alice, "during", deadline).await;
    assert_eq!(seq, 1, "numbering starts again under the new epoch");
    assert_eq!(seq_of(&mut bob, "during").await, seq);
    // A retry after the confirmation is acknowledged, not stored twice.
    let (again, refused) = send_until_confirmed(&mut alice, "during", deadline).await;
    assert_eq!((again, refused), (seq, 0));
    let stored = bob.fetch_from_start("lobby").await;
    let ids: Vec<&str> = stored.msgs.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["during"]);
    drop(redis);
}

/// A message refused during an outage is stored before the ones its sender wrote after it,
/// even when the store is back before the refused one is sent again: those are refused too
/// until it comes. Otherwise the room would hold the sender's messages in another order than
/// they were written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_refused_in_an_outage_keeps_its_place_before_later_ones() {
    let redis = RedisServer::start();
    let node = Node::start(&redis);
    let mut alice = node.connect().await;
    alice.join("lobby", "alice").await;

    // Redis freezes: the first message is refused once the node gives up waiting.
    redis.signal("STOP");
    alice.send(msg("m1", "lobby", "written first")).await;
    match alice.recv_until(answers("m1")).await {
        Frame::Error(e) => assert_eq!(e.code, error_code::UNAVAILABLE, "{e:?}"),
        other => panic!("expected unavailable, got {other:?}"),
    }
    // Redis is back, with its data: the connection stays. The second message, written
    // after the first, must not go before it.
    redis.signal("CONT");
    alice.send(msg("m2", "lobby", "written second")).await;
    match alice.recv_until(answers("m2")).await {
        Frame::Error(e) => {
            assert_eq!(e.code, error_code::UNAVAILABLE, "{e:?}");
            assert_eq!(e.id.as_deref(), Some("m2"));
        }
        other => panic!("m2 went before the refused m1: {other:?}"),
    }
    // Sent again in the order written, both are stored in that order.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (first, _) = send_until_confirmed(&mut alice, "m1", deadline).await;
    let (second, _) = send_until_confirmed(&mut alice, "m2", deadline).await;
    assert!(first < second, "m1 stored at {first}, m2 at {second}");
}

/// Polls the client until its newest presence list of `room` is `users`; returns how long
/// that took.
async fn presence_becomes(
    client: &mut Client,
    room: &str,
    users: &[&str],
    within: Duration,
) -> Duration {
    let started = Instant::now();
    let mut last = None;
    loop {
        for frame in client.sync().await {
            if let Frame::Presence(p) = frame {
                if p.room == room {
                    last = Some(p.users);
                }
            }
        }
        if last.as_deref().is_some_and(|seen| seen == users) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "presence of {room} is {last:?}, not {users:?}, after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_spans_nodes_and_drops_a_killed_nodes_users_within_the_bound() {
    let redis = RedisServer::start();
    let (a, b) = (Node::start(&redis), Node::start(&redis));
    let mut c = Node::start(&redis);
    let mut alice = a.connect().await;
    let mut bob = b.connect().await;
    let mut carol = c.connect().await;
    alice.join("lobby", "alice").await;
    bob.join("lobby", "bob").await;
    carol.join("lobby", "carol").await;
    let all = ["alice", "bob", "carol"];
    presence_becomes(&mut alice, "lobby", &all, Duration::from_secs(10)).await;
    presence_becomes(&mut bob, "lobby", &all, Duration::from_secs(10)).await;

    // A node that dies takes no leave with it: its entries expire (15 s) and the others drop
    // them at their next renewal (every 5 s).
    let _ = c.child.kill();
    process::exit_status(&mut c.child);
    let bound = Duration::from_secs(20);
    let took = presence_becomes(
        &mut alice,
        "lobby",
        &["alice", "bob"],
        bound + Duration::from_secs(3),
    )
    .await;
    println!("presence dropped the killed node's user after {took:?} (bound {bound:?})");
    presence_becomes(&mut bob, "lobby", &["alice", "bob"], Duration::from_secs(6)).await;
    drop(carol);

    // The killed node's names are free again: somebody else may go by "carol" now.
    let mut another = a.connect().await;
    let joined = another.join("lobby", "carol").await;
    assert_eq!(joined.name.as_deref(), Some("carol"));
}

/// Connects to `node` and sends `resume` as the first frame; returns the client and the uid
/// it gives.
async fn resumed(node: &Node, resume: &str) -> (Client, String) {
    let mut client = node.connect().await;
    client
        .send(Frame::Auth(wirechat_protocol::Auth {
            token: resume.into(),
        }))
        .await;
    match client.recv().await {
        Frame::Authed(authed) => (client, authed.uid),
        other => panic!("expected the resumed guest's authed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_resumes_on_another_node_and_after_redis_lost_its_data() {
    let mut redis = RedisServer::start();
    let (a, b) = (Node::start(&redis), Node::start(&redis));
    let mut guest = a.connect().await;
    let authed = guest.authed.clone().expect("a guest's authed");
    let resume = authed.resume.expect("a guest's authed carries resume");
    assert_eq!(
        resumed(&b, &resume).await.1,
        authed.uid,
        "node B knows node A's guest"
    );

    // Redis comes back empty: the running nodes put their shared key back (before they
    // close their members' connections), so a node that starts afterwards knows the guest.
    guest.join("lobby", "guest").await;
    redis.stop();
    let redis = RedisServer::start_on(redis.port);
    assert_eq!(guest.close_code().await, close_code::GOING_AWAY);
    let c = Node::start(&redis);
    assert_eq!(resumed(&c, &resume).await.1, authed.uid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_unique_across_nodes_and_shared_by_one_users_tabs() {
    let redis = RedisServer::start();
    let (a, b) = (Node::start(&redis), Node::start(&redis));
    let mut first = a.connect().await;
    let mut second = b.connect().await;
    assert_eq!(
        first.join("lobby", "alice").await.name.as_deref(),
        Some("alice")
    );
    assert_eq!(
        second.join("lobby", "alice").await.name.as_deref(),
        Some("alice (2)"),
        "another user on another node gets the next free name"
    );
    let both = ["alice", "alice (2)"];
    presence_becomes(&mut first, "lobby", &both, Duration::from_secs(10)).await;
    presence_becomes(&mut second, "lobby", &both, Duration::from_secs(10)).await;

    // The first user's second tab, on node B, resumes the same uid and shares its name.
    let resume = first.authed.clone().unwrap().resume.unwrap();
    let (mut tab, uid) = resumed(&b, &resume).await;
    assert_eq!(Some(uid), first.authed.map(|a| a.uid));
    assert_eq!(
        tab.join("lobby", "alice").await.name.as_deref(),
        Some("alice")
    );
    presence_becomes(&mut tab, "lobby", &both, Duration::from_secs(10)).await;
}

/// On Redis replies are kept and cross nodes; search is not, which the nodes say in `hello`
/// and with `unsupported`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_cross_nodes_and_search_is_unsupported() {
    use wirechat_protocol::{feature, Search};
    let redis = RedisServer::start();
    let (_nodes, mut alice, mut bob) = alice_and_bob(&redis).await;
    assert!(alice.hello.has(feature::ACTIONS) && !alice.hello.has(feature::SEARCH));
    let Frame::Msg(mut reply) = msg("r1", "lobby", "yes") else {
        unreachable!()
    };
    reply.reply_to = Some("m0".into());
    alice.send(Frame::Msg(reply)).await;
    let Frame::Msg(got) = bob.recv_until(answers("r1")).await else {
        panic!("the reply")
    };
    assert_eq!(got.reply_to.as_deref(), Some("m0"));
    alice
        .send(Frame::Search(Search {
            room: "lobby".into(),
            q: "yes".into(),
            req: Some(1),
        }))
        .await;
    let Frame::Error(error) = alice.recv_until(|f| matches!(f, Frame::Error(_))).await else {
        unreachable!()
    };
    assert_eq!(error.code, error_code::UNSUPPORTED);
}

fn edit(id: &str, text: &str) -> Frame {
    Frame::Edit(wirechat_protocol::Edit {
        room: "lobby".into(),
        id: id.into(),
        text: text.into(),
        from: None,
        uid: None,
        ts: None,
    })
}

fn delete(id: &str) -> Frame {
    Frame::Delete(wirechat_protocol::Delete {
        room: "lobby".into(),
        id: id.into(),
        from: None,
        uid: None,
        ts: None,
    })
}

fn react(id: &str, emoji: &str, on: bool) -> Frame {
    Frame::React(wirechat_protocol::React {
        room: "lobby".into(),
        id: id.into(),
        emoji: emoji.into(),
        on,
        from: None,
        uid: None,
    })
}

/// Sends `frame` and returns the code of the `error` it is refused with.
async fn refusal(client: &mut Client, frame: Frame) -> String {
    client.send(frame).await;
    match client.recv_until(|f| matches!(f, Frame::Error(_))).await {
        Frame::Error(error) => error.code,
        _ => unreachable!(),
    }
}

/// Everything Redis holds, each key's value serialized as Redis keeps it (`DUMP`, with
/// compression off so that text stays readable).
fn everything_in(redis: &RedisServer) -> Vec<(String, Vec<u8>)> {
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("rdbcompression")
        .arg("no")
        .exec(&mut conn)
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn).unwrap();
    keys.into_iter()
        .map(|key| {
            let dumped: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut conn).unwrap();
            (key, dumped)
        })
        .collect()
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

/// Issue 16 on Redis: edits, deletes and reactions made on one node reach members on
/// another in order, only the author may edit or delete, every node's history shows the
/// current state, and a deleted message's text is gone from Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_actions_cross_nodes_and_history_shows_them_everywhere() {
    use wirechat_protocol::{feature, Reaction};
    let redis = RedisServer::start();
    let ((a, b), mut alice, mut bob) = alice_and_bob(&redis).await;
    assert!(alice.hello.has(feature::ACTIONS) && bob.hello.has(feature::ACTIONS));
    let alice_uid = alice.authed.clone().unwrap().uid;
    let bob_uid = bob.authed.clone().unwrap().uid;

    alice.send(msg("m1", "lobby", "helo")).await;
    alice.recv_until(answers("m1")).await;
    alice
        .send(msg("m2", "lobby", "a quite unmistakable secret"))
        .await;
    alice.recv_until(answers("m2")).await;
    bob.recv_until(answers("m2")).await;

    // An edit on A reaches B, after the message, with who made it and when.
    alice.send(edit("m1", "hello")).await;
    let Frame::Edit(edited) = bob.recv_until(|f| matches!(f, Frame::Edit(_))).await else {
        unreachable!()
    };
    assert_eq!((edited.id.as_str(), edited.text.as_str()), ("m1", "hello"));
    assert_eq!(edited.from.as_deref(), Some("alice"));
    assert_eq!(edited.uid.as_deref(), Some(alice_uid.as_str()));
    assert!(edited.ts.is_some());
    // The sender's own copy comes back through Redis too: its confirmation.
    alice.recv_until(|f| matches!(f, Frame::Edit(_))).await;

    // A reaction on B reaches A; two of them are one.
    for _ in 0..2 {
        bob.send(react("m1", "👍", true)).await;
        let Frame::React(reacted) = alice.recv_until(|f| matches!(f, Frame::React(_))).await else {
            unreachable!()
        };
        assert_eq!((reacted.emoji.as_str(), reacted.on), ("👍", true));
        assert_eq!(reacted.uid.as_deref(), Some(bob_uid.as_str()));
    }
    alice.send(react("m1", "🎉", true)).await;
    bob.recv_until(|f| matches!(f, Frame::React(r) if r.emoji == "🎉"))
        .await;

    // Only the author may edit or delete, on whichever node they ask.
    assert_eq!(
        refusal(&mut bob, edit("m1", "bob was here")).await,
        error_code::FORBIDDEN
    );
    assert_eq!(refusal(&mut bob, delete("m2")).await, error_code::FORBIDDEN);
    assert_eq!(
        refusal(&mut bob, edit("nope", "x")).await,
        error_code::NOT_FOUND
    );

    // A delete on A reaches B; the tombstone takes no edit or reaction.
    alice.send(delete("m2")).await;
    let Frame::Delete(deleted) = bob.recv_until(|f| matches!(f, Frame::Delete(_))).await else {
        unreachable!()
    };
    assert_eq!(deleted.id, "m2");
    assert_eq!(deleted.uid.as_deref(), Some(alice_uid.as_str()));
    assert_eq!(
        refusal(&mut alice, edit("m2", "back")).await,
        error_code::NOT_FOUND
    );
    assert_eq!(
        refusal(&mut bob, react("m2", "👍", true)).await,
        error_code::NOT_FOUND
    );

    // History on B, by join and by fetch, and a resume on A, show the current state.
    let expect = |msgs: &[wirechat_protocol::ChatMessage]| {
        let m1 = msgs.iter().find(|m| m.id == "m1").expect("m1 in history");
        assert_eq!(m1.text, "hello");
        assert!(m1.edited.is_some());
        assert_eq!(
            m1.reactions,
            [
                Reaction {
                    emoji: "👍".into(),
                    count: 1,
                    users: vec!["bob".into()],
                },
                Reaction {
                    emoji: "🎉".into(),
                    count: 1,
                    users: vec!["alice".into()],
                },
            ]
        );
        let m2 = msgs.iter().find(|m| m.id == "m2").expect("m2's tombstone");
        assert_eq!((m2.text.as_str(), m2.reactions.len()), ("", 0));
        assert!(m2.deleted.is_some() && m2.edited.is_none());
    };
    let mut carol = b.connect().await;
    expect(&carol.join("lobby", "carol").await.msgs);
    expect(&carol.fetch_from_start("lobby").await.msgs);
    let mut again = a.connect().await;
    again
        .send(join_after("lobby", "dave", 0, &alice.hello.epoch))
        .await;
    expect(&again.history_of("lobby").await.msgs);

    // What Redis keeps holds the edited text but nothing of the deleted one.
    let kept = everything_in(&redis);
    assert!(kept.iter().any(|(_, value)| holds(value, "hello")));
    for (key, value) in &kept {
        assert!(
            !holds(value, "unmistakable secret"),
            "{key} still holds the deleted text"
        );
    }
}

/// Issue 16 on Redis: a read position set on one node reaches the user's connection on
/// another, only moves forward, and comes back in `join` on any node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_positions_cross_nodes_and_only_move_forward() {
    use wirechat_protocol::Read;
    let redis = RedisServer::start();
    let (a, b) = (Node::start(&redis), Node::start(&redis));
    let mut alice = a.connect().await;
    let resume = alice.authed.clone().unwrap().resume.unwrap();
    alice.join("lobby", "alice").await;
    let (mut tab, _) = resumed(&b, &resume).await;
    tab.join("lobby", "alice").await;
    for id in ["m1", "m2", "m3"] {
        alice.send(msg(id, "lobby", "news")).await;
        alice.recv_until(answers(id)).await;
    }
    let read = |seq| {
        Frame::Read(Read {
            room: "lobby".into(),
            seq,
        })
    };
    let read_on_tab = |f: &Frame| matches!(f, Frame::Read(_));
    alice.send(read(2)).await;
    assert_eq!(
        tab.recv_until(read_on_tab).await,
        read(2),
        "the user's connection on B"
    );
    // Backwards changes nothing, and past the newest message is held at it.
    alice.send(read(1)).await;
    assert_eq!(tab.recv_until(read_on_tab).await, read(2));
    tab.send(read(99)).await;
    assert_eq!(alice.recv_until(read_on_tab).await, read(3));

    let (mut later, _) = resumed(&b, &resume).await;
    assert_eq!(later.join("lobby", "alice").await.read, Some(3));
    let (mut elsewhere, _) = resumed(&a, &resume).await;
    assert_eq!(elsewhere.join("lobby", "alice").await.read, Some(3));
    let mut stranger = b.connect().await;
    assert_eq!(stranger.join("lobby", "bob").await.read, None);
}

/// Actions and messages from two nodes reach every node in one order, and reactions on
/// Redis keep the limits they have on one node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_keep_their_order_and_reactions_their_limits_across_nodes() {
    use wirechat_protocol::MAX_REACTION_KINDS;
    let redis = RedisServer::start();
    let (_nodes, mut alice, mut bob) = alice_and_bob(&redis).await;

    // Sent without waiting: B shows the edit after its message and before the next one.
    alice.send(msg("m1", "lobby", "one")).await;
    alice.send(edit("m1", "one, edited")).await;
    alice.send(msg("m2", "lobby", "two")).await;
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("m2") {
        match bob.recv().await {
            Frame::Msg(m) => seen.push(m.id),
            Frame::Edit(e) => seen.push(format!("edit {}", e.id)),
            _ => {}
        }
    }
    assert_eq!(seen, ["m1", "edit m1", "m2"]);

    let emoji: Vec<String> = (0..=MAX_REACTION_KINDS as u32)
        .map(|n| char::from_u32(0x1F600 + n).unwrap().to_string())
        .collect();
    for one in &emoji[..MAX_REACTION_KINDS] {
        alice.send(react("m1", one, true)).await;
        bob.recv_until(|f| matches!(f, Frame::React(r) if r.emoji == *one))
            .await;
    }
    assert_eq!(
        refusal(&mut bob, react("m1", &emoji[MAX_REACTION_KINDS], true)).await,
        error_code::TOO_LARGE
    );
    // A kind the message has already takes more users; taking one back counts it out.
    bob.send(react("m1", &emoji[0], true)).await;
    alice
        .recv_until(|f| matches!(f, Frame::React(r) if r.from.as_deref() == Some("bob")))
        .await;
    alice.send(react("m1", &emoji[1], false)).await;
    bob.recv_until(|f| matches!(f, Frame::React(r) if !r.on))
        .await;
    let history = bob.fetch_from_start("lobby").await;
    let m1 = &history.msgs[0];
    assert_eq!(m1.text, "one, edited");
    assert_eq!(m1.reactions.len(), MAX_REACTION_KINDS - 1);
    assert_eq!(
        (m1.reactions[0].count, m1.reactions[0].users.clone()),
        (2, vec!["alice".to_owned(), "bob".to_owned()])
    );
    assert_eq!(m1.reactions[1].emoji, emoji[2], "in the order first used");
}

/// Retention on Redis drops what actions left on the messages it trims, and actions on
/// those messages find nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_drops_the_state_of_trimmed_messages() {
    let redis = RedisServer::start();
    let a = Node::start_with(&redis, &["--retain-messages", "2"]);
    let mut alice = a.connect().await;
    alice.join("lobby", "alice").await;
    alice.send(msg("m1", "lobby", "first words")).await;
    alice.recv_until(answers("m1")).await;
    alice.send(edit("m1", "edited words")).await;
    alice.recv_until(|f| matches!(f, Frame::Edit(_))).await;
    alice.send(react("m1", "👍", true)).await;
    alice.recv_until(|f| matches!(f, Frame::React(_))).await;
    for id in ["m2", "m3"] {
        alice.send(msg(id, "lobby", "more")).await;
        alice.recv_until(answers(id)).await;
    }
    let history = alice.fetch_from_start("lobby").await;
    let ids: Vec<&str> = history.msgs.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["m2", "m3"]);
    assert_eq!(
        refusal(&mut alice, edit("m1", "x")).await,
        error_code::NOT_FOUND
    );
    for (key, value) in everything_in(&redis) {
        assert!(!holds(&value, "words"), "{key} still holds m1's text");
        assert!(!holds(&value, "👍"), "{key} still holds m1's reaction");
    }
}
