//! The scrolling behind the message list: which slice of the room is in the DOM, keeping
//! what the reader looks at in place while rows come and go, following new messages at
//! the bottom, and asking for older history at the top.
//!
//! Every change of the rendered rows goes through `Scroller::render`. Before anything
//! changes, its caller notes which message is at the top of the screen and where (the
//! anchor). `render` writes the new rows and the heights of the two spacers that stand in
//! for the rows outside the slice and, once Leptos has applied them to the DOM, moves the
//! scroll position so the anchor is exactly where it was (or to the bottom when following).
//! Then it measures the rows, so the spacers match real rows more closely next time.
//!
//! Only the slice is ever read from the chat (`messages_between`), and what is remembered
//! does not grow with the room: an average row height, not one height per message.

use super::row::{rows_with_marks, RowView};
use super::screen::{message_top, read_screen, scroll_by, slot_of, Anchor, OnScreen};
use crate::chat::ChatHandle;
use crate::message_layout::{should_move, slice_around, tail_slice, RowHeights, Slice};
use leptos::html;
use leptos::prelude::*;
use leptos::task::{spawn_local, tick};
use wirechat_session::Delivery;
use wirechat_view::scroll_plan::{
    arrived_below, follow_reader, history_edge, older_due, HistoryEdge,
};

/// How close to the bottom (px) still counts as reading the newest messages.
const STICK_THRESHOLD_PX: i32 = 48;

/// How far around its expected places a moved message is searched for, in rows.
const LOCATE_REACH_ROWS: usize = 256;

/// How many animation frames showing a message waits for its row to be in the DOM.
const SHOW_TRIES: u32 = 30;

/// Where the scroll position goes once new rows are in the DOM.
enum Settle {
    /// To the newest message.
    Bottom,
    /// To the very top, where the reader scrolled.
    Top,
    /// Where the anchor was.
    Keep(Anchor),
    /// The top of slot `id` (at `index`) to `offset` px from the top of the screen: where
    /// an estimate put a row that is rendered now.
    KeepSlot {
        id: String,
        index: usize,
        offset: i32,
    },
    /// Message `id` (at `index`) mid-screen and focused, once its row is in the DOM; tried
    /// again at up to `frames` later animation frames while it is not.
    Show {
        id: String,
        index: usize,
        frames: u32,
    },
    /// Nowhere else.
    Stay,
}

/// What the scroller remembers between events; plain data, so it lives in a `StoredValue`.
#[derive(Debug, Default)]
struct ScrollState {
    /// The room the rows belong to; another room starts over at its bottom.
    room: Option<String>,
    /// The indices rendered now.
    slice: Slice,
    /// The room's length when the rows were rendered.
    count: usize,
    /// Whether new messages scroll the list (the reader is at the bottom).
    follow: bool,
    /// The average height of the rows as last measured.
    heights: RowHeights,
    /// The row heights the spacers were sized with at the last render: positions inside
    /// the spacers are estimated with these, whatever was measured since.
    spacer_heights: RowHeights,
    /// Id of the newest message at the last render, to notice the reader's own new ones.
    newest_id: Option<String>,
    /// Room length when older history was last requested, so renders do not ask again
    /// for as long as nothing arrived.
    asked_older_at: Option<usize>,
    /// A scroll event is waiting for the next animation frame.
    frame_pending: bool,
    /// The list's visible height when it was last measured: at a settle, a resize or when
    /// the reader's position was taken (0: not yet). Renders size the window with it, since
    /// reading it again would make the browser lay out the page one extra time; and a
    /// scroll frame that finds another height comes from a size change (the composer grew,
    /// say), not from the reader, so it must not end following.
    list_height: i32,
    /// A message being shown ([`Scroller::show`]) whose row is not placed yet. Until it is,
    /// every render goes around it: the screen may still show the rows from before, and
    /// reading it would move the window away again.
    showing: Option<String>,
    /// The message last shown on request (a search result, a reply's original, a link),
    /// whose row is marked however often it is rendered again.
    highlighted: Option<String>,
}

