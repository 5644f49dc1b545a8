//! A `redis-server` of the test's own: on a free loopback port, with persistence off, so a
//! restart comes back empty the way an unpersisted Redis does after a crash.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{sleep, Instant};

use crate::driver::free_loopback_port;

/// How long redis-server may take until its port accepts connections.
const STARTUP_LIMIT: Duration = Duration::from_secs(10);

/// A `redis-server` child process. Dropping it kills the process.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no` on a free
    /// port and waits until it accepts connections.
    pub async fn start() -> Self {
        let mut redis = Self {
            port: free_loopback_port(),
            child: None,
        };
        redis.launch().await;
        redis
    }

    /// The URL nodes are given with `--redis`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the process with SIGKILL, as a crash would. Does nothing if it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty (killing it first if it still runs).
    pub async fn restart(&mut self) {
        self.kill();
        self.launch().await;
    }

    async fn launch(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server (scripts/setup.sh installs it): {e}")
            });
        self.child = Some(child);
        let deadline = Instant::now() + STARTUP_LIMIT;
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not accept connections within {STARTUP_LIMIT:?}",
                self.port
            );
            sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
