//! The built frontend as a plain static host serves it: copied under a sub-path of a site
//! directory, with its own `config.json`, behind `python3 -m http.server`.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Map, Value};
use tempfile::TempDir;

use crate::driver::free_loopback_port;
use crate::http_probe::get_until;
use crate::served_app::dist_dir;
use crate::wait::wait_until;

/// How long the file server may take to answer its first request.
const STARTUP_LIMIT: Duration = Duration::from_secs(15);

/// A fresh site directory holding a copy of [`dist_dir`] at `sub_path` (e.g. `apps/chat`),
/// whose `config.json` was read, changed by `edit`, and written back.
pub fn site_with_app(sub_path: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> TempDir {
    let site = tempfile::Builder::new()
        .prefix("wirechat-e2e-site-")
        .tempdir()
        .expect("create a site directory");
    let app_dir = site.path().join(sub_path);
    copy_dir(&dist_dir(), &app_dir);

    let config_path = app_dir.join("config.json");
    let text = fs::read_to_string(&config_path)
        .unwrap_or_else(|e| panic!("read {}: {e}", config_path.display()));
    let mut config: Map<String, Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a JSON object: {e}", config_path.display()));
    edit(&mut config);
    let text = serde_json::to_string_pretty(&config).expect("a JSON map serialises");
    fs::write(&config_path, text)
        .unwrap_or_else(|e| panic!("write {}: {e}", config_path.display()));
    site
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    let entries = fs::read_dir(from).unwrap_or_else(|e| panic!("list {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("list {}: {e}", from.display()));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

/// `python3 -m http.server` serving a site directory on a free loopback port. Dropping it
/// kills the server, then removes the directory and, unless the test is failing, the log.
pub struct StaticHost {
    child: Child,
    addr: SocketAddr,
    log_path: PathBuf,
    // Removed when dropped, which is after `drop` has killed the server reading it.
    _site: TempDir,
}

impl StaticHost {
    /// Serves `site` and waits until the server answers.
    pub async fn serve(site: TempDir) -> Self {
        let port = free_loopback_port();
        let log_dir = std::env::temp_dir().join("wirechat-e2e");
        fs::create_dir_all(&log_dir).expect("create the static host log directory");
        let log_path = log_dir.join(format!("static-host-{port}.log"));
        let log = File::create(&log_path).expect("create the static host log");
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
            ])
            .arg("--directory")
            .arg(site.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("share the static host log"))
            .stderr(log)
            // Its own process group, so a launcher script in front of python goes down with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start python3 -m http.server (is python3 on PATH?): {e}")
            });
        let host = Self {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            log_path,
            _site: site,
        };
        let what = format!(
            "the static host on {} to answer (log: {})",
            host.addr,
            host.log_path.display()
        );
        wait_until(&what, STARTUP_LIMIT, || status_line(host.addr, "/")).await;
        host
    }

    /// The URL of `path` on this host; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for StaticHost {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = fs::remove_file(&self.log_path);
        }
    }
}

/// The status line of one plain `GET path`, e.g. `HTTP/1.0 200 OK`.
async fn status_line(addr: SocketAddr, path: &str) -> Result<String, String> {
    get_until(addr, path, |text, _| {
        text.split_once("\r\n").map(|(line, _)| Ok(line.to_owned()))
    })
    .await
}
