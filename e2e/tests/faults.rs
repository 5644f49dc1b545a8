//! Faults between the browsers and the server: the server binary killed with SIGKILL and
//! restarted on the same data, links cut without a close frame, refused while a page
//! reloads, and left half-open. What must hold through all of it: no message is lost, none
//! is shown twice, and the status tells the truth.
//!
//! Each browser reaches the server through its own [`Proxy`], so one link can fail alone.
//! The page comes from the harness's in-process server, which stays up, so pages load and
//! reload while the chat server is down.
//!
//! Needs the server binary: `cargo build -p wirechat-server` (or `WIRECHAT_SERVER_BIN`).
//! The figures (reconnect times, counts) are printed; run with `--nocapture` to see them.
//! The chaos test's random moments come from a seed it prints; `WIRECHAT_FAULT_SEED`
//! replays one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;
use tokio::time::{sleep, sleep_until, Instant};
use wirechat_e2e::{
    bounded, free_loopback_port, server_binary, wait_until, Browser, Harness, MessageRow, Proxy,
    ProxyMode, ServerProcess, DEFAULT_WAIT, POLL_INTERVAL,
};
use wirechat_server::JOIN_RECENT;

/// Messages each browser of the chaos test sends.
const PER_BROWSER: usize = 100;

/// The longest pause between two messages of one browser in the chaos test.
const MAX_SEND_GAP_MS: u64 = 600;

/// How many times the chaos test kills and restarts the server.
const RESTARTS: usize = 5;

/// How many times the chaos test cuts one browser's link.
const CUTS: usize = 6;

/// The pause before each fault of the chaos test, in ms.
const FAULT_GAP_MS: (u64, u64) = (300, 3_000);

/// How long the server stays down at each restart, in ms.
const DOWNTIME_MS: (u64, u64) = (300, 2_000);

/// How long a browser may take to notice that the server died: its link through the proxy
/// ends as soon as the server's socket does.
const NOTICE_LIMIT: Duration = Duration::from_secs(10);

/// The most a browser may take from the server accepting again to "Connected": the backoff
/// cap (25 s) bounds the wait that was already running, plus slack for the handshake and
/// for polling.
const RECONNECT_LIMIT: Duration = Duration::from_secs(27);

/// How long reconnecting is watched before it counts as failed, longer than
/// [`RECONNECT_LIMIT`] so a slow reconnect is measured rather than cut short.
const RECONNECT_WATCH: Duration = Duration::from_secs(40);

/// How long, after the chaos ends, every browser may take to show every message confirmed.
const CONVERGE_LIMIT: Duration = Duration::from_secs(120);

/// How long a finished log is left alone before it is counted, so a late duplicate shows.
const SETTLE: Duration = Duration::from_secs(2);

/// The half-open bound the client documents (25 s of silence) plus timer slack.
const HALF_OPEN_LIMIT: Duration = Duration::from_secs(30);

/// How long detecting a half-open link is watched, longer than [`HALF_OPEN_LIMIT`] so the
/// time is measured even when it is over.
const HALF_OPEN_WATCH: Duration = Duration::from_secs(40);

/// Waiting for the first reconnect after a refused or silent link: the first retries are
/// short, but the backoff cap (25 s) is what is promised.
const HEAL_LIMIT: Duration = Duration::from_secs(30);

/// How long the whole chaos test may run.
const CHAOS_BOUND: Duration = Duration::from_secs(420);

/// How long each of the other tests may run.
const FAULT_BOUND: Duration = Duration::from_secs(150);