/// The list's scrolling state and the signals its view renders. Cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct Scroller {
    chat: ChatHandle,
    /// The scrolling `role="log"` element.
    pub list: NodeRef<html::Div>,
    /// The element holding the rendered rows, between the two spacers.
    pub rows_box: NodeRef<html::Div>,
    state: StoredValue<ScrollState>,
    /// The rendered rows, oldest first.
    pub rows: RwSignal<Vec<RowView>>,
    /// Height (px) standing in for the rows before the rendered ones.
    pub space_above: RwSignal<f64>,
    /// Height (px) standing in for the rows after the rendered ones.
    pub space_below: RwSignal<f64>,
    /// What the top of the list says about older history.
    pub edge: RwSignal<HistoryEdge>,
    /// Messages that arrived below the screen while the reader was scrolled up.
    pub unseen: RwSignal<usize>,
}

impl Scroller {
    /// A scroller for the current room of `chat`; nothing is rendered before [`Scroller::sync`].
    pub fn new(chat: ChatHandle) -> Self {
        Self {
            chat,
            list: NodeRef::new(),
            rows_box: NodeRef::new(),
            state: StoredValue::new(ScrollState::default()),
            rows: RwSignal::new(Vec::new()),
            space_above: RwSignal::new(0.0),
            space_below: RwSignal::new(0.0),
            edge: RwSignal::new(HistoryEdge::Hidden),
            unseen: RwSignal::new(0),
        }
    }

    /// Brings the rows up to date after anything in the chat changed.
    pub fn sync(self) {
        let room = self.chat.room.get_untracked();
        let count = self.chat.message_count.get_untracked();
        let room_changed = self
            .state
            .with_value(|s| s.room.as_deref() != Some(room.as_str()));
        if room_changed {
            self.state.update_value(|s| {
                *s = ScrollState {
                    room: Some(room),
                    follow: true,
                    heights: s.heights,
                    ..ScrollState::default()
                }
            });
            set_if_changed(self.unseen, 0);
        }
        if self.state.with_value(|s| s.showing.is_some()) {
            self.render_shown(SHOW_TRIES);
            return;
        }
        let newest = self
            .chat
            .messages_between(count.saturating_sub(1), count)
            .pop();
        let sent_now = newest.as_ref().is_some_and(|m| {
            m.delivery == Some(Delivery::Pending)
                && self
                    .state
                    .with_value(|s| s.newest_id.as_ref() != Some(&m.id))
        });
        self.state
            .update_value(|s| s.newest_id = newest.map(|m| m.id));
        if sent_now {
            // Whoever sends a message wants to see it, wherever they had scrolled.
            self.state.update_value(|s| s.follow = true);
            set_if_changed(self.unseen, 0);
        }
        if self.state.with_value(|s| s.frame_pending) && !sent_now && !room_changed {
            // The reader scrolled and that frame has not come yet: the DOM still shows
            // where they went, and new messages must not pull them back.
            self.note_position();
        }
        let (slice, old_count, follow) = self.state.with_value(|s| (s.slice, s.count, s.follow));
        // Following the newest messages, the rows on screen do not matter (reading them
        // would cost a layout of the page).
        let on_screen = if follow { None } else { self.on_screen() };
        let Some(screen) = on_screen else {
            self.render(
                tail_slice(count, self.rows_on_screen()),
                count,
                Settle::Bottom,
            );
            return;
        };
        let grown = count as isize - old_count as isize;
        let shift = match &screen.anchor {
            Anchor::Row { id, index, .. } => self
                .locate(id, *index, grown)
                .map_or(0, |at| at as isize - *index as isize),
            Anchor::Estimate { .. } => 0,
        };
        let below = arrived_below(old_count, count, shift);
        if below > 0 {
            self.unseen.update(|n| *n += below);
        }
        let next = follow_reader(slice, screen.first, screen.last, shift, count);
        // A reader at the very top of a room whose beginning is loaded keeps seeing the top:
        // the "Beginning of the conversation" note there may just have appeared, and keeping
        // the first row in place would push it off screen. While older messages still come,
        // the rows stay where the reader sees them instead.
        let at_beginning = shift == 0
            && history_edge(next, count, self.chat.history.get_untracked())
                == HistoryEdge::Beginning
            && self
                .list
                .get_untracked()
                .is_some_and(|l| l.scroll_top() <= 0);
        let settle = if at_beginning {
            Settle::Top
        } else {
            Settle::Keep(screen.anchor.moved(shift))
        };
        self.render(next, count, settle);
    }

