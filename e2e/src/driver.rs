//! A chromedriver process on a free loopback port, killed with everything it started.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::wait::wait_until;

/// Where chromedriver is unless `CHROMEDRIVER` says otherwise.
const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long chromedriver may take before its `/status` reports ready.
const STARTUP_LIMIT: Duration = Duration::from_secs(20);

/// A running chromedriver. Dropping it kills chromedriver and every browser it launched,
/// and removes its log unless the test is failing.
pub struct Chromedriver {
    child: Child,
    addr: SocketAddr,
    log_path: PathBuf,
}

impl Chromedriver {
    /// Starts chromedriver (`CHROMEDRIVER`, default `/usr/bin/chromedriver`) and waits until
    /// its `/status` says it is ready. Its output goes to [`Chromedriver::log_path`], under
    /// the system temp directory's `wirechat-e2e/`.
    pub async fn start() -> Self {
        let program =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| DEFAULT_CHROMEDRIVER.to_owned());
        let port = free_loopback_port();
        let log_dir = std::env::temp_dir().join("wirechat-e2e");
        fs::create_dir_all(&log_dir).expect("create the chromedriver log directory");
        let log_path = log_dir.join(format!("chromedriver-{port}.log"));
        let log = File::create(&log_path).expect("create the chromedriver log");
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("share the chromedriver log"))
            .stderr(log)
            // Its own process group, so one signal on drop reaches the browsers it launched too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start chromedriver at {program} (set CHROMEDRIVER): {e}")
            });
        let driver = Self {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            log_path,
        };
        let what = format!(
            "chromedriver to be ready (log: {})",
            driver.log_path.display()
        );
        wait_until(&what, STARTUP_LIMIT, || driver.status()).await;
        driver
    }

    /// The WebDriver endpoint, e.g. `http://127.0.0.1:9515`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The file chromedriver writes its output to.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log_path
    }

    /// One raw `GET /status`; a plain socket keeps this independent of the WebDriver client.
    async fn status(&self) -> Result<(), String> {
        let mut stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let request = format!(
            "GET /status HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        // chromedriver may keep the connection open after answering, so read only until
        // the answer is complete enough to judge.
        let mut response = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            let read = stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            response.extend_from_slice(&chunk[..read]);
            let text = String::from_utf8_lossy(&response);
            if text.contains("\"ready\":true") || text.contains("\"ready\": true") {
                return Ok(());
            }
            if read == 0 || text.contains("\"ready\":false") {
                return Err(text.into_owned());
            }
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // Killing only chromedriver would orphan the Chromium processes it started.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The log only matters when something went wrong.
        if !std::thread::panicking() {
            let _ = fs::remove_file(&self.log_path);
        }
    }
}

/// A loopback port nobody listens on right now. Another process could take it before the
/// caller binds it, but on a test machine that window is negligible and a failure is loud.
pub fn free_loopback_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("find a free loopback port")
}
