//! One test's world: the served app, the WebDriver processes and the browsers opened on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempfile::TempDir;

use crate::browser::Browser;
use crate::browser_slot::BrowserSlot;
use crate::driver::Driver;
use crate::engine::Engine;
use crate::served_app::ServedApp;

/// How long closing one browser may take during shutdown.
const CLOSE_LIMIT: Duration = Duration::from_secs(5);

/// How long the server may take to stop: longer than its own bounded wait for sockets to
/// close, so a slow close is the server's decision and a hang is ours to report.
const SERVER_STOP_LIMIT: Duration = Duration::from_secs(15);

/// The server, drivers and browsers of one test, in the engine `WIRECHAT_BROWSER` names.
///
/// [`Harness::shutdown`] closes everything in order. If a test panics first, dropping the
/// harness kills the drivers with their browsers, and the test's runtime takes the server.
pub struct Harness {
    app: Option<ServedApp>,
    engine: Engine,
    browsers: Mutex<Vec<Browser>>,
    // Declared before the profiles so the browsers are dead before their directories go.
    drivers: Mutex<Vec<Arc<Driver>>>,
    profiles: Mutex<Vec<TempDir>>,
    // A test runs alone unless it is light: several browsers per test already fill two
    // cores, and tests that race for CPU fail on timeouts instead of on bugs. Light tests,
    // which mostly wait on the product's timers, run two at a time (see `BrowserSlot`).
    _slot: BrowserSlot,
}

impl Harness {
    /// Waits until no other test drives browsers, then starts the server. Drivers start
    /// with the browsers.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`Harness::start`], with the server's configuration changed by `tune` first.
    pub async fn start_with(tune: impl FnOnce(&mut wirechat_server::Config)) -> Self {
        let slot = BrowserSlot::alone().await;
        let app = ServedApp::start_with(tune).await;
        Self::around(app, slot)
    }

    /// Like [`Harness::start`] for a light test, which shares the machine with one other
    /// light test: at most two browsers, mostly waiting on the product's timers, and no
    /// narrow timing window, focus, IME, screenshot, scroll position or speed to check (see
    /// [`BrowserSlot::light`]).
    pub async fn start_light() -> Self {
        Self::start_light_with(|_| {}).await
    }

    /// Like [`Harness::start_light`], with the server's configuration changed by `tune`
    /// first.
    pub async fn start_light_with(tune: impl FnOnce(&mut wirechat_server::Config)) -> Self {
        let slot = BrowserSlot::light().await;
        let app = ServedApp::start_with(tune).await;
        Self::around(app, slot)
    }

    /// Like [`Harness::start_with`], with the server's history already in `store`.
    pub async fn start_with_history(
        tune: impl FnOnce(&mut wirechat_server::Config),
        store: impl wirechat_server::HistoryStore + 'static,
    ) -> Self {
        let slot = BrowserSlot::alone().await;
        let app = ServedApp::start_with_history(tune, store).await;
        Self::around(app, slot)
    }

    fn around(app: ServedApp, slot: BrowserSlot) -> Self {
        Self {
            app: Some(app),
            engine: Engine::from_env(),
            browsers: Mutex::new(Vec::new()),
            drivers: Mutex::new(Vec::new()),
            profiles: Mutex::new(Vec::new()),
            _slot: slot,
        }
    }

    /// The engine this test's browsers run.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The served app.
    ///
    /// Panics after [`Harness::stop_server`].
    pub fn app(&self) -> &ServedApp {
        self.app.as_ref().expect("the server was stopped")
    }

    /// Starts a new, independent browser on a blank page.
    pub async fn launch(&self, label: &str) -> Browser {
        let profile = tempfile::Builder::new()
            .prefix("wirechat-e2e-profile-")
            .tempdir()
            .expect("create a browser profile directory");
        let driver = self.driver().await;
        let browser = Browser::launch(&driver, profile.path(), label).await;
        self.profiles.lock().expect("profiles lock").push(profile);
        self.browsers
            .lock()
            .expect("browsers lock")
            .push(browser.clone());
        browser
    }

    /// The driver for the next browser: the shared one where the engine allows it, else a
    /// new one.
    async fn driver(&self) -> Arc<Driver> {
        if self.engine.shares_driver() {
            if let Some(driver) = self.drivers.lock().expect("drivers lock").first() {
                return Arc::clone(driver);
            }
        }
        let driver = Arc::new(Driver::start(self.engine).await);
        self.drivers
            .lock()
            .expect("drivers lock")
            .push(Arc::clone(&driver));
        driver
    }

    /// Starts a browser on `url` and waits for the message log to appear.
    pub async fn open_url(&self, url: &str, label: &str) -> Browser {
        let browser = self.launch(label).await;
        browser.goto(url).await;
        browser.find_by_role("log", "Messages").await;
        browser
    }

    /// Starts a browser named `name` in `room` and waits for the message log to appear.
    pub async fn open(&self, room: &str, name: &str) -> Browser {
        self.open_url(&self.app().room_url(room, name), name).await
    }

    /// Like [`Harness::open`], then waits for the status to say "Connected".
    pub async fn join(&self, room: &str, name: &str) -> Browser {
        let browser = self.open(room, name).await;
        browser.wait_for_status("Connected").await;
        browser
    }

    /// Starts a browser named `name` in `room` on the served page, told to connect to
    /// `socket_url` (a relay, say) instead of the served app's own `/ws`, and waits for the
    /// message log to appear.
    pub async fn open_on(&self, socket_url: &str, room: &str, name: &str) -> Browser {
        let url = self.app().room_url_using_socket(room, name, socket_url);
        self.open_url(&url, name).await
    }

    /// Like [`Harness::open_on`], then waits for the status to say "Connected".
    pub async fn join_on(&self, socket_url: &str, room: &str, name: &str) -> Browser {
        let browser = self.open_on(socket_url, room, name).await;
        browser.wait_for_status("Connected").await;
        browser
    }

    /// Stops the server while the browsers stay open.
    pub async fn stop_server(&mut self) {
        if let Some(app) = self.app.take() {
            let stopped = tokio::time::timeout(SERVER_STOP_LIMIT, app.shutdown()).await;
            assert!(
                stopped.is_ok(),
                "the server did not stop within {SERVER_STOP_LIMIT:?}"
            );
        }
    }

    /// Closes every browser, stops the server and then the drivers.
    pub async fn shutdown(mut self) {
        let browsers = std::mem::take(&mut *self.browsers.lock().expect("browsers lock"));
        for browser in browsers {
            // A browser that will not close is killed with its driver below.
            let _ = tokio::time::timeout(CLOSE_LIMIT, browser.close()).await;
        }
        self.stop_server().await;
    }
}
