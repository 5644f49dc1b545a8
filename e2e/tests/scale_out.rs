//! Scale-out: three server nodes on one Redis (docs/SCALING.md), browsers spread over them.
//!
//! Each test starts its own `redis-server` (persistence off) on a free port and three
//! `wirechat-server --redis` nodes, each serving the release build with a `config.json` that
//! lists every node, itself first. Browsers chat across nodes; nodes are killed with SIGKILL
//! and Redis is restarted; what must hold is that every browser shows every message once,
//! in one order, and that clients of a dead node fail over to the next address of their list.
//!
//! Needs `redis-server`, the server binary (`cargo build -p wirechat-server`) and `dist/`
//! (`trunk build --release`). The figures (lost, duplicated, time to reconnect, presence) are
//! printed; run with `--nocapture` to see them.

use std::time::Duration;

use serde_json::json;
use tempfile::TempDir;
use tokio::time::{sleep, Instant};
use wirechat_e2e::{
    bounded, free_loopback_port, server_binary, site_with_app, wait_until, Browser, Harness,
    MessageRow, RedisServer, RoomBot, ServerProcess, DEFAULT_WAIT,
};

/// How long each test may run.
const SCALE_BOUND: Duration = Duration::from_secs(90);

/// How long a browser of a dead node may take to be connected again: two failed attempts
/// on the dead node (backoff ceilings 0.5 s, 1 s, 2 s) and the handshake with the next one,
/// with slack for two busy cores.
const FAILOVER_LIMIT: Duration = Duration::from_secs(15);

/// The presence bound docs/SCALING.md states for a crashed node's users, plus polling slack.
const PRESENCE_BOUND: Duration = Duration::from_secs(20);
const PRESENCE_WATCH: Duration = Duration::from_secs(25);

/// How long nodes and clients may take to recover after Redis comes back.
const REDIS_RECOVERY: Duration = Duration::from_secs(30);

/// How long a finished log is left alone before it is counted, so a late duplicate shows.
const SETTLE: Duration = Duration::from_secs(2);

/// Redis, three nodes on it, and the sites they serve.
struct Cluster {
    redis: RedisServer,
    nodes: Vec<ServerProcess>,
    _data: Vec<TempDir>,
    _sites: Vec<TempDir>,
}

impl Cluster {
    /// Starts Redis and `count` nodes; node `i` serves a `config.json` listing every node's
    /// socket, node `i` first and the others after it in order.
    async fn start(count: usize) -> Self {
        let redis = RedisServer::start().await;
        let ports: Vec<u16> = (0..count).map(|_| free_loopback_port()).collect();
        let (mut nodes, mut data, mut sites) = (Vec::new(), Vec::new(), Vec::new());
        for first in 0..count {
            let list: Vec<String> = (0..count)
                .map(|k| format!("ws://127.0.0.1:{}/ws", ports[(first + k) % count]))
                .collect();
            let site = site_with_app("", |config| {
                config.insert("server".into(), json!(list));
            });
            let dir = tempfile::tempdir().expect("create a node's data directory");
            let args = vec![
                "--redis".to_owned(),
                redis.url(),
                "--dist".to_owned(),
                site.path().display().to_string(),
            ];
            let node =
                ServerProcess::start_with_args(&server_binary(), ports[first], dir.path(), args)
                    .await;
            nodes.push(node);
            data.push(dir);
            sites.push(site);
        }
        Self {
            redis,
            nodes,
            _data: data,
            _sites: sites,
        }
    }

    /// The page of node `node` opening `room` as `name`.
    fn page(&self, node: usize, room: &str, name: &str) -> String {
        self.nodes[node].http_url(&format!("/?room={room}&name={name}"))
    }
}

/// Opens a browser named `name` on node `node`'s page and waits until it is connected.
async fn join(
    harness: &Harness,
    cluster: &Cluster,
    node: usize,
    room: &str,
    name: &str,
) -> Browser {
    let browser = harness.launch(name).await;
    browser.goto(&cluster.page(node, room, name)).await;
    browser.find_by_role("log", "Messages").await;
    browser.wait_for_status("Connected").await;
    browser
}