/// Three browsers chat at random moments while the server is killed and restarted five
/// times and single links are cut: in the end every browser shows all 300 messages once,
/// in one order, its own ones delivered, and a page opened afterwards finds them in history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_loses_no_message_and_shows_none_twice() {
    let seed = chaos_seed();
    println!("chaos: seed {seed} (WIRECHAT_FAULT_SEED={seed} replays it)");
    let harness = Harness::start().await;
    let data = tempfile::tempdir().expect("create the server's data directory");
    let mut server =
        ServerProcess::start(&server_binary(), free_loopback_port(), data.path()).await;
    let mut proxies = Vec::new();
    for _ in 0..3 {
        proxies.push(Proxy::start(server.addr()).await);
    }
    let names = ["alice", "bob", "carol"];
    bounded(CHAOS_BOUND, async {
        let mut browsers = Vec::new();
        for (name, proxy) in names.iter().zip(&proxies) {
            browsers.push(harness.join_on(&proxy.ws_url(), "chaos", name).await);
        }
        let mut rng = Xorshift::new(seed);

        let started = Instant::now();
        let server_down = AtomicBool::new(false);
        let written_while_down = AtomicUsize::new(0);
        let sender_rngs: Vec<Xorshift> = names.iter().map(|_| rng.fork()).collect();
        let senders = browsers
            .iter()
            .zip(names)
            .zip(sender_rngs)
            .map(|((browser, name), rng)| {
                send_chaos_messages(browser, name, rng, &server_down, &written_while_down)
            });
        let faults = async {
            let restarts =
                run_faults(&mut server, &server_down, &proxies, &browsers, rng.fork()).await;
            (restarts, started.elapsed())
        };
        let (sent, (restarts, faulted)) = tokio::join!(join_all(senders), faults);
        let sent_secs: Vec<String> = sent
            .iter()
            .map(|done| format!("{:.1}", done.duration_since(started).as_secs_f64()))
            .collect();
        println!(
            "chaos: senders done after {sent_secs:?} s, faults after {:.1} s; \
             {} messages written while the server was down",
            faulted.as_secs_f64(),
            written_while_down.load(Ordering::SeqCst)
        );

        let expected: Vec<(&str, String)> = names
            .iter()
            .flat_map(|name| (0..PER_BROWSER).map(move |i| (*name, chaos_text(name, i))))
            .collect();
        let converging = Instant::now();
        let converged = wait_for_all_confirmed(&browsers, &names, &expected).await;
        println!(
            "chaos: every log {} {:.1} s after sending and faults ended",
            if converged {
                "complete and confirmed"
            } else {
                "still incomplete"
            },
            converging.elapsed().as_secs_f64()
        );
        sleep(SETTLE).await;

        let mut logs = Vec::new();
        for browser in &browsers {
            logs.push(browser.messages().await);
        }
        let mut failures = Vec::new();
        for ((browser, name), rows) in browsers.iter().zip(names).zip(&logs) {
            let tally = Tally::of(rows, name, &expected);
            println!(
                "chaos: {} shows {} rows: lost {}, duplicates {}, unexpected {}, \
                 own not delivered {}",
                browser.label(),
                rows.len(),
                tally.lost.len(),
                tally.duplicates.len(),
                tally.unexpected.len(),
                tally.undelivered.len()
            );
            if !tally.is_clean() {
                failures.push(format!("{}: {tally:?}", browser.label()));
            }
        }
        let orders: Vec<Vec<(Option<String>, String)>> = logs
            .iter()
            .map(|rows| {
                rows.iter()
                    .map(|r| (r.from.clone(), r.text.clone()))
                    .collect()
            })
            .collect();
        for (browser, order) in browsers.iter().zip(&orders).skip(1) {
            let first_difference = order
                .iter()
                .zip(&orders[0])
                .position(|(mine, theirs)| mine != theirs);
            let same = order.len() == orders[0].len() && first_difference.is_none();
            println!(
                "chaos: {} shows the same order as {}: {same}",
                browser.label(),
                browsers[0].label()
            );
            if !same {
                let at = first_difference.unwrap_or(order.len().min(orders[0].len()));
                failures.push(format!(
                    "{} orders the log differently from {} from row {at}: {:?} against {:?}",
                    browser.label(),
                    browsers[0].label(),
                    order.get(at..(at + 5).min(order.len())),
                    orders[0].get(at..(at + 5).min(orders[0].len())),
                ));
            }
        }

        let times: Vec<Duration> = restarts
            .iter()
            .flat_map(|restart| restart.reconnected.iter().flatten().copied())
            .collect();
        let never: usize = restarts
            .iter()
            .map(|restart| restart.reconnected.iter().filter(|t| t.is_none()).count())
            .sum();
        let (median, max) = median_and_max(&times);
        let downs: Vec<u128> = restarts.iter().map(|r| r.down.as_millis()).collect();
        println!(
            "chaos: server down {downs:?} ms; back -> \"Connected\": median {} ms, max {} ms \
             over {} reconnects; {never} not within {RECONNECT_WATCH:?}",
            median.as_millis(),
            max.as_millis(),
            times.len()
        );
        if never > 0 || max > RECONNECT_LIMIT {
            failures.push(format!(
                "reconnects after restarts: max {max:?} (limit {RECONNECT_LIMIT:?}), \
                 {never} never seen within {RECONNECT_WATCH:?}: {restarts:?}"
            ));
        }
        for proxy in &proxies {
            println!(
                "chaos: proxy {} accepted {} connections",
                proxy.addr(),
                proxy.accepted()
            );
        }

        // A page opened now has only the server's history: after five kills, it must still
        // hold the room as everyone saw it.
        let dave = harness.join_on(&server.ws_url(), "chaos", "dave").await;
        let recent = JOIN_RECENT.min(expected.len());
        let dave_rows = wait_until("dave: the room's recent history", DEFAULT_WAIT, || async {
            let rows = dave.try_messages().await?;
            if rows.len() >= recent {
                Ok(rows)
            } else {
                Err(format!("{} rows: {rows:?}", rows.len()))
            }
        })
        .await;
        let dave_order: Vec<(Option<String>, String)> = dave_rows
            .iter()
            .map(|r| (r.from.clone(), r.text.clone()))
            .collect();
        let is_tail = orders[0].ends_with(&dave_order);
        println!(
            "chaos: dave, opened after the chaos, shows {} rows from history; the same as the \
             end of {}'s log: {is_tail}",
            dave_order.len(),
            browsers[0].label()
        );
        if !is_tail {
            failures.push(format!(
                "dave's history is not the end of {}'s log: {dave_order:?}",
                browsers[0].label()
            ));
        }

        assert!(
            failures.is_empty(),
            "chaos (seed {seed}) broke the promise:\n{}",
            failures.join("\n")
        );
    })
    .await;
    harness.shutdown().await;
    drop(proxies);
    server.kill();
}

