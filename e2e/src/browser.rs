//! One browser session, in whichever engine the run drives, and the page-level helpers the
//! tests speak in.

use std::path::Path;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::{Element, ElementRef};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::driver::Driver;
use crate::engine::Engine;
use crate::message_row::MessageRow;
use crate::wait::{wait_until, DEFAULT_WAIT, POLL_INTERVAL};

/// The scripts every page query builds on.
const PAGE_JS: &str = include_str!("page.js");

/// The key W3C WebDriver uses to mark an element reference in script results.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The `data-testid` of the dropped-frame count under Connection details.
const DROPPED_FRAMES: &str = "dropped-frames";

/// The size of the page area every browser gets, which is also the screenshot size.
pub const VIEWPORT: (u32, u32) = (1280, 800);

/// How long one browser may take to start: Firefox took about 20 s to show its first window
/// on a busy two-core machine, where Chromium and WebKit took a few.
const LAUNCH_LIMIT: Duration = Duration::from_secs(60);

/// A browser session driven over WebDriver.
///
/// Cloning shares the session; [`Browser::close`] ends it for every clone.
#[derive(Clone)]
pub struct Browser {
    client: Client,
    engine: Engine,
    label: String,
}

impl Browser {
    /// Starts a browser of the driver's engine (see [`Engine`]) through `driver`, with its
    /// profile in `profile_dir` where the engine takes one. `label` names it in failure
    /// messages.
    pub async fn launch(driver: &Driver, profile_dir: &Path, label: &str) -> Self {
        let engine = driver.engine();
        let client = tokio::time::timeout(
            LAUNCH_LIMIT,
            ClientBuilder::new(HttpConnector::new())
                .capabilities(engine.capabilities(profile_dir))
                .connect(&driver.url()),
        )
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{label}: {} did not start within {LAUNCH_LIMIT:?} (log: {})",
                engine.name(),
                driver.log_path().display()
            )
        })
        .unwrap_or_else(|e| {
            panic!(
                "{label}: cannot start {}: {e} (log: {})",
                engine.name(),
                driver.log_path().display()
            )
        });
        let browser = Self {
            client,
            engine,
            label: label.to_owned(),
        };
        browser.fit_viewport().await;
        browser
    }

    /// Sizes the window so the page itself gets [`VIEWPORT`]: WebDriver sizes the outer
    /// window, and every engine (headless Chromium too) reserves room for its toolbar inside.
    async fn fit_viewport(&self) {
        let (width, height) = VIEWPORT;
        let frame = self
            .client
            .execute(
                "return [window.outerWidth - window.innerWidth, \
                         window.outerHeight - window.innerHeight];",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("{}: cannot measure the window: {e}", self.label));
        let extra = |i: usize| u32::try_from(frame[i].as_u64().unwrap_or(0)).unwrap_or(0);
        self.client
            .set_window_size(width + extra(0), height + extra(1))
            .await
            .unwrap_or_else(|e| panic!("{}: cannot size the window: {e}", self.label));
    }

    /// The underlying WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The engine this browser runs.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The name this browser has in failure messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Navigates to `url` and waits for the document to load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot open {url}: {e}", self.label));
    }

    /// Loads the current page afresh, as a person pressing reload would.
    pub async fn reload(&self) {
        self.client
            .refresh()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot reload: {e}", self.label));
    }

    /// Runs `body` after the page queries of `page.js`, with `args` as `arguments`.
    async fn run_page_script(&self, body: &str, args: Vec<Value>) -> Result<Value, String> {
        self.client
            .execute(&format!("{PAGE_JS}\n{body}"), args)
            .await
            .map_err(|e| format!("script failed: {e}"))
    }

    /// The first exposed element with ARIA `role` whose accessible name contains
    /// `name_contains`, or what the page offers instead.
    pub async fn query_by_role(&self, role: &str, name_contains: &str) -> Result<Element, String> {
        let found = self
            .run_page_script(
                "const el = findByRole(arguments[0], arguments[1]);
                 return el ? el : describeLandmarks();",
                vec![json!(role), json!(name_contains)],
            )
            .await?;
        match found.get(ELEMENT_KEY).and_then(Value::as_str) {
            Some(id) => Ok(Element::from_element_id(
                self.client.clone(),
                ElementRef::from(id.to_owned()),
            )),
            None => Err(format!(
                "no {role} named like {name_contains:?}; the page exposes: [{}]",
                found.as_str().unwrap_or_default()
            )),
        }
    }

    /// Waits up to [`DEFAULT_WAIT`] for the element [`Browser::query_by_role`] describes.
    pub async fn find_by_role(&self, role: &str, name_contains: &str) -> Element {
        let what = format!("{}: a {role} named like {name_contains:?}", self.label);
        wait_until(&what, DEFAULT_WAIT, || {
            self.query_by_role(role, name_contains)
        })
        .await
    }

    /// The connection status text, or an empty string while the page shows none.
    pub async fn status_text(&self) -> String {
        self.read_status().await.unwrap_or_default()
    }

    async fn read_status(&self) -> Result<String, String> {
        let text = self
            .run_page_script(
                "const el = findByRole('status', '');
                 return el ? el.textContent.trim() : null;",
                vec![],
            )
            .await?;
        text.as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no element with role status".to_owned())
    }

    /// Waits until the status text contains `expected` (case-sensitive), and returns it.
    pub async fn wait_for_status(&self, expected: &str) -> String {
        let what = format!("{}: status containing {expected:?}", self.label);
        wait_until(&what, DEFAULT_WAIT, || async {
            let text = self.read_status().await?;
            if text.contains(expected) {
                Ok(text)
            } else {
                Err(format!("status {text:?}"))
            }
        })
        .await
    }

    /// The rows of the message log, oldest first, or why they cannot be read.
    pub async fn try_messages(&self) -> Result<Vec<MessageRow>, String> {
        let rows = self
            .run_page_script("return messageRows();", vec![])
            .await?;
        if rows.is_null() {
            return Err("no log named like \"Messages\"".to_owned());
        }
        Ok(MessageRow::parse_all(&rows))
    }

    /// The rows of the message log, oldest first.
    pub async fn messages(&self) -> Vec<MessageRow> {
        self.try_messages()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot read messages: {e}", self.label))
    }

    /// Waits until the log shows every `(from, text)` in `expected`, and returns the rows.
    pub async fn wait_for_messages(&self, expected: &[(&str, &str)]) -> Vec<MessageRow> {
        self.wait_for_messages_within(expected, DEFAULT_WAIT).await
    }

    /// Like [`Browser::wait_for_messages`], waiting up to `limit`: for messages that arrive
    /// only after a reconnect, whose backoff can outlast the default wait.
    pub async fn wait_for_messages_within(
        &self,
        expected: &[(&str, &str)],
        limit: Duration,
    ) -> Vec<MessageRow> {
        let what = format!("{}: messages {expected:?}", self.label);
        wait_until(&what, limit, || async {
            let rows = self.try_messages().await?;
            let all_shown = expected
                .iter()
                .all(|(from, text)| rows.iter().any(|row| row.shows(from, text)));
            if all_shown {
                Ok(rows)
            } else {
                Err(format!(
                    "status {:?}, rows {rows:?}",
                    self.status_text().await
                ))
            }
        })
        .await
    }

    /// Waits until the log shows `text` sent by `from`.
    pub async fn wait_for_message(&self, from: &str, text: &str) -> Vec<MessageRow> {
        self.wait_for_messages(&[(from, text)]).await
    }

    /// Waits until the row showing `text` from `from` carries the delivery badge
    /// `delivery` ("Sending", "Sent", "Delivered" or "Not delivered"), and returns the rows.
    pub async fn wait_for_delivery(
        &self,
        from: &str,
        text: &str,
        delivery: &str,
    ) -> Vec<MessageRow> {
        let what = format!("{}: {from}'s {text:?} marked {delivery:?}", self.label);
        wait_until(&what, DEFAULT_WAIT, || async {
            let rows = self.try_messages().await?;
            let marked = rows
                .iter()
                .any(|row| row.shows(from, text) && row.delivery.as_deref() == Some(delivery));
            if marked {
                Ok(rows)
            } else {
                Err(format!("{rows:?}"))
            }
        })
        .await
    }

    /// Checks the status every [`POLL_INTERVAL`] for `duration` and panics the first time it
    /// does not contain `expected`.
    pub async fn expect_status_throughout(&self, expected: &str, duration: Duration) {
        let deadline = tokio::time::Instant::now() + duration;
        while tokio::time::Instant::now() < deadline {
            let text = self.status_text().await;
            assert!(
                text.contains(expected),
                "{}: the status left {expected:?} and said {text:?}",
                self.label
            );
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// The texts of the exposed `role="note"` elements.
    pub async fn notes(&self) -> Vec<String> {
        let notes = self
            .evaluate(
                "return findAllByRole('note', '').map((el) => el.textContent.trim());",
                vec![],
            )
            .await;
        notes
            .as_array()
            .map(|notes| {
                notes
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until a `role="note"` element's text contains `expected`, and returns that text.
    pub async fn wait_for_note(&self, expected: &str) -> String {
        let what = format!("{}: a note containing {expected:?}", self.label);
        wait_until(&what, DEFAULT_WAIT, || async {
            let notes = self.notes().await;
            match notes.iter().find(|note| note.contains(expected)) {
                Some(note) => Ok(note.clone()),
                None => Err(format!("notes {notes:?}")),
            }
        })
        .await
    }

    /// The trimmed text of the element with `data-testid="{test_id}"`, shown or not.
    pub async fn test_id_text(&self, test_id: &str) -> Result<String, String> {
        let text = self
            .run_page_script(
                "const el = Array.from(document.querySelectorAll('[data-testid]'))
                     .find((el) => el.getAttribute('data-testid') === arguments[0]);
                 return el ? el.textContent.trim() : null;",
                vec![json!(test_id)],
            )
            .await?;
        text.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no element with data-testid {test_id:?}"))
    }

    /// Waits until the element with `data-testid="{test_id}"` says exactly `expected`.
    pub async fn wait_for_test_id_text(&self, test_id: &str, expected: &str) -> String {
        let what = format!(
            "{}: [data-testid={test_id:?}] saying {expected:?}",
            self.label
        );
        wait_until(&what, DEFAULT_WAIT, || async {
            let text = self.test_id_text(test_id).await?;
            if text == expected {
                Ok(text)
            } else {
                Err(format!("{text:?}"))
            }
        })
        .await
    }

    /// The count under Connection details → Dropped frames.
    pub async fn dropped_frames(&self) -> Result<u64, String> {
        let text = self.test_id_text(DROPPED_FRAMES).await?;
        text.parse()
            .map_err(|_| format!("dropped frames shows {text:?}, not a count"))
    }

    /// Waits until the dropped-frame count is exactly `expected`.
    pub async fn wait_for_dropped_frames(&self, expected: u64) {
        self.wait_for_test_id_text(DROPPED_FRAMES, &expected.to_string())
            .await;
    }

    /// Runs `body` after the page queries of `page.js`, with `args` as `arguments`, and
    /// returns what it returns.
    pub async fn evaluate(&self, body: &str, args: Vec<Value>) -> Value {
        self.run_page_script(body, args)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.label))
    }

    /// Types `text` into the composer and presses Enter.
    pub async fn send(&self, text: &str) {
        assert!(
            !text.contains('\n'),
            "a newline would press Enter and send early: use send_lines"
        );
        self.type_into_composer(&format!("{text}{}", Key::Enter))
            .await;
    }

    /// Types `lines` into the composer separated by Shift+Enter, then presses Enter.
    pub async fn send_lines(&self, lines: &[&str]) {
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                self.press_shift_enter().await;
            }
            self.type_into_composer(line).await;
        }
        self.type_into_composer(&Key::Enter.to_string()).await;
    }

    /// Presses Shift+Enter on the focused element, releasing Shift explicitly: geckodriver
    /// and WebKitWebDriver keep it held through the Null key of a Send Keys.
    async fn press_shift_enter(&self) {
        let (shift, enter) = (char::from(Key::Shift), char::from(Key::Enter));
        let keys = KeyActions::new("shift-enter".to_owned())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Down { value: enter })
            .then(KeyAction::Up { value: enter })
            .then(KeyAction::Up { value: shift });
        self.client
            .perform_actions(keys)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot press Shift+Enter: {e}", self.label));
    }

    async fn type_into_composer(&self, keys: &str) {
        let composer = self.find_by_role("textbox", "Message").await;
        composer
            .send_keys(keys)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot type into the composer: {e}", self.label));
    }

    /// A PNG of the viewport.
    pub async fn screenshot_png(&self) -> Vec<u8> {
        self.client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot take a screenshot: {e}", self.label))
    }

    /// Ends the WebDriver session, which closes the browser.
    pub async fn close(self) -> Result<(), String> {
        self.client.close().await.map_err(|e| e.to_string())
    }
}
