//! The chat page's parts beyond the message log: the room sidebar, presence, typing, the
//! log's scroll position, keyboard focus, preferences and the window size.

use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::{Element, ElementRef};
use fantoccini::key::Key;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::wait::{wait_until, DEFAULT_WAIT};

/// The queries of `chat_page.js`, run after those of `page.js`.
const CHAT_PAGE_JS: &str = include_str!("chat_page.js");

/// The page area of a phone, in CSS pixels (the iPhone 12 to 15).
pub const PHONE_VIEWPORT: (u32, u32) = (390, 844);

/// How long the room drawer takes to slide in or out.
const DRAWER_SLIDE: Duration = Duration::from_millis(400);

/// The key W3C WebDriver uses to mark an element reference in script results.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One room in the sidebar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomEntry {
    /// The room's name, without the "#".
    pub name: String,
    /// Whether the button carries `aria-current="page"`.
    pub current: bool,
    /// The unread badge's text, when the room has one.
    pub unread: Option<String>,
    /// The unread badge's accessible name ("2 unread messages").
    pub unread_label: Option<String>,
}

/// A message row's place in the log.
#[derive(Clone, Debug, PartialEq)]
pub struct RowPlace {
    /// The message id, from the row's slot.
    pub id: String,
    /// The message text.
    pub text: String,
    /// Distance (px) from the top of the log's visible area to the top of the row.
    pub offset: f64,
}

/// The message log's scroll geometry and the rows in and on it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogView {
    /// The log's `scrollTop`.
    pub scroll_top: f64,
    /// The log's `scrollHeight`.
    pub scroll_height: f64,
    /// The log's `clientHeight`.
    pub client_height: f64,
    /// How many `role="article"` rows the log holds in the DOM.
    pub rendered: usize,
    /// The first row in the DOM.
    pub first_rendered: Option<RowPlace>,
    /// The last row in the DOM.
    pub last_rendered: Option<RowPlace>,
    /// The first row at least partly inside the log's visible area.
    pub first_visible: Option<RowPlace>,
    /// The last row at least partly inside the log's visible area.
    pub last_visible: Option<RowPlace>,
}

impl LogView {
    /// How far (px) the log is scrolled from its bottom.
    pub fn gap_to_bottom(&self) -> f64 {
        self.scroll_height - self.scroll_top - self.client_height
    }

    fn parse(value: &Value) -> Option<Self> {
        let number = |key: &str| value[key].as_f64().unwrap_or(f64::NAN);
        let place = |key: &str| {
            let row = &value[key];
            row.is_object().then(|| RowPlace {
                id: row["id"].as_str().unwrap_or_default().to_owned(),
                text: row["text"].as_str().unwrap_or_default().to_owned(),
                offset: row["offset"].as_f64().unwrap_or(f64::NAN),
            })
        };
        value.is_object().then(|| Self {
            scroll_top: number("scrollTop"),
            scroll_height: number("scrollHeight"),
            client_height: number("clientHeight"),
            rendered: value["rendered"]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or_default(),
            first_rendered: place("firstRendered"),
            last_rendered: place("lastRendered"),
            first_visible: place("firstVisible"),
            last_visible: place("lastVisible"),
        })
    }
}

/// An anchor inside a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLink {
    /// Its `href` attribute, as written.
    pub href: String,
    /// Its `rel` attribute.
    pub rel: Option<String>,
    /// Its `target` attribute.
    pub target: Option<String>,
    /// Its text.
    pub text: String,
}

/// The element that has keyboard focus, as assistive technology would announce it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Focused {
    /// Its ARIA role ("" for the page itself).
    pub role: String,
    /// Its accessible name.
    pub name: String,
    /// Its tag name, upper case.
    pub tag: String,
    /// Whether it is inside the room navigation.
    pub in_navigation: bool,
}

impl Browser {
    /// Runs `body` after the queries of `page.js` and `chat_page.js`.
    async fn chat_script(&self, body: &str, args: Vec<Value>) -> Value {
        self.evaluate(&format!("{CHAT_PAGE_JS}\n{body}"), args)
            .await
    }

    /// The element a script returned, if it returned one.
    fn returned_element(&self, value: &Value) -> Option<Element> {
        value.get(ELEMENT_KEY).and_then(Value::as_str).map(|id| {
            Element::from_element_id(self.client().clone(), ElementRef::from(id.to_owned()))
        })
    }

