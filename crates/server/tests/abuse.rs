//! Attacks on the real `wirechat-server` binary, one after another, while a canary room
//! chats: a socket that never reads and asks for big history, a `typing` flood, a join
//! storm, hundreds of busy rooms, and hostile values. The canary must lose nothing; its
//! latency and the server's memory are printed and held to generous bounds.
//!
//! `WIRECHAT_SERVER_BIN=/path/to/wirechat-server` runs the attacks against another build, and
//! `WIRECHAT_ABUSE_PHASES=fetch,typing,storm,busy,hostile` runs only the ones named.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wirechat_protocol::{
    close_code, decode, encode, error_code, ChatMessage, Fetch, Frame, Join, Ping, Timestamp,
    Typing, HISTORY_PAGE_LIMIT, MAX_SERVER_FRAME_BYTES,
};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Rx = SplitStream<Socket>;

const WAIT: Duration = Duration::from_secs(20);

/// Bounds the figures must stay within: generous, since the machine may be busy.
const MAX_RSS_MIB: u64 = 300;
const MAX_CANARY_P99: Duration = Duration::from_secs(5);

/// The binary, started with a fresh data directory on a free loopback port; killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
    _data: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let binary = std::env::var_os("WIRECHAT_SERVER_BIN").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_wirechat-server")),
            PathBuf::from,
        );
        let mut child = Command::new(binary)
            .args(["--bind", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            // Every attacker here comes from 127.0.0.1; the per-address cap (its own test in
            // guards.rs) would otherwise refuse the storms before they reach the rooms. An
            // environment variable, so that an older binary given by WIRECHAT_SERVER_BIN
            // still starts.
            .env("WIRECHAT_MAX_CONNECTIONS_PER_IP", "10000")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|rest| rest.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("expected the listening line, got {line:?}"));
        Self {
            child,
            addr,
            _data: data,
        }
    }

    fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Resident memory of the server process, from /proc.
    fn rss_mib(pid: u32) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Samples the server's RSS every 50 ms and keeps the peak.
fn watch_rss(pid: u32) -> Arc<AtomicU64> {
    let peak = Arc::new(AtomicU64::new(0));
    let kept = peak.clone();
    tokio::spawn(async move {
        loop {
            kept.fetch_max(Server::rss_mib(pid), Ordering::Relaxed);
            sleep(Duration::from_millis(50)).await;
        }
    });
    peak
}

async fn connect(url: &str) -> Socket {
    timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("handshake in time")
        .expect("handshake succeeds")
        .0
}

/// A socket whose receive window stays small, so the kernel cannot read for it.
async fn connect_not_reading(server: &Server) -> Socket {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    tokio_tungstenite::client_async(server.url(), MaybeTlsStream::Plain(stream))
        .await
        .unwrap()
        .0
}

fn join(room: &str, name: &str, deltas: bool) -> Message {
    Message::text(encode(&Frame::Join(Join {
        room: room.into(),
        name: name.into(),
        after: None,
        epoch: None,
        deltas,
        req: None,
    })))
}

fn msg(id: &str, room: &str, text: &str, ts: u64) -> Message {
    Message::text(encode(&Frame::Msg(ChatMessage {
        uid: None,
        id: id.into(),
        room: room.into(),
        from: "x".into(),
        text: text.into(),
        ts: Timestamp::saturating_from_millis(ts),
        seq: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    })))
}

/// The largest frame any socket of this suite received from the server.
static LARGEST_FRAME: AtomicUsize = AtomicUsize::new(0);

/// Notes a frame's size. One over the protocol's limit fails the suite at its end, after the
/// figures are printed.
fn measure(len: usize) -> usize {
    LARGEST_FRAME.fetch_max(len, Ordering::Relaxed);
    len
}

