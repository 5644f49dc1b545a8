//! The `wirechat-server` binary: where it keeps history, and how it fails.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

/// The server binary started in `dir` on a free loopback port.
fn server_in(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_wirechat-server"))
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
fn exit_status(child: &mut Child) -> ExitStatus {
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

/// Waits for the line the server prints once it listens, killing it if none comes in time.
fn wait_until_listening(child: &mut Child) {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(WAIT) {
        Ok(line) if line.contains("listening on") => {}
        other => {
            let _ = child.kill();
            panic!("expected the listening line, got {other:?}");
        }
    }
}

#[test]
fn by_default_history_is_kept_in_data_under_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = server_in(dir.path(), &[]);
    wait_until_listening(&mut server);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(dir.path().join("data/wirechat.sqlite3").is_file());
}

#[test]
fn with_memory_no_data_directory_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = server_in(dir.path(), &["--memory"]);
    wait_until_listening(&mut server);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(!dir.path().join("data").exists());
}

#[test]
fn a_data_directory_that_cannot_be_created_exits_with_1_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("occupied"), "a file, not a directory").unwrap();
    let mut server = server_in(dir.path(), &["--data-dir", "occupied/data"]);
    let status = exit_status(&mut server);
    let output = server.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot create the data directory occupied/data"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn help_documents_every_option_with_its_default_and_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_wirechat-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--data-dir <DIR>",
        "[default: data]",
        "WIRECHAT_DATA_DIR",
        "--memory",
        "wirechat.sqlite3",
        "--bind <ADDR>",
        "[default: 127.0.0.1:8080]",
        "WIRECHAT_BIND",
        "--allow-host <NAME>",
        "--max-connections <N>",
        "[default: 10000]",
        "--max-connections-per-ip <N>",
        "[default: 64]",
        "--handshake-timeout <DURATION>",
        "[default: 10s]",
        "--retain-messages <N>",
        "--retain-for <DURATION>",
        "[default: 30days]",
        "--log <FILTER>",
        "serve",
    ] {
        assert!(help.contains(option), "{option} in {help}");
    }
}

#[test]
fn options_are_read_from_wirechat_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    // The variable asks for memory only, so no data directory appears.
    let mut server = Command::new(env!("CARGO_BIN_EXE_wirechat-server"))
        .current_dir(dir.path())
        .env("WIRECHAT_BIND", "127.0.0.1:0")
        .env("WIRECHAT_MEMORY", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_listening(&mut server);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(!dir.path().join("data").exists());
}

#[test]
fn a_bad_value_exits_with_2_and_names_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = server_in(dir.path(), &["--max-connections-per-ip", "none"]);
    let status = exit_status(&mut server);
    let output = server.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--max-connections-per-ip"), "{stderr}");
}
