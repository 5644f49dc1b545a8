//! End-to-end harness: the built frontend served by the real reference server, driven by
//! real browsers through WebDriver: headless Chromium (chromedriver) by default, or Firefox
//! (geckodriver) or WebKit (WebKitWebDriver, under `xvfb-run`) as `WIRECHAT_BROWSER` says.
//!
//! The helpers find elements the way assistive technology does, by ARIA role and accessible
//! name, so the tests pin the frontend's accessibility contract rather than its markup.
//!
//! Every helper is bounded in time and panics with a description of what it was waiting for
//! and what it last saw: a harness failure is a test failure, and a clear message is what
//! makes it actionable. Processes and profile directories are cleaned up on drop, so a
//! failing test leaves nothing running.
//!
//! Running: build the frontend into `dist/` first, then
//! `cargo test -p wirechat-e2e -- --test-threads=2`. Tests take turns on the browsers by
//! themselves ([`BrowserSlot`]): most run alone, two light ones at once, so two runner
//! threads are all the suite can use. The environment can point elsewhere:
//! `WIRECHAT_DIST` (the trunk output), `WIRECHAT_BROWSER` (`chromium`, `firefox` or
//! `webkit`), the drivers `CHROMEDRIVER`, `GECKODRIVER` and `WEBKITWEBDRIVER`, and the
//! browsers `CHROME_BIN`, `FIREFOX_BIN` and `WEBKIT_BIN`. The relay tests also
//! need Node.js with the root `node_modules` installed (`npm ci`), the accessibility tests
//! read axe-core from there too, and the static-hosting test needs `python3`. The fault tests run the server binary, so build it first
//! (`cargo build -p wirechat-server`); `WIRECHAT_SERVER_BIN` points at another one. The
//! scale-out tests also start `redis-server` (from PATH) on a free port.
//!
//! ```no_run
//! # async fn demo() {
//! use wirechat_e2e::{bounded, Harness, TEST_BOUND};
//!
//! let harness = Harness::start().await;
//! bounded(TEST_BOUND, async {
//!     let alice = harness.open("lobby", "alice").await;
//!     alice.wait_for_status("Connected").await;
//!     alice.send("hello").await;
//!     alice.wait_for_message("alice", "hello").await;
//! })
//! .await;
//! harness.shutdown().await;
//! # }
//! ```

mod axe;
mod browser;
mod browser_slot;
mod chat_page;
mod driver;
mod engine;
mod harness;
mod http_probe;
mod message_row;
mod png;
mod proxy;
mod raw_socket;
mod redis_server;
mod relay;
mod room_bot;
mod served_app;
mod server_process;
mod static_host;
mod token_endpoint;
mod wait;

pub use axe::{axe_script_path, AxeViolation};
pub use browser::{Browser, VIEWPORT};
pub use browser_slot::BrowserSlot;
pub use chat_page::{Focused, LogView, MessageLink, RoomEntry, RowPlace, PHONE_VIEWPORT};
pub use driver::{free_loopback_port, Driver};
pub use engine::Engine;
pub use harness::Harness;
pub use message_row::MessageRow;
pub use png::png_size;
pub use proxy::{Proxy, ProxyMode};
pub use raw_socket::{RawFrame, RawSocket};
pub use redis_server::RedisServer;
pub use relay::{Relay, RelayMode};
pub use room_bot::RoomBot;
pub use served_app::{dist_dir, workspace_root, ServedApp};
pub use server_process::{server_binary, ServerProcess};
pub use static_host::{site_with_app, StaticHost};
pub use token_endpoint::{TokenAnswer, TokenEndpoint};
pub use wait::{bounded, wait_until, DEFAULT_WAIT, POLL_INTERVAL};

use std::time::Duration;

/// How long one whole end-to-end test may run before it is failed.
pub const TEST_BOUND: Duration = Duration::from_secs(60);