    /// Reacts to scrolling, at most once per animation frame.
    pub fn on_scroll(self) {
        if self.state.with_value(|s| s.frame_pending) {
            return;
        }
        self.state.update_value(|s| s.frame_pending = true);
        request_animation_frame(move || {
            if self.state.is_disposed() {
                return;
            }
            self.state.update_value(|s| s.frame_pending = false);
            self.scroll_frame();
        });
    }

    /// Keeps the newest messages in view when the window changes size.
    pub fn on_resize(self) {
        if self.state.is_disposed() {
            return;
        }
        if self.state.with_value(|s| s.follow) {
            if let Some(list) = self.list.get_untracked() {
                self.stick_to_bottom(&list, list.client_height());
            }
        } else {
            self.scroll_frame();
        }
    }

    /// Shows the newest messages and follows them again.
    pub fn jump_to_bottom(self) {
        self.state.update_value(|s| s.follow = true);
        set_if_changed(self.unseen, 0);
        let count = self.chat.message_count.get_untracked();
        self.render(
            tail_slice(count, self.rows_on_screen()),
            count,
            Settle::Bottom,
        );
        // The button that was clicked disappears; keyboard focus goes to the messages.
        if let Some(list) = self.list.get_untracked() {
            let _ = list.focus();
        }
    }

    /// Follows new messages from now on exactly when the reader is at the bottom.
    fn note_position(self) {
        let Some(list) = self.list.get_untracked() else {
            return;
        };
        let height = list.client_height();
        let (slice, count, follow, known) = self
            .state
            .with_value(|s| (s.slice, s.count, s.follow, s.list_height));
        if follow && height != known {
            // The list changed size under a reader at the bottom: they are still there.
            self.stick_to_bottom(&list, height);
            return;
        }
        let gap = list.scroll_height() - list.scroll_top() - height;
        let at_bottom = gap <= STICK_THRESHOLD_PX && slice.end == count;
        self.state.update_value(|s| {
            s.follow = at_bottom;
            s.list_height = height;
        });
        if at_bottom {
            set_if_changed(self.unseen, 0);
        }
    }

    /// Scrolls to the newest messages of a list now `height` pixels high.
    fn stick_to_bottom(self, list: &web_sys::HtmlElement, height: i32) {
        list.set_scroll_top(list.scroll_height());
        self.state.update_value(|s| s.list_height = height);
    }

    fn scroll_frame(self) {
        let Some(list) = self.list.get_untracked() else {
            return;
        };
        if self.state.with_value(|s| s.showing.is_some()) {
            // The shown message is about to be placed; where the screen is now does not count.
            return;
        }
        self.note_position();
        let (slice, count, follow) = self.state.with_value(|s| (s.slice, s.count, s.follow));
        if follow {
            // At the bottom, with the newest rows rendered (mostly the scroll that a render
            // itself just made): the window needs no move, and reading the rows would cost
            // a layout. A short room may still show its top, so older history may be due.
            self.load_older_near_top(false);
            return;
        }
        let Some(screen) = self.on_screen() else {
            return;
        };
        if should_move(slice, screen.first, screen.last, count) {
            let next = slice_around(screen.first, screen.last, count);
            // Dragged to the very top, the reader wants the top, whatever the estimate said.
            let settle = if list.scroll_top() <= 0 {
                Settle::Top
            } else {
                Settle::Keep(screen.anchor)
            };
            self.render(next, count, settle);
        } else {
            self.load_older_near_top(false);
        }
    }

