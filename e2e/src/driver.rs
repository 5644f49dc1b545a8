//! A WebDriver process (chromedriver, geckodriver or WebKitWebDriver) on a free loopback
//! port, killed with everything it started.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::engine::Engine;
use crate::http_probe::get_until;
use crate::wait::wait_until;

/// How long a driver may take before its `/status` reports ready.
const STARTUP_LIMIT: Duration = Duration::from_secs(20);

/// A running WebDriver for one [`Engine`]. Dropping it kills the driver and every browser
/// it launched, removes the files those browsers kept, and removes its log unless the test
/// is failing.
pub struct Driver {
    child: Child,
    engine: Engine,
    addr: SocketAddr,
    log_path: PathBuf,
    // The driver's and its browsers' temporary directory: geckodriver's profiles, and
    // whatever chromedriver and Chromium keep in TMPDIR (a profile of their own, the
    // singleton socket). A browser killed before it cleans up leaves those behind, so the
    // whole directory goes on drop, after the child is dead (see `Drop`), when no browser
    // still writes into it.
    _scratch: TempDir,
}

impl Driver {
    /// Starts the driver of `engine` (see [`Engine`] for the programs and the variables that
    /// override them) and waits until its `/status` says it is ready. Its output goes to
    /// [`Driver::log_path`], under the system temp directory's `wirechat-e2e/`.
    pub async fn start(engine: Engine) -> Self {
        let program = engine.driver_program();
        let port = free_loopback_port();
        let scratch = tempfile::Builder::new()
            .prefix("wirechat-e2e-browser-")
            .tempdir()
            .expect("create a directory for the browsers' files");
        let log_dir = std::env::temp_dir().join("wirechat-e2e");
        fs::create_dir_all(&log_dir).expect("create the driver log directory");
        let log_path = log_dir.join(format!("driver-{port}.log"));
        let log = File::create(&log_path).expect("create the driver log");
        let child = Command::new(&program)
            .args(engine.driver_args(port, scratch.path()))
            .env("TMPDIR", scratch.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("share the driver log"))
            .stderr(log)
            // Its own process group, so one signal on drop reaches the browsers it launched too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start the {} driver at {program} (set {}): {e}",
                    engine.name(),
                    engine.driver_var()
                )
            });
        let driver = Self {
            child,
            engine,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            log_path,
            _scratch: scratch,
        };
        let what = format!(
            "the {} driver to be ready (log: {})",
            engine.name(),
            driver.log_path.display()
        );
        wait_until(&what, STARTUP_LIMIT, || driver.status()).await;
        driver
    }

    /// The engine this driver starts.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The WebDriver endpoint, e.g. `http://127.0.0.1:9515`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The file the driver writes its output to.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log_path
    }

    /// One raw `GET /status`; a plain socket keeps this independent of the WebDriver client.
    async fn status(&self) -> Result<(), String> {
        get_until(self.addr, "/status", |text, _| {
            if text.contains("\"ready\":true") || text.contains("\"ready\": true") {
                Some(Ok(()))
            } else if text.contains("\"ready\":false") {
                Some(Err(text.to_owned()))
            } else {
                None
            }
        })
        .await
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Killing only the driver would orphan the browser processes it started.
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
