//! What the real binary refuses at the HTTP level: a second server on one data directory,
//! requests for host names it does not answer to (DNS rebinding), connections beyond its
//! caps, and handshakes that never finish.
//!
//! The binary is `WIRECHAT_SERVER_BIN` when set, else the one cargo built for these tests.

use crate::process;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use process::{exit_status, server_in, wait_until_listening, WAIT};

/// A server process on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary in `dir` and waits until it listens.
fn start(dir: &Path, args: &[&str]) -> Server {
    let mut child = server_in(dir, args);
    let port = wait_until_listening(&mut child);
    Server { child, port }
}

/// Sends one HTTP/1.1 request and returns the socket with its status code read.
fn request(port: u16, path: &str, headers: &[(&str, String)]) -> (u16, TcpStream) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut text = format!("GET {path} HTTP/1.1\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).unwrap();
    let status = read_status(&mut stream);
    (status, stream)
}

/// Reads up to the end of the response head and returns its status code.
fn read_status(stream: &mut TcpStream) -> u16 {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!("the response ended early ({other:?}): {head:?}"),
        }
    }
    let head = String::from_utf8_lossy(&head);
    head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap()
}

/// A WebSocket handshake for /ws with the given Host and, if any, Origin.
fn handshake(port: u16, host: &str, origin: Option<&str>) -> (u16, TcpStream) {
    let mut headers = vec![
        ("Host", host.to_owned()),
        ("Upgrade", "websocket".to_owned()),
        ("Connection", "Upgrade".to_owned()),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==".to_owned()),
        ("Sec-WebSocket-Version", "13".to_owned()),
        ("Sec-WebSocket-Protocol", "chat".to_owned()),
    ];
    if let Some(origin) = origin {
        headers.push(("Origin", origin.to_owned()));
    }
    request(port, "/ws", &headers)
}

fn local_handshake(port: u16) -> (u16, TcpStream) {
    handshake(port, &format!("127.0.0.1:{port}"), None)
}

/// Whether the server closes `stream` within `limit`, while the client keeps calling
/// `client_step` (which may write) every `every`.
fn closed_within(
    stream: &mut TcpStream,
    limit: Duration,
    every: Duration,
    mut client_step: impl FnMut(&mut TcpStream) -> std::io::Result<()>,
) -> bool {
    stream.set_read_timeout(Some(every)).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 256];
    while started.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
        if client_step(stream).is_err() {
            return true;
        }
    }
    false
}

#[test]
fn a_second_server_on_one_data_directory_exits_naming_it_and_the_first_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), &["--data-dir", "shared"]);

    let mut second = server_in(dir.path(), &["--data-dir", "shared"]);
    let status = exit_status(&mut second);
    let output = second.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the data directory shared is in use by another wirechat-server"),
        "{stderr}"
    );

    let (status, _) = local_handshake(first.port);
    assert_eq!(status, 101, "the first server still serves");
}

#[test]
fn servers_in_memory_take_no_lock() {
    let dir = tempfile::tempdir().unwrap();
    let a = start(dir.path(), &["--memory"]);
    let b = start(dir.path(), &["--memory"]);
    assert_eq!(local_handshake(a.port).0, 101);
    assert_eq!(local_handshake(b.port).0, 101);
}

/// Regression: the Origin check trusted Host, so a page on a rebound name
/// (`evil.example` resolving to 127.0.0.1) could chat through a loopback server.
#[test]
fn a_dns_rebinding_request_is_refused_on_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--memory"]);
    let port = server.port;
    let evil = format!("evil.example:{port}");
    let evil_origin = format!("http://evil.example:{port}");

    let (status, _) = handshake(port, &evil, Some(&evil_origin));
    assert_eq!(status, 421, "the WebSocket");
    let (status, _) = request(port, "/", &[("Host", evil.clone())]);
    assert_eq!(status, 421, "the page");

    // What a browser on this machine sends still works.
    let own = format!("127.0.0.1:{port}");
    let (status, _) = handshake(port, &own, Some(&format!("http://{own}")));
    assert_eq!(status, 101);
    let localhost = format!("localhost:{port}");
    let (status, _) = handshake(port, &localhost, Some(&format!("http://{localhost}")));
    assert_eq!(status, 101);
    let (status, _) = request(port, "/", &[("Host", localhost)]);
    assert_eq!(status, 200);
}

#[test]
fn allow_host_adds_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--memory", "--allow-host", "chat.example"]);
    let port = server.port;
    let host = format!("chat.example:{port}");
    let (status, _) = handshake(port, &host, Some(&format!("http://{host}")));
    assert_eq!(status, 101);
    let (status, _) = handshake(port, &format!("evil.example:{port}"), None);
    assert_eq!(status, 421);
}

/// Regression: nothing capped connections, so one address could hold thousands. The default
/// cap is 64 per address.
#[test]
fn connections_beyond_the_cap_from_one_address_get_429() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--memory"]);
    let mut open: Vec<TcpStream> = (0..64)
        .map(|i| {
            let (status, stream) = local_handshake(server.port);
            assert_eq!(status, 101, "connection {i}");
            stream
        })
        .collect();
    assert_eq!(local_handshake(server.port).0, 429);

    // A closed connection frees its place.
    drop(open.pop());
    let started = Instant::now();
    loop {
        let (status, stream) = local_handshake(server.port);
        if status == 101 {
            open.push(stream);
            break;
        }
        assert!(started.elapsed() < WAIT, "the freed place never came back");
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn connections_beyond_the_total_cap_get_503() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--memory", "--max-connections", "3"]);
    let _open: Vec<TcpStream> = (0..3)
        .map(|_| {
            let (status, stream) = local_handshake(server.port);
            assert_eq!(status, 101);
            stream
        })
        .collect();
    assert_eq!(local_handshake(server.port).0, 503);
}

/// Regression: a socket that sent half a handshake, or dripped one byte at a time, was never
/// closed. The default deadline for the request head is 10 s.
#[test]
fn handshakes_that_never_finish_are_closed_after_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--memory"]);
    let limit = Duration::from_secs(20);
    let connect = || TcpStream::connect(("127.0.0.1", server.port)).unwrap();

    let dripping = thread::spawn({
        let mut stream = connect();
        move || {
            let head = b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Pad: ";
            let mut sent = 0;
            closed_within(&mut stream, limit, Duration::from_millis(200), |s| {
                // The head never ends: after it, padding forever.
                let byte = head.get(sent).copied().unwrap_or(b'a');
                sent += 1;
                s.write_all(&[byte])
            })
        }
    });
    let half = thread::spawn({
        let mut stream = connect();
        move || {
            stream
                .write_all(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .unwrap();
            closed_within(&mut stream, limit, Duration::from_millis(200), |_| Ok(()))
        }
    });
    let silent = thread::spawn({
        let mut stream = connect();
        move || closed_within(&mut stream, limit, Duration::from_millis(200), |_| Ok(()))
    });
    assert!(
        dripping.join().unwrap(),
        "the dripping handshake was not closed"
    );
    assert!(half.join().unwrap(), "the half handshake was not closed");
    assert!(silent.join().unwrap(), "the silent socket was not closed");
}

#[test]
fn a_shorter_handshake_deadline_can_be_set() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--memory", "--handshake-timeout", "1s"]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    assert!(closed_within(
        &mut stream,
        Duration::from_secs(5),
        Duration::from_millis(100),
        |_| Ok(())
    ));
    assert!(started.elapsed() < Duration::from_secs(4));
}
