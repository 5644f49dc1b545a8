//! The reference server binary as a child process, so it can die the way a crashed server
//! does (SIGKILL: no close frames, no shutdown) and come back on the same port and data.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{sleep, Instant};

use crate::served_app::workspace_root;

/// How long the server may take from being started until its port accepts connections.
const STARTUP_LIMIT: Duration = Duration::from_secs(15);

/// How often a starting server's port is tried. Short, because the moment the port accepts
/// is what reconnect times are measured from.
const STARTUP_POLL: Duration = Duration::from_millis(10);

/// The server binary to run: `WIRECHAT_SERVER_BIN`, or else `target/debug/wirechat-server`
/// in the workspace.
///
/// Panics when it does not exist, because every test would otherwise fail later with a
/// less helpful message.
pub fn server_binary() -> PathBuf {
    let bin = std::env::var_os("WIRECHAT_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/wirechat-server"));
    assert!(
        bin.is_file(),
        "build the server first: cargo build -p wirechat-server (make test does this); \
         looked for {} (WIRECHAT_SERVER_BIN overrides it)",
        bin.display()
    );
    bin
}

/// A `wirechat-server` child process keeping its history in one data directory.
///
/// Dropping it kills the process.
pub struct ServerProcess {
    bin: PathBuf,
    port: u16,
    data_dir: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
    starts: u32,
    /// Further arguments of every run, e.g. `--redis URL --dist DIR`.
    extra_args: Vec<String>,
}

impl ServerProcess {
    /// Starts `bin --bind 127.0.0.1:<port> --data-dir <data_dir>` and waits until the port
    /// accepts connections. Its output is appended to [`ServerProcess::log_path`], under the
    /// system temp directory's `wirechat-e2e/`.
    pub async fn start(bin: &Path, port: u16, data_dir: &Path) -> Self {
        Self::start_with_args(bin, port, data_dir, Vec::new()).await
    }

    /// Like [`ServerProcess::start`], passing `extra_args` too (on every restart as well).
    pub async fn start_with_args(
        bin: &Path,
        port: u16,
        data_dir: &Path,
        extra_args: Vec<String>,
    ) -> Self {
        let log_dir = std::env::temp_dir().join("wirechat-e2e");
        fs::create_dir_all(&log_dir).expect("create the server log directory");
        let log_path = log_dir.join(format!("server-{port}.log"));
        File::create(&log_path).expect("create the server log");
        let mut server = Self {
            bin: bin.to_path_buf(),
            port,
            data_dir: data_dir.to_path_buf(),
            log_path,
            child: None,
            starts: 0,
            extra_args,
        };
        server.launch().await;
        server
    }

    /// Kills the process with SIGKILL, as a crash would: it closes no socket cleanly and
    /// sends no close frame. Does nothing if it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data directory (killing it first if it
    /// still runs), and waits until the port accepts connections.
    pub async fn restart(&mut self) {
        self.kill();
        self.launch().await;
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The page URL of `path` on this server (which serves an app with `--dist`).
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }

    /// The socket URL, e.g. `ws://127.0.0.1:PORT/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr())
    }

    /// The directory holding the server's history.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The file every run of the server writes its output to.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    async fn launch(&mut self) {
        self.starts += 1;
        let mut log = OpenOptions::new()
            .append(true)
            .open(&self.log_path)
            .expect("open the server log");
        let _ = writeln!(log, "--- start {} ---", self.starts);
        let child = Command::new(&self.bin)
            .arg("--bind")
            .arg(self.addr().to_string())
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("share the server log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        self.child = Some(child);
        self.wait_until_accepting().await;
    }

    async fn wait_until_accepting(&mut self) {
        let deadline = Instant::now() + STARTUP_LIMIT;
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                panic!(
                    "the server on port {} exited with {status} before accepting connections; \
                     its output: {}",
                    self.port,
                    self.log_tail()
                );
            }
            if TcpStream::connect(self.addr()).await.is_ok() {
                return;
            }
            if Instant::now() >= deadline {
                self.kill();
                panic!(
                    "the server on port {} did not accept connections within {STARTUP_LIMIT:?}; \
                     its output: {}",
                    self.port,
                    self.log_tail()
                );
            }
            sleep(STARTUP_POLL).await;
        }
    }

    /// The end of the server's output, for failure messages.
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log_path).unwrap_or_default();
        let start = text
            .char_indices()
            .rev()
            .nth(2000)
            .map_or(0, |(index, _)| index);
        format!("{} (log: {})", &text[start..], self.log_path.display())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
        // The log only matters when something went wrong.
        if !std::thread::panicking() {
            let _ = fs::remove_file(&self.log_path);
        }
    }
}
