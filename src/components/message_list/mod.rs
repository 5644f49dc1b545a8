//! The message list: the current room as an ARIA log that stays fast however long the room.
//!
//! Only a slice of the room is in the DOM (at most
//! [`RENDER_WINDOW`](crate::message_layout::RENDER_WINDOW) rows; smaller rooms whole), with
//! spacers above and below standing in for the rest, so 100,000 messages cost no more DOM
//! than 400. `scroller` decides the slice and keeps the view steady, `screen` reads where
//! the rows are, `row` draws one message and `day` names the days.

mod day;
mod jump;
mod menu;
mod row;
mod screen;
mod scroller;
mod seen;

use crate::chat::ChatHandle;
use crate::components::UnreadLine;
use crate::glue::resize::SizeWatch;
use crate::i18n::{use_lang, Tr};
use leptos::prelude::*;
use row::{MessageRow, RowView};
use scroller::Scroller;
use wirechat_view::scroll_plan::HistoryEdge;

/// The room's messages as an ARIA log. Names and texts are text nodes, never HTML; web and
/// mail addresses are links. New messages scroll the list only while the reader is at the
/// bottom; otherwise a button counts them. Scrolling to the top loads older history without
/// moving what the reader is looking at.
#[component]
pub fn MessageList() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let scroller = Scroller::new(chat);
    // The chat's revision moves on every change; the scroller reads only what it renders.
    Effect::new(move |_| {
        chat.revision.track();
        chat.room.track();
        scroller.sync();
    });
    // Whatever changes the list's height (the window, the composer growing, a note above
    // the composer), a reader at the bottom stays there.
    let size_watch = StoredValue::new_local(None::<SizeWatch>);
    Effect::new(move |_| {
        if let Some(list) = scroller.list.get() {
            size_watch.set_value(SizeWatch::new(&list, move || scroller.on_resize()));
        }
    });
    let seen = seen::SeenReport::new(chat, scroller);
    Effect::new(move |_| {
        chat.revision.track();
        seen.schedule();
    });
    let not_found = RwSignal::new(false);
    jump::show_requested_messages(chat, scroller, not_found);
    crate::glue::message_link::watch_linked_messages(move |id| chat.show_message(&id, None));
    // Whole pixels (the spaces are rounded already): formatting an integer keeps the float
    // formatting machinery out of the wasm.
    let px = |space: RwSignal<f64>| move || format!("{}px", space.get() as u64);
    view! {
        <div class="message-pane">
            // Inline, because the scrolling arithmetic depends on them: row offsets are
            // measured from the list, and the list does its own scroll anchoring.
            <div
                class="message-list"
                role="log"
                aria-live="polite"
                aria-label=move || Tr::messages(lang.get())
                tabindex="0"
                style:position="relative"
                style:overflow-anchor="none"
                node_ref=scroller.list
                on:scroll=move |_| {
                    scroller.on_scroll();
                    seen.schedule();
                }
            >
                <HistoryNote edge=scroller.edge/>
                <div class="msg-spacer" aria-hidden="true" style:height=px(scroller.space_above)></div>
                <div class="msg-rows" node_ref=scroller.rows_box>
                    // The "new messages" line is a property of the row it goes above: a
                    // change of it rebuilds that row alone.
                    <For
                        each=move || {
                            let unread_from = chat.unread_from.get();
                            scroller.rows.get().into_iter().map(|row| {
                                let first_unread = unread_from.as_ref() == Some(&row.message.id);
                                (row, first_unread)
                            }).collect::<Vec<_>>()
                        }
                        key=|(row, first_unread): &(RowView, bool)| (row.key(), *first_unread)
                        children=move |(row, first_unread)| view! {
                            {first_unread.then(|| view! { <UnreadLine/> })}
                            <MessageRow row/>
                        }
                    />
                </div>
                <div class="msg-spacer" aria-hidden="true" style:height=px(scroller.space_below)></div>
                <Show when=move || chat.message_count.get() == 0>
                    <p class="empty">{move || Tr::no_messages(lang.get())}</p>
                </Show>
            </div>
            // Always in the page, so screen readers announce the text when it comes.
            <p class="jump-note" role="status">
                {move || not_found.get().then(|| Tr::message_not_found(lang.get()))}
            </p>
            // Braces: a bare `>` would end the tag.
            <Show when=move || { scroller.unseen.get() > 0 }>
                <button type="button" class="new-messages" on:click=move |_| scroller.jump_to_bottom()>
                    {move || Tr::new_messages(lang.get(), scroller.unseen.get())}
                    <span aria-hidden="true">" ↓"</span>
                </button>
            </Show>
        </div>
    }
}

/// The line at the top of the list: older messages loading, or the room's beginning.
#[component]
fn HistoryNote(
    /// What to say.
    edge: RwSignal<HistoryEdge>,
) -> impl IntoView {
    let lang = use_lang();
    move || {
        let text = match edge.get() {
            HistoryEdge::Hidden => return None,
            HistoryEdge::Loading => Tr::loading_older(lang.get()),
            HistoryEdge::Beginning => Tr::beginning_of_conversation(lang.get()),
        };
        Some(view! { <p class="history-edge">{text}</p> })
    }
}
