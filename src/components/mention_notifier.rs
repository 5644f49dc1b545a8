//! A desktop notification for a mention of the user while the page is hidden, when the
//! user allowed notifications and did not turn mentions off; a click on it opens the room.

use crate::chat::ChatHandle;
use crate::glue::notify;
use crate::i18n::{use_lang, Tr};
use leptos::prelude::*;

/// Notifications with this tag replace each other, so a burst of mentions shows one.
const MENTION_TAG: &str = "wirechat-mention";

/// Watches the chat (from context) for new mentions of the user and notifies of them.
pub fn notify_of_mentions() {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    // What was seen last: the unread mentions of each room, and the size of the room shown.
    Effect::new(move |seen: Option<(Vec<(String, u32)>, usize)>| {
        let mentions: Vec<(String, u32)> = chat
            .rooms
            .with(|r| r.iter().map(|r| (r.name.clone(), r.mentions)).collect());
        let count = chat.message_count.get();
        let shown = chat.room.get_untracked();
        if let Some((seen_mentions, seen_count)) = seen {
            let grew_elsewhere = mentions.iter().find(|(room, n)| {
                *n > seen_mentions
                    .iter()
                    .find(|(r, _)| r == room)
                    .map_or(0, |(_, n)| *n)
            });
            let room = match grew_elsewhere {
                Some((room, _)) => Some(room.clone()),
                None => (count > seen_count).then_some(shown),
            };
            let news = room.filter(|_| notify::page_hidden() && notify::mentions_wanted());
            if let Some(room) = news {
                if let Some(msg) = chat.newest_mention(&room) {
                    let open = room.clone();
                    notify::show_with_click(
                        &Tr::mentioned_by(lang.get_untracked(), &msg.from, &room),
                        &msg.text,
                        MENTION_TAG,
                        move || chat.switch_room(&open),
                    );
                }
            }
        }
        (mentions, count)
    });
}