/// Messages written while the link is refused wait as "Sending", survive a reload from
/// localStorage, and arrive exactly once, at both ends, when the link comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_written_offline_survive_a_reload_and_arrive_once() {
    let harness = Harness::start().await;
    let data = tempfile::tempdir().expect("create the server's data directory");
    let server = ServerProcess::start(&server_binary(), free_loopback_port(), data.path()).await;
    let alice_link = Proxy::start(server.addr()).await;
    let bob_link = Proxy::start(server.addr()).await;
    bounded(FAULT_BOUND, async {
        let alice = harness
            .join_on(&alice_link.ws_url(), "offline", "alice")
            .await;
        let bob = harness.join_on(&bob_link.ws_url(), "offline", "bob").await;
        let before = "written before the cut";
        alice.send(before).await;
        bob.wait_for_message("alice", before).await;
        alice.wait_for_delivery("alice", before, "Delivered").await;

        alice_link.set_mode(ProxyMode::Refuse);
        let cut = alice_link.cut_all();
        let (noticed, status) = wait_not_connected(&alice, NOTICE_LIMIT).await;
        println!(
            "offline: cut {cut} link(s); alice says {status:?} after {} ms",
            noticed.as_millis()
        );

        let offline: Vec<String> = (1..=5).map(|i| format!("written offline {i}")).collect();
        for text in &offline {
            alice.send(text).await;
        }
        for text in &offline {
            alice.wait_for_delivery("alice", text, "Sending").await;
        }
        let status = alice.status_text().await;
        assert_ne!(status, "Connected", "alice's link is refused");

        alice.reload().await;
        alice.find_by_role("log", "Messages").await;
        let rows = wait_until(
            "alice: the 5 pending messages restored after the reload",
            DEFAULT_WAIT,
            || async {
                let rows = alice.try_messages().await?;
                let restored = offline.iter().all(|text| {
                    rows.iter()
                        .any(|r| r.shows("alice", text) && r.delivery.as_deref() == Some("Sending"))
                });
                if restored {
                    Ok(rows)
                } else {
                    Err(format!("{rows:?}"))
                }
            },
        )
        .await;
        let status = alice.status_text().await;
        println!(
            "offline: after the reload alice shows {} rows, {} of them pending; status {status:?}",
            rows.len(),
            rows.iter()
                .filter(|r| r.delivery.as_deref() == Some("Sending"))
                .count()
        );
        assert_ne!(status, "Connected", "alice's link is still refused");
        for text in &offline {
            assert_eq!(
                count(&rows, "alice", text),
                1,
                "alice after the reload: {rows:?}"
            );
        }

        alice_link.set_mode(ProxyMode::Forward);
        let healed = Instant::now();
        wait_until(
            "alice: the 5 messages delivered once the link is back",
            HEAL_LIMIT,
            || async {
                let rows = alice.try_messages().await?;
                let delivered = offline.iter().all(|text| {
                    rows.iter().any(|r| {
                        r.shows("alice", text) && r.delivery.as_deref() == Some("Delivered")
                    })
                });
                if delivered {
                    Ok(())
                } else {
                    Err(format!(
                        "status {:?}, rows {rows:?}",
                        alice.status_text().await
                    ))
                }
            },
        )
        .await;
        println!(
            "offline: all 5 delivered {} ms after the link came back",
            healed.elapsed().as_millis()
        );
        let expected: Vec<(&str, &str)> = offline.iter().map(|t| ("alice", t.as_str())).collect();
        bob.wait_for_messages(&expected).await;
        sleep(SETTLE).await;

        let alice_rows = alice.messages().await;
        let bob_rows = bob.messages().await;
        for (browser, rows) in [(&alice, &alice_rows), (&bob, &bob_rows)] {
            let counts: Vec<usize> = offline
                .iter()
                .map(|text| count(rows, "alice", text))
                .collect();
            println!(
                "offline: {} shows {} rows; each offline message shown {counts:?} times; \
                 the message from before the cut {} times (badge {:?})",
                browser.label(),
                rows.len(),
                count(rows, "alice", before),
                rows.iter()
                    .find(|r| r.shows("alice", before))
                    .and_then(|r| r.delivery.clone())
            );
        }
        for text in offline.iter().map(String::as_str).chain([before]) {
            assert_eq!(
                count(&alice_rows, "alice", text),
                1,
                "alice: {alice_rows:?}"
            );
            assert_eq!(count(&bob_rows, "alice", text), 1, "bob: {bob_rows:?}");
        }
        // The message from before the cut comes back from history after the reload, and
        // only the outbox's messages are known to be this page's own; those must be
        // confirmed.
        let undelivered: Vec<&MessageRow> = alice_rows
            .iter()
            .filter(|r| offline.contains(&r.text) && r.delivery.as_deref() != Some("Delivered"))
            .collect();
        assert!(undelivered.is_empty(), "alice: {undelivered:?}");
        assert_eq!(alice_rows.len(), 6, "alice: {alice_rows:?}");
        assert_eq!(bob_rows.len(), 6, "bob: {bob_rows:?}");
    })
    .await;
    harness.shutdown().await;
}