    /// The rooms in the sidebar, in order.
    pub async fn rooms(&self) -> Vec<RoomEntry> {
        let rooms = self
            .chat_script("return roomButtons().map(roomEntry);", vec![])
            .await;
        rooms
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|room| RoomEntry {
                name: room["name"].as_str().unwrap_or_default().to_owned(),
                current: room["current"].as_bool().unwrap_or(false),
                unread: room["unread"].as_str().map(str::to_owned),
                unread_label: room["unreadLabel"].as_str().map(str::to_owned),
            })
            .collect()
    }

    /// Waits until the sidebar's rooms satisfy `holds`, described by `what`, and returns them.
    pub async fn wait_for_rooms(
        &self,
        what: &str,
        holds: impl Fn(&[RoomEntry]) -> bool,
    ) -> Vec<RoomEntry> {
        let what = format!("{}: rooms {what}", self.label());
        wait_until(&what, DEFAULT_WAIT, || async {
            let rooms = self.rooms().await;
            if holds(&rooms) {
                Ok(rooms)
            } else {
                Err(format!("{rooms:?}"))
            }
        })
        .await
    }

    /// Waits until `room` is the current room in the sidebar.
    pub async fn wait_for_current_room(&self, room: &str) -> Vec<RoomEntry> {
        self.wait_for_rooms(&format!("with #{room} current"), |rooms| {
            rooms.iter().any(|r| r.name == room && r.current)
        })
        .await
    }

    /// Clicks `room` in the sidebar and waits until it is the current room.
    pub async fn switch_to_room(&self, room: &str) {
        let what = format!("{}: the sidebar button of #{room}", self.label());
        let button = wait_until(&what, DEFAULT_WAIT, || async {
            let found = self
                .chat_script("return roomButton(arguments[0]);", vec![json!(room)])
                .await;
            self.returned_element(&found)
                .ok_or_else(|| format!("rooms {:?}", found))
        })
        .await;
        button
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot click #{room}: {e}", self.label()));
        self.wait_for_current_room(room).await;
    }

    /// Joins `room` with the sidebar's form and waits until it is the current room.
    pub async fn join_room_from_sidebar(&self, room: &str) {
        let field = self.find_by_role("textbox", "Room to join").await;
        field
            .send_keys(room)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot type the room: {e}", self.label()));
        self.find_by_role("button", "Join")
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot click Join: {e}", self.label()));
        self.wait_for_current_room(room).await;
    }

    /// The document's title.
    pub async fn title(&self) -> String {
        self.client()
            .title()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot read the title: {e}", self.label()))
    }

    /// Waits until the document's title satisfies `holds`, and returns it.
    pub async fn wait_for_title(&self, what: &str, holds: impl Fn(&str) -> bool) -> String {
        let what = format!("{}: a title {what}", self.label());
        wait_until(&what, DEFAULT_WAIT, || async {
            let title = self.title().await;
            if holds(&title) {
                Ok(title)
            } else {
                Err(format!("{title:?}"))
            }
        })
        .await
    }

    /// The page's address now.
    pub async fn current_url(&self) -> String {
        self.client()
            .current_url()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot read the URL: {e}", self.label()))
            .to_string()
    }

    /// The names in the Online list.
    pub async fn online_people(&self) -> Vec<String> {
        let names = self
            .chat_script(
                "return Array.from(document.querySelectorAll('.people-list .person-name'))
                     .filter(isExposed)
                     .map((el) => el.textContent.trim());",
                vec![],
            )
            .await;
        strings(&names)
    }

    /// The typing indicator's text ("" while nobody types).
    pub async fn typing_text(&self) -> String {
        let text = self
            .chat_script(
                "const el = document.querySelector('.typing');
                 return el ? el.textContent.trim() : null;",
                vec![],
            )
            .await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// The message log's scroll geometry and rows.
    pub async fn log_view(&self) -> LogView {
        let view = self.chat_script("return logView();", vec![]).await;
        LogView::parse(&view)
            .unwrap_or_else(|| panic!("{}: the page has no message log", self.label()))
    }

    /// Sets the message log's `scrollTop`, as a reader dragging its scroll bar would, and
    /// returns the log as it is right then, before the page has reacted to the scroll.
    /// `f64::INFINITY` scrolls to the bottom.
    pub async fn set_log_scroll_top(&self, scroll_top: f64) -> LogView {
        let top = if scroll_top.is_finite() {
            json!(scroll_top)
        } else {
            Value::Null
        };
        let view = self
            .chat_script(
                "const log = messageLog();
                 log.scrollTop = arguments[0] === null ? log.scrollHeight : arguments[0];
                 return logView();",
                vec![top],
            )
            .await;
        LogView::parse(&view)
            .unwrap_or_else(|| panic!("{}: the page has no message log", self.label()))
    }

    /// Scrolls the message log to `fraction` (0 top, 1 bottom) of its scrollable height.
    pub async fn scroll_log_to_fraction(&self, fraction: f64) {
        self.chat_script(
            "const log = messageLog();
             log.scrollTop = (log.scrollHeight - log.clientHeight) * arguments[0];",
            vec![json!(fraction)],
        )
        .await;
    }

    /// Where the row of message `id` is now, or `None` while it is not in the DOM.
    pub async fn row_place(&self, id: &str) -> Option<RowPlace> {
        let place = self
            .chat_script("return placeOf(arguments[0]);", vec![json!(id)])
            .await;
        place.is_object().then(|| RowPlace {
            id: place["id"].as_str().unwrap_or_default().to_owned(),
            text: place["text"].as_str().unwrap_or_default().to_owned(),
            offset: place["offset"].as_f64().unwrap_or(f64::NAN),
        })
    }

    /// The anchors of the message whose text is exactly `text`, or `None` when no row
    /// shows such a message.
    pub async fn message_links(&self, text: &str) -> Option<Vec<MessageLink>> {
        let links = self
            .chat_script("return messageLinks(arguments[0]);", vec![json!(text)])
            .await;
        let links = links.as_array()?;
        let attr = |v: &Value| v.as_str().map(str::to_owned);
        Some(
            links
                .iter()
                .map(|link| MessageLink {
                    href: attr(&link["href"]).unwrap_or_default(),
                    rel: attr(&link["rel"]),
                    target: attr(&link["target"]),
                    text: attr(&link["text"]).unwrap_or_default(),
                })
                .collect(),
        )
    }

    /// Starts counting, after every change to the page, the `role="article"` rows in the
    /// DOM; [`Browser::most_rows_seen`] tells the largest count since. A reload stops it.
    pub async fn watch_row_count(&self) {
        self.chat_script(
            "const count = () => document.querySelectorAll('[role=article]').length;
             window.__wirechatMostRows = count();
             if (window.__wirechatRowWatch) window.__wirechatRowWatch.disconnect();
             window.__wirechatRowWatch = new MutationObserver(() => {
               window.__wirechatMostRows = Math.max(window.__wirechatMostRows, count());
             });
             window.__wirechatRowWatch.observe(document.body, { childList: true, subtree: true });",
            vec![],
        )
        .await;
    }

    /// The most `role="article"` rows the DOM held since [`Browser::watch_row_count`].
    pub async fn most_rows_seen(&self) -> usize {
        let most = self
            .chat_script("return window.__wirechatMostRows ?? null;", vec![])
            .await;
        let most = most.as_u64().unwrap_or_else(|| {
            panic!(
                "{}: rows are not being counted (watch_row_count first; a reload stops it)",
                self.label()
            )
        });
        usize::try_from(most).unwrap_or(usize::MAX)
    }

    /// What has keyboard focus now.
    pub async fn focused(&self) -> Focused {
        let focused = self.chat_script("return focusedControl();", vec![]).await;
        let text = |key: &str| focused[key].as_str().unwrap_or_default().to_owned();
        Focused {
            role: text("role"),
            name: text("name"),
            tag: text("tag"),
            in_navigation: focused["inNavigation"].as_bool().unwrap_or(false),
        }
    }

    /// Presses each key of `keys` in turn on whatever has focus, as a keyboard would
    /// (characters and [`Key`]s such as `Key::Tab` alike).
    pub async fn press_keys(&self, keys: &str) {
        let actions = keys
            .chars()
            .fold(KeyActions::new("keyboard".to_owned()), |a, key| {
                a.then(KeyAction::Down { value: key })
                    .then(KeyAction::Up { value: key })
            });
        self.perform_keys(actions).await;
    }

    /// Presses Shift+Tab on whatever has focus.
    pub async fn press_shift_tab(&self) {
        let (shift, tab) = (char::from(Key::Shift), char::from(Key::Tab));
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Down { value: tab })
            .then(KeyAction::Up { value: tab })
            .then(KeyAction::Up { value: shift });
        self.perform_keys(actions).await;
    }

    async fn perform_keys(&self, actions: KeyActions) {
        self.client()
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot press keys: {e}", self.label()));
    }

    /// Picks the option with value `value` (a language tag such as "ko") in the "Language"
    /// select, as a person choosing from it would.
    pub async fn choose_language(&self, value: &str) {
        let what = format!("{}: the Language select", self.label());
        let select = wait_until(&what, DEFAULT_WAIT, || async {
            // Found by its label in either language, since the label changes with it.
            let found = self
                .chat_script(
                    "return Array.from(document.querySelectorAll('select')).find((el) =>
                         isExposed(el) && /Language|언어/.test(accessibleName(el))) || null;",
                    vec![],
                )
                .await;
            self.returned_element(&found)
                .ok_or_else(|| "no select labelled Language".to_owned())
        })
        .await;
        select
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot choose {value:?}: {e}", self.label()));
    }

    /// An attribute of the `<html>` element (`lang`, `data-theme`).
    pub async fn root_attribute(&self, name: &str) -> Option<String> {
        let value = self
            .chat_script(
                "return document.documentElement.getAttribute(arguments[0]);",
                vec![json!(name)],
            )
            .await;
        value.as_str().map(str::to_owned)
    }

    /// Turns the "Dark theme" switch on or off, and waits until `<html data-theme>` and
    /// the switch's `aria-pressed` agree with it. On a narrow page the switch is in the
    /// room drawer, which is opened for it and closed again by picking the current room,
    /// as a person on a phone would.
    pub async fn set_dark_theme(&self, dark: bool) {
        let switch = self.find_by_role("button", "Dark theme").await;
        let wanted = dark.to_string();
        let pressed = switch
            .attr("aria-pressed")
            .await
            .unwrap_or_else(|e| panic!("{}: cannot read aria-pressed: {e}", self.label()));
        if pressed.as_deref() != Some(wanted.as_str()) {
            let in_drawer = !switch
                .is_displayed()
                .await
                .unwrap_or_else(|e| panic!("{}: cannot tell if it is shown: {e}", self.label()));
            if in_drawer {
                self.open_room_drawer().await;
            }
            switch
                .click()
                .await
                .unwrap_or_else(|e| panic!("{}: cannot click Dark theme: {e}", self.label()));
            if in_drawer {
                // The open drawer covers its own toggle.
                let rooms = self.rooms().await;
                let current = rooms
                    .iter()
                    .find(|r| r.current)
                    .unwrap_or_else(|| panic!("{}: no current room in {rooms:?}", self.label()));
                self.switch_to_room(&current.name).await;
                self.find_by_role("button", "Show rooms").await;
                tokio::time::sleep(DRAWER_SLIDE).await;
            }
        }
        let what = format!("{}: the page to follow the Dark theme switch", self.label());
        wait_until(&what, DEFAULT_WAIT, || async {
            let theme = self.root_attribute("data-theme").await;
            let pressed = switch
                .attr("aria-pressed")
                .await
                .map_err(|e| e.to_string())?;
            if (theme.as_deref() == Some("dark")) == dark && pressed.as_deref() == Some(&wanted) {
                Ok(())
            } else {
                Err(format!("data-theme {theme:?}, aria-pressed {pressed:?}"))
            }
        })
        .await;
    }

    /// Opens the room drawer of a narrow page with its "Show rooms" button, and waits until
    /// it has slid in.
    pub async fn open_room_drawer(&self) {
        self.find_by_role("button", "Show rooms")
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot click Show rooms: {e}", self.label()));
        self.find_by_role("button", "Hide rooms").await;
        tokio::time::sleep(DRAWER_SLIDE).await;
    }

    /// Sizes the window so the page area is `width` × `height` CSS pixels, and checks it.
    ///
    /// Every browser starts at [`crate::VIEWPORT`]; this is for the other sizes, such as a
    /// phone's.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        let wanted = (i64::from(width), i64::from(height));
        // The toolbar's share of the window is only known after a resize, so measure again.
        for _ in 0..3 {
            let [outer_width, outer_height, inner_width, inner_height] = self.window_sizes().await;
            if (inner_width, inner_height) == wanted {
                return;
            }
            let outer = |outer: i64, inner: i64, want: i64| {
                u32::try_from((outer + want - inner).max(1)).unwrap_or(u32::MAX)
            };
            self.client()
                .set_window_size(
                    outer(outer_width, inner_width, wanted.0),
                    outer(outer_height, inner_height, wanted.1),
                )
                .await
                .unwrap_or_else(|e| panic!("{}: cannot size the window: {e}", self.label()));
            // Layout catches up with a resize on the next frame.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let [.., inner_width, inner_height] = self.window_sizes().await;
        assert_eq!(
            (inner_width, inner_height),
            wanted,
            "{}: the page area after resizing to {width}×{height}",
            self.label()
        );
    }

    /// The window's outer width and height, then its page area's.
    async fn window_sizes(&self) -> [i64; 4] {
        let sizes = self
            .client()
            .execute(
                "return [window.outerWidth, window.outerHeight,
                         window.innerWidth, window.innerHeight];",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("{}: cannot measure the window: {e}", self.label()));
        std::array::from_fn(|i| sizes[i].as_i64().unwrap_or(0))
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}