    /// Renders `slice` of a room of `count` messages, then settles the scroll position.
    fn render(self, slice: Slice, count: usize, settle: Settle) {
        let messages = self
            .chat
            .messages_between(slice.start.saturating_sub(1), slice.end);
        let rows = self
            .state
            .with_value(|s| rows_with_marks(messages, slice.start > 0, s.highlighted.as_deref()));
        // A row that was only estimated is rendered now: anchor on it by id.
        let settle = match settle {
            Settle::Keep(Anchor::Estimate { index, offset }) => {
                match index.checked_sub(slice.start).and_then(|k| rows.get(k)) {
                    Some(row) => Settle::KeepSlot {
                        id: row.message.id.clone(),
                        index,
                        offset,
                    },
                    None => Settle::Stay,
                }
            }
            other => other,
        };
        let heights = self.state.with_value(|s| s.heights);
        set_if_changed(self.space_above, heights.space_for(slice.start));
        set_if_changed(self.space_below, heights.space_for(count - slice.end));
        set_if_changed(self.rows, rows);
        let edge = history_edge(slice, count, self.chat.history.get_untracked());
        set_if_changed(self.edge, edge);
        self.state.update_value(|s| {
            s.slice = slice;
            s.count = count;
            s.spacer_heights = heights;
        });
        // The writes above queued Leptos's DOM updates as tasks; a task queued now runs
        // after them, and still before the browser paints, so the reader never sees the
        // rows jump.
        spawn_local(async move {
            tick().await;
            if !self.state.is_disposed() {
                self.settle(settle);
            }
        });
    }

    fn settle(self, settle: Settle) {
        let Some(list) = self.list.get_untracked() else {
            return;
        };
        match settle {
            Settle::Bottom => list.set_scroll_top(list.scroll_height()),
            Settle::Top => list.set_scroll_top(0),
            Settle::Keep(Anchor::Row { id, index, offset }) => {
                if let Some(slot) = self.slot_of(&id, index) {
                    let drift = message_top(&slot) - list.scroll_top() - offset;
                    scroll_by(&list, drift);
                }
            }
            Settle::KeepSlot { id, index, offset } => {
                if let Some(slot) = self.slot_of(&id, index) {
                    scroll_by(&list, slot.offset_top() - list.scroll_top() - offset);
                }
            }
            Settle::Show { id, index, frames } => self.place_shown(&list, id, index, frames),
            Settle::Keep(Anchor::Estimate { .. }) | Settle::Stay => {}
        }
        if let Some(rows_box) = self.rows_box.get_untracked() {
            let rendered = self.rows.with_untracked(Vec::len);
            let total = f64::from(rows_box.offset_height());
            let viewport = list.client_height();
            self.state.update_value(|s| {
                s.heights.observe(total, rendered);
                s.list_height = viewport;
            });
        }
        self.load_older_near_top(true);
    }

    /// Asks for older history when the screen is near the first loaded message (after a
    /// render, `unprompted`, once per room length; see [`older_due`]).
    fn load_older_near_top(self, unprompted: bool) {
        let (count, asked_at) = self.state.with_value(|s| (s.count, s.asked_older_at));
        let first_on_screen = || self.on_screen().map(|screen| screen.first);
        let history = self.chat.history.get_untracked();
        if older_due(history, first_on_screen, count, asked_at, unprompted) {
            self.state.update_value(|s| s.asked_older_at = Some(count));
            self.chat.load_older();
        }
    }