/// A link that stays open but carries nothing is declared dead within the documented
/// bound, and the chat works again once the link does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_link_is_replaced_within_the_documented_bound() {
    let harness = Harness::start().await;
    let data = tempfile::tempdir().expect("create the server's data directory");
    let server = ServerProcess::start(&server_binary(), free_loopback_port(), data.path()).await;
    let link = Proxy::start(server.addr()).await;
    bounded(FAULT_BOUND, async {
        let alice = harness.join_on(&link.ws_url(), "silence", "alice").await;
        let before = "before the silence";
        alice.send(before).await;
        alice.wait_for_delivery("alice", before, "Delivered").await;

        link.set_mode(ProxyMode::Blackhole);
        let (detected, status) = wait_not_connected(&alice, HALF_OPEN_WATCH).await;
        println!(
            "half-open: detected after {} ms (status {status:?}); limit {HALF_OPEN_LIMIT:?}",
            detected.as_millis()
        );
        assert!(
            detected <= HALF_OPEN_LIMIT,
            "a half-open link went unnoticed for {detected:?}"
        );

        link.set_mode(ProxyMode::Forward);
        let reconnected = wait_connected(&alice, HEAL_LIMIT).await;
        println!(
            "half-open: \"Connected\" again {} ms after the link came back; {} connections so far",
            reconnected.as_millis(),
            link.accepted()
        );
        let after = "after the silence";
        alice.send(after).await;
        let rows = alice.wait_for_delivery("alice", after, "Delivered").await;
        for text in [before, after] {
            assert_eq!(count(&rows, "alice", text), 1, "alice: {rows:?}");
        }
    })
    .await;
    harness.shutdown().await;
}

