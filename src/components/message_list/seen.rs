//! What the list reports back: how far the reader has read (the newest message on screen,
//! at most once per animation frame).

use super::screen::newest_on_screen;
use super::scroller::Scroller;
use crate::chat::ChatHandle;
use leptos::prelude::*;

/// Reports the newest message on screen to the chat after scrolls and renders.
#[derive(Clone, Copy)]
pub struct SeenReport {
    chat: ChatHandle,
    scroller: Scroller,
    pending: StoredValue<bool>,
}

impl SeenReport {
    /// A report for the list `scroller` renders.
    pub fn new(chat: ChatHandle, scroller: Scroller) -> Self {
        Self {
            chat,
            scroller,
            pending: StoredValue::new(false),
        }
    }

    /// Reads what is on screen at the next animation frame (once for many calls), after the
    /// scroller has placed the rows.
    pub fn schedule(self) {
        if self.pending.get_value() {
            return;
        }
        self.pending.set_value(true);
        request_animation_frame(move || {
            if self.pending.is_disposed() {
                return;
            }
            self.pending.set_value(false);
            // A page in the background is not being read.
            let hidden = document().hidden();
            let (Some(list), Some(rows_box)) = (
                self.scroller.list.get_untracked(),
                self.scroller.rows_box.get_untracked(),
            ) else {
                return;
            };
            if hidden {
                return;
            }
            if let Some(id) = newest_on_screen(&list, &rows_box) {
                self.chat.mark_seen(&id);
            }
        });
    }
}
