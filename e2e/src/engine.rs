//! The browser engine a run drives, and what each engine's WebDriver needs to start it.
//!
//! `WIRECHAT_BROWSER` picks the engine: `chromium` (the default), `firefox` or `webkit`.
//! Each engine has its own driver program and capabilities; everything above this module
//! speaks plain W3C WebDriver and does not care which engine answers.

use std::path::Path;

use fantoccini::wd::Capabilities;
use serde_json::{json, Value};

/// The variable that picks the engine.
const ENGINE_VAR: &str = "WIRECHAT_BROWSER";

/// The timeouts every session gets: a page that has not loaded in 20 s, or a script that
/// has not answered in 10 s, is a failure worth reporting rather than waiting out.
const SESSION_TIMEOUTS: (u64, u64) = (20_000, 10_000);

/// A browser engine with a WebDriver on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Headless Chromium through chromedriver.
    Chromium,
    /// Headless Firefox through geckodriver.
    Firefox,
    /// WebKitGTK's MiniBrowser through WebKitWebDriver. It has no headless mode, so the
    /// run needs a display (`xvfb-run -a`).
    Webkit,
}

impl Engine {
    /// The engine `WIRECHAT_BROWSER` names, Chromium when it is unset.
    ///
    /// Panics on any other value, so a typo never silently tests Chromium instead.
    pub fn from_env() -> Self {
        match std::env::var(ENGINE_VAR).as_deref() {
            Err(_) | Ok("" | "chromium" | "chrome") => Self::Chromium,
            Ok("firefox") => Self::Firefox,
            Ok("webkit") => Self::Webkit,
            Ok(other) => panic!("{ENGINE_VAR}={other:?}: expected chromium, firefox or webkit"),
        }
    }

    /// The engine's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Chromium => "Chromium",
            Self::Firefox => "Firefox",
            Self::Webkit => "WebKit",
        }
    }

    /// Whether a test (or a part of one) that only Chromium runs should be skipped: true in
    /// the other engines, after saying on stderr what is skipped and why.
    pub fn skips_chromium_only(self, what: &str, why: &str) -> bool {
        if self == Self::Chromium {
            return false;
        }
        eprintln!("skipped in {}: {what}: {why}", self.name());
        true
    }

    /// Whether one driver process serves every browser of a test. geckodriver and
    /// WebKitWebDriver hold one session each, so those engines get a driver per browser.
    pub fn shares_driver(self) -> bool {
        self == Self::Chromium
    }

    /// The driver program: the engine's variable when set, else where Debian (or
    /// `cargo install geckodriver`) puts it.
    pub(crate) fn driver_program(self) -> String {
        let (var, default) = match self {
            Self::Chromium => ("CHROMEDRIVER", "/usr/bin/chromedriver".to_owned()),
            Self::Firefox => ("GECKODRIVER", cargo_bin("geckodriver")),
            Self::Webkit => ("WEBKITWEBDRIVER", "/usr/bin/WebKitWebDriver".to_owned()),
        };
        std::env::var(var).unwrap_or(default)
    }

    /// The variable that overrides [`Engine::driver_program`], for messages.
    pub(crate) fn driver_var(self) -> &'static str {
        match self {
            Self::Chromium => "CHROMEDRIVER",
            Self::Firefox => "GECKODRIVER",
            Self::Webkit => "WEBKITWEBDRIVER",
        }
    }

    /// The driver's arguments to listen on `port`, with its browsers' files under `scratch`.
    pub(crate) fn driver_args(self, port: u16, scratch: &Path) -> Vec<String> {
        match self {
            Self::Chromium | Self::Webkit => vec![format!("--port={port}")],
            Self::Firefox => vec![
                format!("--port={port}"),
                // The BiDi port defaults to 9222 for every geckodriver, and two Firefoxes
                // at once would fight over it.
                "--websocket-port=0".to_owned(),
                // geckodriver makes a fresh profile per session here, so the harness
                // removes it even when the driver is killed.
                format!("--profile-root={}", scratch.display()),
            ],
        }
    }

    /// The capabilities of a new session whose browser keeps its files under `scratch`.
    pub(crate) fn capabilities(self, scratch: &Path) -> Capabilities {
        let (page_load, script) = SESSION_TIMEOUTS;
        let mut capabilities = json!({
            "timeouts": { "pageLoad": page_load, "script": script, "implicit": 0 },
        });
        let options = match self {
            Self::Chromium => json!({
                "browserName": "chrome",
                "goog:chromeOptions": { "binary": chromium_binary(), "args": chromium_args(scratch) },
            }),
            Self::Firefox => {
                let mut options = json!({ "args": ["-headless"] });
                if let Ok(binary) = std::env::var("FIREFOX_BIN") {
                    options["binary"] = json!(binary);
                }
                json!({ "browserName": "firefox", "moz:firefoxOptions": options })
            }
            // WebKitWebDriver starts its own MiniBrowser, in automation mode with an
            // ephemeral profile, unless told of another browser, which then needs
            // `--automation` from us.
            Self::Webkit => match std::env::var("WEBKIT_BIN") {
                Ok(binary) => json!({
                    "webkitgtk:browserOptions": { "binary": binary, "args": ["--automation"] },
                }),
                Err(_) => json!({}),
            },
        };
        merge(&mut capabilities, options);
        match capabilities {
            Value::Object(map) => map,
            _ => unreachable!("the capabilities literal is an object"),
        }
    }
}

/// Chromium unless `CHROME_BIN` says otherwise.
fn chromium_binary() -> String {
    std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// What Chromium needs to run headless on a machine with no outside network, as root.
fn chromium_args(profile_dir: &Path) -> Vec<String> {
    [
        "--headless=new",
        // Chromium's sandbox refuses to run as root.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        // These would reach for the network at startup and slow every launch.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,800",
    ]
    .map(str::to_owned)
    .into_iter()
    .chain([format!("--user-data-dir={}", profile_dir.display())])
    .collect()
}

/// `~/.cargo/bin/{name}` when it exists there, else `name` for a search of `PATH`.
fn cargo_bin(name: &str) -> String {
    std::env::var("HOME")
        .map(|home| Path::new(&home).join(".cargo/bin").join(name))
        .ok()
        .filter(|path| path.exists())
        .map(|path| path.display().to_string())
        .unwrap_or_else(|| name.to_owned())
}

/// Copies the top-level keys of `extra` into `target`.
fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(extra)) = (target, extra) {
        target.extend(extra);
    }
}
