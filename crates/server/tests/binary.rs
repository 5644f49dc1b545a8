//! The `wirechat-server` binary: where it keeps history, and how it fails.

use crate::process;

use std::process::{Command, Stdio};

use process::{exit_status, server_in, wait_until_listening};

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
        "--max-text <BYTES>",
        "[default: 4000]",
        "WIRECHAT_MAX_TEXT",
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

#[tokio::test]
async fn connections_refused_in_a_burst_are_logged_once_with_a_count_not_once_each() {
    // Anyone can knock as often as they like; the operator's log must not grow with it.
    const KNOCKS: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let mut server = server_in(
        dir.path(),
        &["--memory", "--max-connections-per-ip", "1", "--log", "info"],
    );
    let port = wait_until_listening(&mut server);
    let url = format!("ws://127.0.0.1:{port}/ws");
    let (_held, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("the first connection is admitted");
    for _ in 0..KNOCKS {
        let refused = tokio_tungstenite::connect_async(url.as_str()).await;
        assert!(refused.is_err(), "a second connection from one address");
    }
    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("too many from one address"))
        .collect();
    assert!(
        (1..=2).contains(&lines.len()),
        "{} log lines for {KNOCKS} refusals:\n{stderr}",
        lines.len()
    );
}

#[test]
fn a_text_limit_that_would_refuse_every_message_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for limit in ["0", "63", "32769"] {
        let mut server = server_in(dir.path(), &["--memory", "--max-text", limit]);
        let status = exit_status(&mut server);
        let output = server.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(status.code(), Some(2), "{limit}: {stderr}");
        assert!(stderr.contains("--max-text"), "{stderr}");
        assert!(stderr.contains("must be 64 to 32768 bytes"), "{stderr}");
    }
    let mut server = server_in(dir.path(), &["--memory", "--max-text", "64"]);
    wait_until_listening(&mut server);
    server.kill().unwrap();
    server.wait().unwrap();
}