/// A browser cut off while the server restarts resumes from the history the server kept
/// across the restart: it gets what was written before and after, once each, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_away_during_a_restart_catches_up_from_the_kept_history() {
    let harness = Harness::start().await;
    let data = tempfile::tempdir().expect("create the server's data directory");
    let mut server =
        ServerProcess::start(&server_binary(), free_loopback_port(), data.path()).await;
    let alice_link = Proxy::start(server.addr()).await;
    let bob_link = Proxy::start(server.addr()).await;
    bounded(FAULT_BOUND, async {
        let alice = harness.join_on(&alice_link.ws_url(), "away", "alice").await;
        let bob = harness.join_on(&bob_link.ws_url(), "away", "bob").await;
        let first = "seen by both";
        bob.send(first).await;
        alice.wait_for_message("bob", first).await;

        alice_link.set_mode(ProxyMode::Refuse);
        alice_link.cut_all();
        wait_not_connected(&alice, NOTICE_LIMIT).await;
        let before: Vec<String> = (1..=3)
            .map(|i| format!("missed before the restart {i}"))
            .collect();
        for text in &before {
            bob.send(text).await;
            bob.wait_for_delivery("bob", text, "Delivered").await;
        }

        server.kill();
        wait_not_connected(&bob, NOTICE_LIMIT).await;
        server.restart().await;
        let reconnected = wait_connected(&bob, HEAL_LIMIT).await;
        println!(
            "away: bob \"Connected\" {} ms after the server came back",
            reconnected.as_millis()
        );
        let after: Vec<String> = (1..=3)
            .map(|i| format!("missed after the restart {i}"))
            .collect();
        for text in &after {
            bob.send(text).await;
            bob.wait_for_delivery("bob", text, "Delivered").await;
        }

        alice_link.set_mode(ProxyMode::Forward);
        let healed = Instant::now();
        let conversation: Vec<(&str, &str)> = [first]
            .into_iter()
            .chain(before.iter().map(String::as_str))
            .chain(after.iter().map(String::as_str))
            .map(|text| ("bob", text))
            .collect();
        let what = "alice: every message bob wrote while she was away";
        wait_until(what, HEAL_LIMIT, || async {
            let rows = alice.try_messages().await?;
            if conversation
                .iter()
                .all(|(from, text)| count(&rows, from, text) > 0)
            {
                Ok(())
            } else {
                Err(format!(
                    "status {:?}, rows {rows:?}",
                    alice.status_text().await
                ))
            }
        })
        .await;
        println!(
            "away: alice caught up {} ms after her link came back",
            healed.elapsed().as_millis()
        );
        sleep(SETTLE).await;

        let alice_rows = alice.messages().await;
        let bob_rows = bob.messages().await;
        let texts =
            |rows: &[MessageRow]| -> Vec<String> { rows.iter().map(|r| r.text.clone()).collect() };
        println!(
            "away: alice shows {} rows, bob {}; the same order: {}",
            alice_rows.len(),
            bob_rows.len(),
            texts(&alice_rows) == texts(&bob_rows)
        );
        let expected: Vec<String> = conversation
            .iter()
            .map(|(_, text)| (*text).to_owned())
            .collect();
        assert_eq!(texts(&bob_rows), expected, "bob: {bob_rows:?}");
        assert_eq!(texts(&alice_rows), expected, "alice: {alice_rows:?}");
    })
    .await;
    harness.shutdown().await;
}

/// A fault of the chaos test.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Kill the server with SIGKILL and start it again after a short downtime.
    Restart,
    /// Cut one browser's link.
    Cut,
}

/// What one restart of the chaos test measured.
#[derive(Debug)]
struct Restart {
    /// From the kill until the port accepted again.
    down: Duration,
    /// Per browser: from the server accepting again to the status saying "Connected", or
    /// `None` if that was not seen within [`RECONNECT_WATCH`].
    reconnected: Vec<Option<Duration>>,
}

/// Sends the [`PER_BROWSER`] messages of `name` at random moments, counting those written
/// while the server was down; returns when it was done.
async fn send_chaos_messages(
    browser: &Browser,
    name: &str,
    mut rng: Xorshift,
    server_down: &AtomicBool,
    written_while_down: &AtomicUsize,
) -> Instant {
    for i in 0..PER_BROWSER {
        sleep(rng.between_ms(0, MAX_SEND_GAP_MS)).await;
        let down = server_down.load(Ordering::SeqCst);
        send_by_script(browser, &chaos_text(name, i)).await;
        if down && server_down.load(Ordering::SeqCst) {
            written_while_down.fetch_add(1, Ordering::SeqCst);
        }
    }
    Instant::now()
}