/// The next protocol frame, or `None` once the socket closed or failed.
async fn next_frame(rx: &mut Rx) -> Option<(Frame, usize)> {
    loop {
        match timeout(WAIT, rx.next()).await.ok()?? {
            Ok(Message::Text(text)) if measure(text.len()) > MAX_SERVER_FRAME_BYTES => {}
            Ok(Message::Text(text)) => return Some((decode(&text).ok()?, text.len())),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Reads until a frame matches.
async fn until(rx: &mut Rx, mut wanted: impl FnMut(&Frame) -> bool) -> Frame {
    loop {
        let (frame, _) = next_frame(rx).await.expect("the socket stays open");
        if wanted(&frame) {
            return frame;
        }
    }
}

/// Text that JSON escapes to four times its length: quotes, backslashes, control characters.
fn escape_heavy(bytes: usize) -> String {
    "\"\\\u{1}\u{7}".repeat(bytes / 4)
}

/// The next frame, until the socket closes or, once the canary was told to stop, nothing
/// more came for 3 s (the sender's last message had time to arrive). A silence while the
/// canary still runs is only a loaded machine, and ending there would count the rest lost.
async fn next_until_quiet(rx: &mut Rx, stopped: &watch::Receiver<bool>) -> Option<Frame> {
    loop {
        match timeout(Duration::from_secs(3), next_frame(rx)).await {
            Ok(Some((frame, _))) => return Some(frame),
            Ok(None) => return None,
            Err(_) if *stopped.borrow() => return None,
            Err(_) => {}
        }
    }
}

/// Two members of a room that chat all along: one sends every 100 ms, the other times
/// how long each message takes to reach it.
struct Canary {
    stop: watch::Sender<bool>,
    sender: JoinHandle<HashMap<String, Instant>>,
    echoes: JoinHandle<Vec<String>>,
    reader: JoinHandle<HashMap<String, Instant>>,
}

/// What the canary saw: each message's latency, by when it was sent.
struct CanaryReport {
    latencies: Vec<(Instant, Duration)>,
}

impl CanaryReport {
    fn p99(&self, from: Instant, to: Instant) -> Duration {
        let mut during: Vec<Duration> = self
            .latencies
            .iter()
            .filter(|(sent, _)| *sent >= from && *sent <= to)
            .map(|(_, latency)| *latency)
            .collect();
        during.sort();
        during
            .get((during.len() * 99 / 100).min(during.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    }
}

impl Canary {
    async fn start(url: &str) -> Self {
        let (mut sender_tx, mut sender_rx) = connect(url).await.split();
        let (mut reader_tx, mut reader_rx) = connect(url).await.split();
        reader_tx
            .send(join("canary", "reader", true))
            .await
            .unwrap();
        until(&mut reader_rx, |f| matches!(f, Frame::History(_))).await;
        sender_tx
            .send(join("canary", "sender", true))
            .await
            .unwrap();
        until(&mut sender_rx, |f| matches!(f, Frame::History(_))).await;
        let (stop, stopped) = watch::channel(false);
        let reader_stopped = stopped.clone();
        let reader = tokio::spawn(async move {
            let mut arrived = HashMap::new();
            while let Some(frame) = next_until_quiet(&mut reader_rx, &reader_stopped).await {
                if let Frame::Msg(m) = frame {
                    arrived.insert(m.id, Instant::now());
                }
            }
            drop(reader_tx);
            arrived
        });
        let echoes_stopped = stopped.clone();
        let echoes = tokio::spawn(async move {
            let mut confirmed = Vec::new();
            while let Some(frame) = next_until_quiet(&mut sender_rx, &echoes_stopped).await {
                if let Frame::Msg(m) = frame {
                    confirmed.push(m.id);
                }
            }
            confirmed
        });
        let sender = tokio::spawn(async move {
            let mut sent = HashMap::new();
            let mut n = 0u64;
            while !*stopped.borrow() {
                n += 1;
                let id = format!("c{n}");
                sent.insert(id.clone(), Instant::now());
                sender_tx
                    .send(msg(&id, "canary", "tweet", 1))
                    .await
                    .unwrap();
                sleep(Duration::from_millis(100)).await;
            }
            sent
        });
        Self {
            stop,
            sender,
            echoes,
            reader,
        }
    }

    /// Stops sending and checks that every message was confirmed and delivered.
    async fn finish(self) -> CanaryReport {
        self.stop.send_replace(true);
        let sent = self.sender.await.unwrap();
        let confirmed = self.echoes.await.unwrap();
        let arrived = self.reader.await.unwrap();
        let mut lost: Vec<&String> = sent
            .keys()
            .filter(|id| !arrived.contains_key(*id))
            .collect();
        lost.sort();
        assert!(
            lost.is_empty(),
            "the canary lost {} of {}: {lost:?}",
            lost.len(),
            sent.len()
        );
        assert_eq!(
            confirmed.len(),
            sent.len(),
            "every canary message is confirmed"
        );
        CanaryReport {
            latencies: sent
                .iter()
                .map(|(id, at)| (*at, arrived[id].saturating_duration_since(*at)))
                .collect(),
        }
    }
}

/// A socket that never reads asks 250 times for a room's biggest history page.
async fn fetch_flood(server: &Server, peak_rss: &AtomicU64) {
    // 200 messages of 4000 bytes, 16 KB each in JSON; four writers stay within the rate.
    let text = escape_heavy(4000);
    for writer in 0..4 {
        let (mut tx, mut rx) = connect(&server.url()).await.split();
        tx.send(join("big", &format!("writer{writer}"), false))
            .await
            .unwrap();
        for i in 0..50 {
            tx.feed(msg(&format!("w{writer}-{i}"), "big", &text, 1))
                .await
                .unwrap();
        }
        tx.flush().await.unwrap();
        let last = format!("w{writer}-49");
        until(&mut rx, |f| matches!(f, Frame::Msg(m) if m.id == last)).await;
    }

    let before = Server::rss_mib(server.child.id());
    let (mut tx, mut rx) = connect_not_reading(server).await.split();
    tx.send(join("big", "hoarder", false)).await.unwrap();
    for _ in 0..250 {
        let fetch = Frame::Fetch(Fetch {
            room: "big".into(),
            before: None,
            after: None,
            limit: Some(HISTORY_PAGE_LIMIT),
            req: None,
        });
        tx.feed(Message::text(encode(&fetch))).await.unwrap();
    }
    tx.flush().await.unwrap();
    sleep(Duration::from_secs(4)).await;
    let during = peak_rss.load(Ordering::Relaxed);

    // Reading at last, the hoarder finds its socket closed after a bounded amount.
    let mut read = 0usize;
    let mut close = None;
    let ended = timeout(Duration::from_secs(30), async {
        while let Some(next) = rx.next().await {
            match next {
                Ok(Message::Text(text)) => read += measure(text.len()),
                Ok(Message::Close(frame)) => {
                    close = frame.map(|f| u16::from(f.code));
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    })
    .await;
    let after = Server::rss_mib(server.child.id());
    println!(
        "fetch flood: RSS {before} MiB before, peak {during} MiB, {after} MiB after; \
         the hoarder read {} KiB, then close {close:?}",
        read / 1024
    );
    assert!(ended.is_ok(), "the hoarder's socket was never closed");
    assert!(
        close.is_none() || close == Some(close_code::SLOW_CONSUMER),
        "{close:?}"
    );
    assert!(read < 32 << 20, "the hoarder got {read} bytes");
    assert!(during < MAX_RSS_MIB, "RSS reached {during} MiB");
}

/// One member sends 100,000 `typing` frames; the others, who keep reading, stay.
async fn typing_flood(server: &Server) {
    let mut readers = Vec::new();
    for i in 0..3 {
        let (mut tx, mut rx) = connect(&server.url()).await.split();
        tx.send(join("typing", &format!("reader{i}"), false))
            .await
            .unwrap();
        until(&mut rx, |f| matches!(f, Frame::History(_))).await;
        readers.push(tokio::spawn(async move {
            let mut typing = 0u64;
            loop {
                match next_frame(&mut rx).await {
                    Some((Frame::Msg(m), _)) if m.id == "after-flood" => return Ok(typing),
                    Some((Frame::Typing(_), _)) => typing += 1,
                    Some(_) => {}
                    None => return Err(typing),
                }
            }
        }));
    }
    let (mut flood_tx, mut flood_rx) = connect(&server.url()).await.split();
    flood_tx
        .send(join("typing", "flooder", false))
        .await
        .unwrap();
    let drained = tokio::spawn(async move { while next_frame(&mut flood_rx).await.is_some() {} });
    let typing = Message::text(encode(&Frame::Typing(Typing {
        room: "typing".into(),
        from: "flooder".into(),
    })));
    let started = Instant::now();
    let mut sent = 0;
    for _ in 0..100_000 {
        if flood_tx.feed(typing.clone()).await.is_err() {
            break;
        }
        sent += 1;
    }
    let _ = flood_tx.flush().await;
    let flood_time = started.elapsed();

    let (mut tx, mut rx) = connect(&server.url()).await.split();
    tx.send(join("typing", "speaker", false)).await.unwrap();
    tx.send(msg("after-flood", "typing", "still here?", 1))
        .await
        .unwrap();
    until(
        &mut rx,
        |f| matches!(f, Frame::Msg(m) if m.id == "after-flood"),
    )
    .await;
    let mut shown = Vec::new();
    for reader in readers {
        match reader.await.unwrap() {
            Ok(typing) => shown.push(typing),
            Err(typing) => panic!("a reader was closed after {typing} typing frames"),
        }
    }
    let _ = timeout(Duration::from_secs(5), drained).await;
    println!("typing flood: {sent} frames in {flood_time:?}; readers were shown {shown:?}");
}

/// 400 clients join one room in a row, asking for presence changes.
async fn join_storm(server: &Server) {
    const N: usize = 400;
    let (sync, synced) = watch::channel(false);
    let mut members = Vec::new();
    for i in 0..N {
        let (mut tx, mut rx) = connect(&server.url()).await.split();
        tx.send(join("storm", &format!("member{i:03}"), true))
            .await
            .unwrap();
        let mut synced = synced.clone();
        members.push(tokio::spawn(async move {
            let mut bytes = 0usize;
            loop {
                tokio::select! {
                    next = next_frame(&mut rx) => match next {
                        Some((frame, len)) => bytes += presence_bytes(&frame, len),
                        None => panic!("member {i} was closed"),
                    },
                    _ = synced.changed() => break,
                }
            }
            // Everything queued before the ping's answer was counted.
            let ping = Frame::Ping(Ping { ts: Some(7) });
            tx.send(Message::text(encode(&ping))).await.unwrap();
            loop {
                match next_frame(&mut rx).await {
                    Some((Frame::Pong(_), _)) => return bytes,
                    Some((frame, len)) => bytes += presence_bytes(&frame, len),
                    None => panic!("member {i} was closed"),
                }
            }
        }));
    }
    sleep(Duration::from_secs(1)).await;
    sync.send_replace(true);
    let mut per_member = Vec::new();
    for member in members {
        per_member.push(member.await.unwrap());
    }
    let total: usize = per_member.iter().sum();
    let most = per_member.iter().copied().max().unwrap_or(0);
    println!(
        "join storm of {N}: {} KiB of presence in all, at most {} KiB to one member",
        total / 1024,
        most / 1024
    );
    assert!(most < 64 * 1024, "one member got {most} bytes of presence");
    assert!(total < 16 << 20, "{total} bytes of presence in all");
}

/// `len` if the frame tells who is in a room, else 0.
fn presence_bytes(frame: &Frame, len: usize) -> usize {
    match frame {
        Frame::Presence(_) | Frame::Joined(_) | Frame::Left(_) => len,
        _ => 0,
    }
}

/// 200 connections in 50 rooms each, 1,000 rooms of 10 members, join and talk at once.
async fn busy_rooms(server: &Server) {
    const CONNECTIONS: usize = 200;
    const ROOMS: usize = 1000;
    const ROOMS_EACH: usize = 50;
    let (stop, stopped) = watch::channel(false);
    let sent = Arc::new(Mutex::new(0u64));
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let (mut tx, mut rx) = connect(&server.url()).await.split();
        let rooms: Vec<String> = (0..ROOMS_EACH)
            .map(|k| format!("busy{}", (c * ROOMS_EACH + k) % ROOMS))
            .collect();
        let stopped = stopped.clone();
        let sent = sent.clone();
        tasks.push(tokio::spawn(async move {
            for room in &rooms {
                tx.feed(join(room, &format!("talker{c}"), false))
                    .await
                    .unwrap();
            }
            tx.flush().await.unwrap();
            let reading = tokio::spawn(async move {
                let mut closed_with = None;
                while let Some(next) = rx.next().await {
                    if let Ok(Message::Close(frame)) = next {
                        closed_with = frame.map(|f| u16::from(f.code));
                    }
                }
                closed_with
            });
            let mut n = 0;
            while !*stopped.borrow() {
                let room = &rooms[n % rooms.len()];
                n += 1;
                if tx
                    .send(msg(&format!("b{c}-{n}"), room, "busy", 1))
                    .await
                    .is_err()
                {
                    break;
                }
                *sent.lock().unwrap() += 1;
                // Within the rate limit, and within what a test build on two busy cores
                // can fan out: the figure is about rooms waiting for each other.
                sleep(Duration::from_millis(1000)).await;
            }
            let _ = tx.close().await;
            timeout(Duration::from_secs(10), reading).await.ok()?.ok()?
        }));
    }
    sleep(Duration::from_secs(6)).await;
    stop.send_replace(true);
    let mut closes = Vec::new();
    for task in tasks {
        if let Some(code) = task.await.unwrap() {
            closes.push(code);
        }
    }
    println!(
        "busy rooms: {CONNECTIONS} connections x {ROOMS_EACH} of {ROOMS} rooms sent {} messages",
        sent.lock().unwrap()
    );
    assert!(
        !closes
            .iter()
            .any(|&c| c == close_code::SLOW_CONSUMER || c == close_code::POLICY),
        "talkers were closed: {closes:?}"
    );
}

/// Hostile values: a history read without joining, a `ts` far in the future.
async fn hostile_values(server: &Server) {
    let (mut tx, mut rx) = connect(&server.url()).await.split();
    let fetch = Frame::Fetch(Fetch {
        room: "big".into(),
        before: None,
        after: None,
        limit: Some(1),
        req: None,
    });
    tx.send(Message::text(encode(&fetch))).await.unwrap();
    match until(&mut rx, |f| {
        matches!(f, Frame::Error(_) | Frame::History(_))
    })
    .await
    {
        Frame::Error(err) => assert_eq!(err.code, error_code::NOT_JOINED),
        other => panic!("history without a join: {other:?}"),
    }
    tx.send(join("future", "marty", false)).await.unwrap();
    // A time no reader's Date can hold is refused at decode and never stored.
    let beyond = r#"{"type":"msg","id":"beyond","room":"future","from":"marty","text":"x","ts":18446744073709551615}"#;
    tx.send(Message::text(beyond)).await.unwrap();
    match until(&mut rx, |f| matches!(f, Frame::Error(_) | Frame::Msg(_))).await {
        Frame::Error(err) => assert_eq!(err.code, error_code::BAD_FRAME),
        other => panic!("a ts of 2^64-1 was taken: {other:?}"),
    }
    // The latest time a reader can show is accepted, and replaced by the server's clock.
    tx.send(msg("far", "future", "1985", Timestamp::MAX.as_millis()))
        .await
        .unwrap();
    let Frame::Msg(echo) = until(&mut rx, |f| matches!(f, Frame::Msg(_))).await else {
        unreachable!()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        echo.ts.as_millis().abs_diff(now) < 60_000,
        "stamped {} at {now}, not the sender's",
        echo.ts.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_leave_the_canary_room_whole() {
    let server = Server::start();
    let peak_rss = watch_rss(server.child.id());
    let canary = Canary::start(&server.url()).await;
    let mut phases = Vec::new();
    let started = Instant::now();

    let wanted = |phase: &str| {
        std::env::var("WIRECHAT_ABUSE_PHASES").map_or(true, |v| v.split(',').any(|p| p == phase))
    };
    if wanted("fetch") {
        let at = Instant::now();
        fetch_flood(&server, &peak_rss).await;
        phases.push(("fetch flood", at, Instant::now()));
    }
    if wanted("typing") {
        let at = Instant::now();
        typing_flood(&server).await;
        phases.push(("typing flood", at, Instant::now()));
    }
    if wanted("storm") {
        let at = Instant::now();
        join_storm(&server).await;
        phases.push(("join storm", at, Instant::now()));
    }
    if wanted("busy") {
        let at = Instant::now();
        busy_rooms(&server).await;
        phases.push(("busy rooms", at, Instant::now()));
    }
    if wanted("hostile") {
        hostile_values(&server).await;
    }

    let report = canary.finish().await;
    let peak = peak_rss.load(Ordering::Relaxed);
    for (name, from, to) in &phases {
        println!("canary p99 during {name}: {:?}", report.p99(*from, *to));
    }
    let overall = report.p99(started, Instant::now());
    println!("canary p99 overall: {overall:?}; server RSS peak {peak} MiB");
    let largest = LARGEST_FRAME.load(Ordering::Relaxed);
    println!("largest frame from the server: {} KiB", largest / 1024);
    assert!(overall < MAX_CANARY_P99, "canary p99 {overall:?}");
    assert!(
        largest <= MAX_SERVER_FRAME_BYTES,
        "a frame of {largest} bytes"
    );
    assert!(peak < MAX_RSS_MIB, "server RSS peaked at {peak} MiB");
}
