//! A third-party WebSocket relay (`e2e/relays/relay.mjs`, on the npm `ws` package) that
//! passes frames on without knowing the protocol, started as a Node child process.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::served_app::workspace_root;

/// How long the relay may take to print its port.
const STARTUP_LIMIT: Duration = Duration::from_secs(15);

/// The relay's own bound on its life, in case nothing ever stops it.
const RELAY_MAX_SECONDS: u32 = 300;

/// Whom a relay passes each frame to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayMode {
    /// Every client, the sender included: the sender sees its own frames come back.
    Broadcast,
    /// Every client but the sender.
    NoSelf,
    /// The sender only.
    Echo,
}

impl RelayMode {
    /// The name `relay.mjs --mode` takes.
    pub fn as_arg(self) -> &'static str {
        match self {
            RelayMode::Broadcast => "broadcast",
            RelayMode::NoSelf => "noself",
            RelayMode::Echo => "echo",
        }
    }
}

impl fmt::Display for RelayMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_arg())
    }
}

/// A running relay on a free loopback port. Dropping it kills the process; the relay also
/// exits by itself when this process goes away, because its standard input closes.
pub struct Relay {
    child: Child,
    // Held open only so the relay can tell when this process is gone.
    _stdin: ChildStdin,
    port: u16,
    mode: RelayMode,
    connections: Arc<AtomicUsize>,
    frames: FrameCounts,
}

/// How many text frames of each `type` the relay received, by type.
type FrameCounts = Arc<Mutex<HashMap<String, usize>>>;

impl Relay {
    /// Starts `node e2e/relays/relay.mjs --mode <mode> --port 0` (node from `PATH`) and waits
    /// until it listens.
    pub async fn start(mode: RelayMode) -> Self {
        Self::start_with(mode, &[]).await
    }

    /// Like [`Relay::start`], with further `relay.mjs` options such as
    /// `["--subprotocols", "decline"]`.
    pub async fn start_with(mode: RelayMode, options: &[&str]) -> Self {
        let root = workspace_root();
        assert!(
            root.join("node_modules/ws/package.json").is_file(),
            "node_modules/ws is missing: run npm ci at the repository root (make test does this)"
        );
        let script = root.join("e2e/relays/relay.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .args(["--mode", mode.as_arg(), "--port", "0"])
            .args(["--max-seconds", &RELAY_MAX_SECONDS.to_string()])
            .args(options)
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `node {}` (is Node.js on PATH?): {e}",
                    script.display()
                )
            });
        let stdin = child.stdin.take().expect("the relay's stdin is piped");
        let stdout = child.stdout.take().expect("the relay's stdout is piped");
        let stderr = child.stderr.take().expect("the relay's stderr is piped");

        let errors = Arc::new(Mutex::new(String::new()));
        collect_into(stderr, Arc::clone(&errors));
        let connections = Arc::new(AtomicUsize::new(0));
        let frames = FrameCounts::default();
        let (port_tx, port_rx) = oneshot::channel();
        watch_output(
            stdout,
            port_tx,
            Arc::clone(&connections),
            Arc::clone(&frames),
        );

        let port = match tokio::time::timeout(STARTUP_LIMIT, port_rx).await {
            Ok(Ok(port)) => port,
            outcome => {
                let _ = child.kill();
                let _ = child.wait();
                let why = match outcome {
                    Err(_) => format!("it did not print its port within {STARTUP_LIMIT:?}"),
                    Ok(Err(_)) => "it exited before listening".to_owned(),
                    Ok(Ok(_)) => unreachable!("handled above"),
                };
                panic!(
                    "the {mode} relay did not start: {why}; its stderr: {:?}",
                    errors.lock().expect("relay stderr lock")
                );
            }
        };
        Self {
            child,
            _stdin: stdin,
            port,
            mode,
            connections,
            frames,
        }
    }

    /// The port the relay listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whom the relay passes frames to.
    pub fn mode(&self) -> RelayMode {
        self.mode
    }

    /// The address it listens on, for a [`crate::Proxy`] in front of it.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// How many text frames with this `type` the relay has received so far, from anyone.
    pub fn frames_of_type(&self, frame_type: &str) -> usize {
        self.frames
            .lock()
            .expect("relay frame counts lock")
            .get(frame_type)
            .copied()
            .unwrap_or(0)
    }

    /// The URL to connect to, e.g. `ws://127.0.0.1:PORT/chat`. The relay accepts any path.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/chat", self.port)
    }

    /// How many WebSocket connections the relay has accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the relay's stdout: sends the port of `listening <port>` once, and counts
/// `connection <n>` and `frame <type>` lines.
fn watch_output(
    stdout: impl Read + Send + 'static,
    port_tx: oneshot::Sender<u16>,
    connections: Arc<AtomicUsize>,
    frames: FrameCounts,
) {
    std::thread::spawn(move || {
        let mut port_tx = Some(port_tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let mut words = line.split_whitespace();
            match (words.next(), words.next()) {
                (Some("listening"), Some(port)) => {
                    if let (Some(tx), Ok(port)) = (port_tx.take(), port.parse()) {
                        let _ = tx.send(port);
                    }
                }
                (Some("connection"), _) => {
                    connections.fetch_add(1, Ordering::SeqCst);
                }
                (Some("frame"), Some(frame_type)) => {
                    if let Ok(mut frames) = frames.lock() {
                        *frames.entry(frame_type.to_owned()).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
    });
}

/// Appends everything `stream` says to `sink`, for failure messages.
fn collect_into(stream: impl Read + Send + 'static, sink: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut sink) = sink.lock() {
                sink.push_str(&line);
                sink.push('\n');
            }
        }
    });
}