/// Runs the chaos test's faults in a random order at random moments, and measures how the
/// browsers come back after each restart before the next fault. `server_down` holds while
/// the server is killed and not yet accepting again.
async fn run_faults(
    server: &mut ServerProcess,
    server_down: &AtomicBool,
    proxies: &[Proxy],
    browsers: &[Browser],
    mut rng: Xorshift,
) -> Vec<Restart> {
    let mut faults: Vec<Fault> = std::iter::repeat_n(Fault::Restart, RESTARTS)
        .chain(std::iter::repeat_n(Fault::Cut, CUTS))
        .collect();
    rng.shuffle(&mut faults);
    let mut restarts = Vec::new();
    for fault in faults {
        sleep(rng.between_ms(FAULT_GAP_MS.0, FAULT_GAP_MS.1)).await;
        match fault {
            Fault::Cut => {
                let which = rng.below(proxies.len() as u64) as usize;
                let cut = proxies[which].cut_all();
                println!("chaos: cut {cut} link(s) of {}", browsers[which].label());
            }
            Fault::Restart => {
                let downtime = rng.between_ms(DOWNTIME_MS.0, DOWNTIME_MS.1);
                server_down.store(true, Ordering::SeqCst);
                server.kill();
                let killed = Instant::now();
                join_all(browsers.iter().map(|b| wait_not_connected(b, NOTICE_LIMIT))).await;
                sleep_until(killed + downtime).await;
                server.restart().await;
                server_down.store(false, Ordering::SeqCst);
                let back = Instant::now();
                let down = back.duration_since(killed);
                let reconnected = join_all(
                    browsers
                        .iter()
                        .map(|b| connected_within(b, back, RECONNECT_WATCH)),
                )
                .await;
                println!(
                    "chaos: restart {} after {} ms down; back -> \"Connected\" in ms: {}",
                    restarts.len() + 1,
                    down.as_millis(),
                    browsers
                        .iter()
                        .zip(&reconnected)
                        .map(|(b, t)| match t {
                            Some(t) => format!("{} {}", b.label(), t.as_millis()),
                            None => format!("{} never", b.label()),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                restarts.push(Restart { down, reconnected });
            }
        }
    }
    restarts
}

/// Waits until every browser shows every expected message and each of its own as
/// delivered; returns whether that happened within [`CONVERGE_LIMIT`].
async fn wait_for_all_confirmed(
    browsers: &[Browser],
    names: &[&str],
    expected: &[(&str, String)],
) -> bool {
    let deadline = Instant::now() + CONVERGE_LIMIT;
    loop {
        let mut done = true;
        for (browser, name) in browsers.iter().zip(names) {
            let complete = match browser.try_messages().await {
                Ok(rows) => {
                    let tally = Tally::of(&rows, name, expected);
                    tally.lost.is_empty() && tally.undelivered.is_empty()
                }
                Err(_) => false,
            };
            done &= complete;
        }
        if done {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        sleep(Duration::from_millis(500)).await;
    }
}

/// How one browser's log compares with the messages that were sent.
#[derive(Debug)]
struct Tally {
    /// Sent messages the log does not show.
    lost: Vec<String>,
    /// Messages shown more than once, with how often.
    duplicates: Vec<(String, usize)>,
    /// Rows that are not a sent message.
    unexpected: Vec<MessageRow>,
    /// The browser's own messages that are not marked "Delivered", with their badge.
    undelivered: Vec<(String, Option<String>)>,
}

impl Tally {
    fn of(rows: &[MessageRow], own_name: &str, expected: &[(&str, String)]) -> Self {
        let mut shown: HashMap<(&str, &str), usize> = HashMap::new();
        let mut unexpected = Vec::new();
        let mut undelivered = Vec::new();
        for row in rows {
            match expected.iter().find(|(from, text)| row.shows(from, text)) {
                Some((from, text)) => {
                    *shown.entry((from, text.as_str())).or_default() += 1;
                    if *from == own_name && row.delivery.as_deref() != Some("Delivered") {
                        undelivered.push((text.clone(), row.delivery.clone()));
                    }
                }
                None => unexpected.push(row.clone()),
            }
        }
        let lost = expected
            .iter()
            .filter(|(from, text)| !shown.contains_key(&(*from, text.as_str())))
            .map(|(from, text)| format!("{from}: {text}"))
            .collect();
        let mut duplicates: Vec<(String, usize)> = shown
            .iter()
            .filter(|(_, &n)| n > 1)
            .map(|((from, text), &n)| (format!("{from}: {text}"), n))
            .collect();
        duplicates.sort();
        Self {
            lost,
            duplicates,
            unexpected,
            undelivered,
        }
    }

    fn is_clean(&self) -> bool {
        self.lost.is_empty()
            && self.duplicates.is_empty()
            && self.unexpected.is_empty()
            && self.undelivered.is_empty()
    }
}

/// Sends `text` the way Enter in the composer does: the script puts it in the textarea and
/// dispatches the keydown the app listens for, which is much faster than typing key by key.
async fn send_by_script(browser: &Browser, text: &str) {
    let outcome = browser
        .evaluate(
            "const box = findByRole('textbox', 'Message');
             if (!box) return 'no textbox named Message';
             box.value = arguments[0];
             box.dispatchEvent(new Event('input', { bubbles: true }));
             box.dispatchEvent(new KeyboardEvent('keydown', {
               key: 'Enter', code: 'Enter', bubbles: true, cancelable: true,
             }));
             return box.value === '' ? null : 'the composer kept ' + JSON.stringify(box.value);",
            vec![json!(text)],
        )
        .await;
    assert!(
        outcome.is_null(),
        "{}: cannot send {text:?}: {outcome}",
        browser.label()
    );
}

/// Waits until the status says anything but "Connected"; returns how long that took and
/// what it said.
async fn wait_not_connected(browser: &Browser, limit: Duration) -> (Duration, String) {
    let start = Instant::now();
    let what = format!("{}: the status to leave \"Connected\"", browser.label());
    let status = wait_until(&what, limit, || async {
        let text = browser.status_text().await;
        if text.is_empty() || text == "Connected" {
            Err(format!("status {text:?}"))
        } else {
            Ok(text)
        }
    })
    .await;
    (start.elapsed(), status)
}

/// Waits until the status says "Connected"; returns how long that took.
async fn wait_connected(browser: &Browser, limit: Duration) -> Duration {
    let start = Instant::now();
    let what = format!("{}: the status to say \"Connected\"", browser.label());
    wait_until(&what, limit, || async {
        let text = browser.status_text().await;
        if text == "Connected" {
            Ok(())
        } else {
            Err(format!("status {text:?}"))
        }
    })
    .await;
    start.elapsed()
}

/// How long after `since` the status first says "Connected", or `None` if it does not
/// within `limit`.
async fn connected_within(browser: &Browser, since: Instant, limit: Duration) -> Option<Duration> {
    loop {
        if browser.status_text().await == "Connected" {
            return Some(since.elapsed());
        }
        if since.elapsed() >= limit {
            return None;
        }
        sleep(POLL_INTERVAL).await;
    }
}

fn count(rows: &[MessageRow], from: &str, text: &str) -> usize {
    rows.iter().filter(|row| row.shows(from, text)).count()
}

fn chaos_text(name: &str, i: usize) -> String {
    format!("{name} says {i:03}")
}

fn median_and_max(times: &[Duration]) -> (Duration, Duration) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
    let max = sorted.last().copied().unwrap_or_default();
    (median, max)
}

/// `WIRECHAT_FAULT_SEED`, or else one taken from the clock.
fn chaos_seed() -> u64 {
    match std::env::var("WIRECHAT_FAULT_SEED") {
        Ok(seed) => seed
            .parse()
            .unwrap_or_else(|_| panic!("WIRECHAT_FAULT_SEED={seed:?} is not a number")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|t| t.as_nanos() as u64)
            .unwrap_or(1),
    }
}

/// xorshift64*: small, seedable and good enough to pick moments and victims.
struct Xorshift(u64);

impl Xorshift {
    fn new(seed: u64) -> Self {
        // splitmix64 spreads a small or zero seed over the whole state.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A generator of its own, for a task that runs alongside this one's user.
    fn fork(&mut self) -> Self {
        Self::new(self.next_u64())
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A duration between `low` and `high` ms, both included.
    fn between_ms(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.below(high - low + 1))
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}