/// Browsers on three nodes chat in one room: each sees every message, once, and all see
/// them in the same order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_on_three_nodes_see_the_same_messages_in_the_same_order() {
    let harness = Harness::start().await;
    let cluster = Cluster::start(3).await;
    bounded(SCALE_BOUND, async {
        let names = ["alice", "bob", "carol"];
        let mut browsers = Vec::new();
        for (node, name) in names.iter().enumerate() {
            browsers.push(join(&harness, &cluster, node, "three", name).await);
        }
        let mut expected = Vec::new();
        for round in 1..=3 {
            for (browser, name) in browsers.iter().zip(names) {
                let text = format!("{name} round {round}");
                browser.send(&text).await;
                expected.push((name, text));
            }
        }
        let wanted: Vec<(&str, &str)> = expected.iter().map(|(n, t)| (*n, t.as_str())).collect();
        for browser in &browsers {
            browser.wait_for_messages(&wanted).await;
        }
        for (browser, name) in browsers.iter().zip(names) {
            for (from, text) in expected.iter().filter(|(from, _)| *from == name) {
                browser.wait_for_delivery(from, text, "Delivered").await;
            }
        }
        sleep(SETTLE).await;
        let mut orders = Vec::new();
        for browser in &browsers {
            let rows = browser.messages().await;
            for (from, text) in &expected {
                assert_eq!(count(&rows, from, text), 1, "{}: {rows:?}", browser.label());
            }
            let order: Vec<String> = rows.iter().map(|r| r.text.clone()).collect();
            println!("three nodes: {} shows {order:?}", browser.label());
            orders.push(order);
        }
        assert!(
            orders.windows(2).all(|w| w[0] == w[1]),
            "the same order everywhere: {orders:?}"
        );
    })
    .await;
    harness.shutdown().await;
}

/// Node 0 is killed with SIGKILL in the middle of a burst. Its browser, whose list starts
/// with the dead node, moves to the next node, resumes there, sends what it wrote
/// meanwhile, and shows every message exactly once; so does a browser on another node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_nodes_browsers_fail_over_and_show_every_message_once() {
    let harness = Harness::start().await;
    let mut cluster = Cluster::start(3).await;
    bounded(SCALE_BOUND, async {
        let alice = join(&harness, &cluster, 0, "burst", "alice").await;
        let bob = join(&harness, &cluster, 1, "burst", "bob").await;
        let mut bot = RoomBot::join(&cluster.nodes[2].ws_url(), "burst", "bot").await;

        let burst: Vec<String> = (0..60).map(|i| format!("burst {i:02}")).collect();
        let mut killed = None;
        for (i, text) in burst.iter().enumerate() {
            if i == 20 {
                cluster.nodes[0].kill();
                killed = Some(Instant::now());
            }
            bot.say(text).await;
            sleep(Duration::from_millis(25)).await;
        }
        let killed = killed.expect("the node was killed during the burst");
        // Written by alice while her node is gone: kept in her outbox, sent after failover.
        let written: Vec<String> = (1..=3)
            .map(|i| format!("alice after the crash {i}"))
            .collect();
        for text in &written {
            alice.send(text).await;
        }

        let reconnected = wait_until(
            "alice: connected again on another node",
            FAILOVER_LIMIT,
            || async {
                let status = alice.status_text().await;
                if status == "Connected" {
                    Ok(killed.elapsed())
                } else {
                    Err(format!("status {status:?}"))
                }
            },
        )
        .await;

        let mut wanted: Vec<(&str, &str)> = burst.iter().map(|t| ("bot", t.as_str())).collect();
        wanted.extend(written.iter().map(|t| ("alice", t.as_str())));
        alice.wait_for_messages(&wanted).await;
        bob.wait_for_messages(&wanted).await;
        for text in &written {
            alice.wait_for_delivery("alice", text, "Delivered").await;
        }
        sleep(SETTLE).await;

        for browser in [&alice, &bob] {
            let rows = browser.messages().await;
            let (lost, duplicated) = lost_and_duplicated(&rows, &wanted);
            println!(
                "node death: {} shows {} rows; lost {lost}, duplicated {duplicated}; \
                 alice connected again {} ms after the kill",
                browser.label(),
                rows.len(),
                reconnected.as_millis()
            );
            assert_eq!((lost, duplicated), (0, 0), "{}: {rows:?}", browser.label());
        }
        let order = |rows: &[MessageRow]| rows.iter().map(|r| r.text.clone()).collect::<Vec<_>>();
        assert_eq!(order(&alice.messages().await), order(&bob.messages().await));
    })
    .await;
    harness.shutdown().await;
}

/// A node dies with a member that never comes back (a bot): the browsers on the other
/// nodes drop it from their presence lists within the bound docs/SCALING.md states.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_forgets_a_dead_nodes_members_within_the_stated_bound() {
    let harness = Harness::start().await;
    let mut cluster = Cluster::start(3).await;
    bounded(SCALE_BOUND, async {
        let bob = join(&harness, &cluster, 1, "presence", "bob").await;
        let _dora = RoomBot::join(&cluster.nodes[0].ws_url(), "presence", "dora").await;
        wait_until("bob: dora online", DEFAULT_WAIT, || async {
            let people = bob.online_people().await;
            if people.iter().any(|p| p == "dora") {
                Ok(())
            } else {
                Err(format!("{people:?}"))
            }
        })
        .await;

        cluster.nodes[0].kill();
        let killed = Instant::now();
        let gone = wait_until("bob: dora gone from Online", PRESENCE_WATCH, || async {
            let people = bob.online_people().await;
            if people.iter().any(|p| p == "dora") {
                Err(format!("{people:?}"))
            } else {
                Ok(killed.elapsed())
            }
        })
        .await;
        println!(
            "presence: dora left bob's list {} ms after her node died (bound {} s)",
            gone.as_millis(),
            PRESENCE_BOUND.as_secs()
        );
        assert!(gone <= PRESENCE_BOUND, "took {gone:?}");
    })
    .await;
    harness.shutdown().await;
}