    /// Which message indices are on screen, and the anchor that keeps them there.
    fn on_screen(self) -> Option<OnScreen> {
        let list = self.list.get_untracked()?;
        let rows_box = self.rows_box.get_untracked()?;
        let (slice, count, heights) = self
            .state
            .with_value(|s| (s.slice, s.count, s.spacer_heights));
        read_screen(&list, &rows_box, slice, count, heights)
    }

    /// The rendered slot of message `id`, expected at `index`.
    fn slot_of(self, id: &str, index: usize) -> Option<web_sys::HtmlElement> {
        let rows_box = self.rows_box.get_untracked()?;
        slot_of(
            &rows_box,
            self.state.with_value(|s| s.slice.start),
            id,
            index,
        )
    }

    /// Where message `id`, last seen at `index`, is now that the room grew by `grown`.
    fn locate(self, id: &str, index: usize, grown: isize) -> Option<usize> {
        let is_at = |at: usize| {
            self.chat
                .messages_between(at, at + 1)
                .first()
                .is_some_and(|m| m.id == id)
        };
        // Usually news arrived below (nothing moved) or history above (all moved by the
        // growth); only a read of one message each.
        if let Some(at) = [Some(index), index.checked_add_signed(grown)]
            .into_iter()
            .flatten()
            .find(|&at| is_at(at))
        {
            return Some(at);
        }
        let reach = grown.unsigned_abs() + LOCATE_REACH_ROWS;
        let from = index.saturating_sub(reach);
        self.chat
            .messages_between(from, index + reach + 1)
            .iter()
            .position(|m| m.id == id)
            .map(|k| from + k)
    }

    fn rows_on_screen(self) -> usize {
        let remembered = self.state.with_value(|s| s.list_height);
        let height = if remembered > 0 {
            remembered
        } else {
            self.list.get_untracked().map_or(0, |l| l.client_height())
        };
        self.state
            .with_value(|s| s.heights.rows_in(f64::from(height)))
    }
}

/// Writes `value` only when it differs, so unchanged state never re-renders anything.
fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.with_untracked(|current| *current != value) {
        signal.set(value);
    }
}

// Showing one message in context (a search result, a reply's original, a linked message),
// away from the bottom.
impl Scroller {
    /// Stops following new messages, renders the rows around message `id` (held in the
    /// room) and, once they are in the DOM, puts it mid-screen, highlighted and focused.
    pub fn show(self, id: String) {
        self.state.update_value(|s| {
            s.follow = false;
            s.showing = Some(id.clone());
            s.highlighted = Some(id);
        });
        self.render_shown(SHOW_TRIES);
    }

    /// Renders the rows around the message being shown, wherever it is in the room now.
    fn render_shown(self, frames: u32) {
        let Some(id) = self.state.with_value(|s| s.showing.clone()) else {
            return;
        };
        let Some(index) = self.chat.index_of(&id) else {
            // Gone from the room (another room is shown, say): nothing to wait for.
            self.state.update_value(|s| s.showing = None);
            return;
        };
        let count = self.chat.message_count.get_untracked();
        self.render(
            slice_around(index, index, count),
            count,
            Settle::Show { id, index, frames },
        );
    }

    /// Puts the shown message's row mid-screen and focuses it; its row may come with a
    /// later animation frame.
    fn place_shown(self, list: &web_sys::HtmlElement, id: String, index: usize, frames: u32) {
        if self.state.with_value(|s| s.showing.as_ref() != Some(&id)) {
            // Another message was asked for since.
            return;
        }
        match self.slot_of(&id, index) {
            Some(slot) => {
                self.state.update_value(|s| s.showing = None);
                list.set_scroll_top(message_top(&slot) - list.client_height() / 2);
                // Reading goes on from the shown message.
                let _ = slot.focus();
            }
            None if frames > 0 => {
                request_animation_frame(move || {
                    if !self.state.is_disposed() {
                        self.render_shown(frames - 1);
                    }
                });
            }
            None => self.state.update_value(|s| s.showing = None),
        }
    }
}
