//! Starting the real `wirechat-server` binary in tests, and waiting on it.
//!
//! The binary is `WIRECHAT_SERVER_BIN` when set (to run these tests against another build),
//! else the one cargo built for these tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Longest a test waits for the binary to start or to exit.
pub const WAIT: Duration = Duration::from_secs(20);

fn binary() -> PathBuf {
    std::env::var_os("WIRECHAT_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_wirechat-server")))
}

/// The server binary started in `dir` on a free loopback port.
pub fn server_in(dir: &Path, args: &[&str]) -> Child {
    Command::new(binary())
        .current_dir(dir)
        .args(["--bind", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Waits for the child to exit, killing it if it is still running after [`WAIT`].
pub fn exit_status(child: &mut Child) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > WAIT {
            let _ = child.kill();
            panic!("the server did not exit within {WAIT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for the line the server prints once it listens and returns the port it names,
/// killing the server if no such line comes in time.
pub fn wait_until_listening(child: &mut Child) -> u16 {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(WAIT).unwrap_or_default();
    let port = line
        .contains("listening on")
        .then(|| line.trim().trim_end_matches('/').rsplit(':').next())
        .flatten()
        .and_then(|port| port.parse().ok());
    match port {
        Some(port) => port,
        None => {
            let _ = child.kill();
            panic!("expected the listening line, got {line:?}");
        }
    }
}