/// Redis is killed and restarted, empty, during a chat. The nodes recover, the browsers
/// reconnect, and nothing confirmed is lost from their views or shown twice; messages
/// written during the outage arrive once, in the order written. A page opened afterwards finds only what came
/// after the restart, since Redis without persistence lost the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_loses_no_confirmed_message_and_duplicates_none() {
    let harness = Harness::start().await;
    let mut cluster = Cluster::start(3).await;
    bounded(SCALE_BOUND, async {
        let alice = join(&harness, &cluster, 0, "restart", "alice").await;
        let bob = join(&harness, &cluster, 1, "restart", "bob").await;
        let before: Vec<String> = (1..=3).map(|i| format!("before the restart {i}")).collect();
        for text in &before {
            alice.send(text).await;
        }
        for text in &before {
            alice.wait_for_delivery("alice", text, "Delivered").await;
        }
        let wanted_before: Vec<(&str, &str)> =
            before.iter().map(|t| ("alice", t.as_str())).collect();
        bob.wait_for_messages(&wanted_before).await;

        cluster.redis.kill();
        let outage = Instant::now();
        let during: Vec<String> = (1..=2).map(|i| format!("during the outage {i}")).collect();
        for text in &during {
            bob.send(text).await;
            // Apart, as people type: the first is refused before the second is written.
            sleep(Duration::from_millis(300)).await;
        }
        sleep(Duration::from_secs(2)).await;
        cluster.redis.restart().await;

        let mut wanted = wanted_before.clone();
        wanted.extend(during.iter().map(|t| ("bob", t.as_str())));
        for text in &during {
            wait_until(
                "bob: the outage's messages delivered",
                REDIS_RECOVERY,
                || async {
                    let rows = bob.try_messages().await?;
                    let delivered = rows.iter().any(|r| {
                        r.shows("bob", text) && r.delivery.as_deref() == Some("Delivered")
                    });
                    if delivered {
                        Ok(())
                    } else {
                        Err(format!(
                            "status {:?}, rows {rows:?}",
                            bob.status_text().await
                        ))
                    }
                },
            )
            .await;
        }
        alice
            .wait_for_messages_within(&wanted, REDIS_RECOVERY)
            .await;
        let recovered = outage.elapsed();
        let after = "after the restart";
        alice.send(after).await;
        wanted.push(("alice", after));
        bob.wait_for_messages(&wanted).await;
        sleep(SETTLE).await;

        for browser in [&alice, &bob] {
            let rows = browser.messages().await;
            let (lost, duplicated) = lost_and_duplicated(&rows, &wanted);
            println!(
                "redis restart: {} shows {} rows; lost {lost}, duplicated {duplicated}; \
                 the outage's messages delivered {} ms after Redis went down",
                browser.label(),
                rows.len(),
                recovered.as_millis()
            );
            assert_eq!((lost, duplicated), (0, 0), "{}: {rows:?}", browser.label());
            // Stored in the order written, so shown in that order on every page.
            let at = |text: &str| rows.iter().position(|r| r.shows("bob", text));
            assert!(
                at(&during[0]) < at(&during[1]),
                "{}: the outage's messages out of order: {rows:?}",
                browser.label()
            );
        }

        // A page opened now reads the history Redis holds: only what came after the restart.
        let carol = join(&harness, &cluster, 2, "restart", "carol").await;
        carol.wait_for_message("alice", after).await;
        sleep(SETTLE).await;
        let rows = carol.messages().await;
        let kept: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        println!("redis restart: a page opened afterwards finds {kept:?}");
        for text in &before {
            assert_eq!(count(&rows, "alice", text), 0, "history is gone: {rows:?}");
        }
    })
    .await;
    harness.shutdown().await;
}

fn count(rows: &[MessageRow], from: &str, text: &str) -> usize {
    rows.iter().filter(|row| row.shows(from, text)).count()
}

/// How many of `wanted` the rows miss, and how many extra copies they show.
fn lost_and_duplicated(rows: &[MessageRow], wanted: &[(&str, &str)]) -> (usize, usize) {
    let mut lost = 0;
    let mut duplicated = 0;
    for (from, text) in wanted {
        match count(rows, from, text) {
            0 => lost += 1,
            n => duplicated += n - 1,
        }
    }
    (lost, duplicated)
}
