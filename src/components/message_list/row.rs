//! One rendered message: its day separator, header, the message it answers, text with
//! links, "edited", delivery state, whether it mentions the reader, reactions and the menu
//! of actions on it; when it failed, Retry and Delete; when it was deleted, one short line.

use super::day::{day_label, local_day};
use super::menu::{MenuState, MessageMenu, ReactionBar};
use crate::chat::{ChatHandle, MessageView};
use crate::components::Avatar;
use crate::glue::time::{iso_time, short_time};
use crate::i18n::{use_lang, Lang, Tr};
use crate::linkify::{split_links, Piece};
use crate::message_layout::{row_marks, RowMarks, Stamp};
use leptos::either::Either;
use leptos::prelude::*;
use wirechat_session::Delivery;

/// A message with how it relates to the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowView {
    /// The message.
    pub message: MessageView,
    /// Whether a day separator goes before it and whether it starts a group.
    pub marks: RowMarks,
    /// Whether it is the message last shown on request (a search result, a reply's
    /// original, a link), which is marked and can take keyboard focus. Part of the row's
    /// key: a change rebuilds the row, which keeps every other row free of reactive
    /// attributes for a mark that one row at most carries.
    pub highlighted: bool,
}

/// Identifies what a rendered row shows: a row is rebuilt only when this changes. The last
/// part stands for the message's state (text, edit, deletion, reactions, quote).
pub type RowKey = (String, Option<Delivery>, RowMarks, bool, u64);

impl RowView {
    /// The key of this row's rendering.
    pub fn key(&self) -> RowKey {
        use std::hash::{Hash, Hasher};
        let m = &self.message;
        let mut state = std::hash::DefaultHasher::new();
        (
            &m.text,
            m.edited,
            m.deleted,
            m.editable,
            &m.reactions,
            &m.reply_to,
            m.mentions_you,
        )
            .hash(&mut state);
        (
            m.id.clone(),
            m.delivery,
            self.marks,
            self.highlighted,
            state.finish(),
        )
    }
}

/// The rows for `messages`; when `first_is_context`, the first message only decides the
/// marks of the second and is not a row itself. The row of message `highlighted` is marked.
pub fn rows_with_marks(
    messages: Vec<MessageView>,
    first_is_context: bool,
    highlighted: Option<&str>,
) -> Vec<RowView> {
    let days: Vec<u32> = messages.iter().map(|m| local_day(m.ts)).collect();
    let stamp = |i: usize| Stamp {
        from: &messages[i].from,
        ts: messages[i].ts.as_millis(),
        day: days[i],
    };
    let skip = usize::from(first_is_context && !messages.is_empty());
    let marks: Vec<RowMarks> = (skip..messages.len())
        .map(|i| row_marks(i.checked_sub(1).map(stamp), stamp(i)))
        .collect();
    messages
        .into_iter()
        .skip(skip)
        .zip(marks)
        .map(|(message, marks)| RowView {
            highlighted: highlighted == Some(message.id.as_str()),
            message,
            marks,
        })
        .collect()
}

/// One message slot: an optional day separator above the message itself. The slot is the
/// unit the list measures and anchors on, and it carries the message id in `data-id`.
#[component]
pub fn MessageRow(
    /// The message and its marks.
    row: RowView,
) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let RowView {
        message,
        marks,
        highlighted,
    } = row;
    let grouped = !marks.new_group;
    // In a group only the first row shows sender and time; the others keep them for
    // assistive technology, which reads every row on its own.
    let shown = |class: &'static str| {
        if grouped {
            format!("{class} visually-hidden")
        } else {
            class.to_owned()
        }
    };
    let failed = message.delivery == Some(Delivery::Failed);
    let ts = message.ts;
    let retry_id = message.id.clone();
    let delete_id = message.id.clone();
    let day = marks.new_day.then(|| {
        view! {
            <h2 class="day-separator">
                <span>{move || day_label(ts, lang.get())}</span>
            </h2>
        }
    });
    if message.deleted {
        // No bubble: one line where the message was.
        return Either::Left(view! {
            <div class="msg-slot" class:grouped=grouped data-id=message.id.clone()>
                {day}
                <article class="msg deleted" role="article">
                    <p class="msg-deleted">
                        <bdi>{message.from.clone()}</bdi>": "
                        <span>{move || Tr::message_deleted(lang.get())}</span>
                    </p>
                </article>
            </div>
        });
    }
    let actions = chat.connection.with_untracked(|c| c.actions)
        && !matches!(message.delivery, Some(Delivery::Pending | Delivery::Failed));
    let quote = message
        .reply_to
        .clone()
        .map(|quote| reply_quote(quote, lang));
    let reactions = message.reactions.clone();
    let menu_message = message.clone();
    let menu = RwSignal::new(MenuState::Closed);
    // A long press (touch screens report it as a context menu) opens the message's menu.
    let on_long_press = move |ev: leptos::ev::MouseEvent| {
        if actions {
            ev.prevent_default();
            menu.set(MenuState::Open);
        }
    };
    Either::Right(view! {
        <div
            class="msg-slot"
            class:grouped=grouped
            data-id=message.id.clone()
            data-highlighted=highlighted.then_some("")
            tabindex=highlighted.then_some("-1")
        >
            {day}
            <article
                class="msg"
                class:own=message.delivery.is_some()
                class:grouped=grouped
                class:mention=message.mentions_you
                role="article"
                on:contextmenu=on_long_press
            >
                <div class="msg-meta">
                    {(!grouped).then(|| view! { <Avatar name=message.from.clone()/> })}
                    <bdi class=shown("msg-from")>{message.from.clone()}</bdi>
                    <time class=shown("msg-time") datetime=iso_time(ts)>{short_time(ts)}</time>
                    // The highlight is colour alone; the words say it to everyone else.
                    {message.mentions_you.then(|| view! {
                        <span class="visually-hidden mention-cue">{move || Tr::mentions_you(lang.get())}</span>
                    })}
                </div>
                {quote}
                <div class="msg-body">
                    <p class="msg-text" dir="auto">{linked_text(&message.text)}</p>
                    {message.edited.then(|| view! {
                        <span class="msg-edited">{move || Tr::edited(lang.get())}</span>
                    })}
                    {message.delivery.map(|delivery| delivery_badge(delivery, lang))}
                </div>
                {(!reactions.is_empty()).then(|| view! {
                    <ReactionBar id=message.id.clone() reactions actions/>
                })}
                {actions.then(|| view! { <MessageMenu message=menu_message state=menu/> })}
                {failed.then(|| view! {
                    <div class="msg-actions">
                        <button type="button" on:click=move |_| chat.retry_message(&retry_id)>
                            {move || Tr::retry(lang.get())}
                        </button>
                        <button type="button" on:click=move |_| chat.delete_message(&delete_id)>
                            {move || Tr::delete(lang.get())}
                        </button>
                    </div>
                })}
            </article>
        </div>
    })
}

/// The message a reply answers, as a button that brings it into view.
fn reply_quote(quote: crate::chat::Quote, lang: Signal<Lang>) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let id = quote.id.clone();
    let (from, text) = quote.original.unwrap_or_default();
    let loaded = !from.is_empty();
    view! {
        <button
            type="button"
            class="msg-quote"
            on:click=move |_| chat.show_message(&id, None)
        >
            <span class="visually-hidden">{move || Tr::in_reply_to(lang.get())}" "</span>
            {loaded.then(|| view! { <bdi class="msg-quote-from">{from}</bdi>" " })}
            <span class="msg-quote-text" dir="auto">
                {move || if loaded {
                    if text.is_empty() { Tr::message_deleted(lang.get()).to_owned() } else { text.clone() }
                } else {
                    Tr::original_not_loaded(lang.get()).to_owned()
                }}
            </span>
        </button>
    }
}

/// The text as text nodes, with web and mail addresses as anchors. Nothing in it is ever
/// parsed as HTML.
fn linked_text(text: &str) -> impl IntoView {
    split_links(text)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => Either::Left(text.to_owned()),
            Piece::Link(url) => Either::Right(view! {
                // A new tab, without giving it a handle on this page or telling it where the
                // click came from.
                <a href=url.to_owned() rel="noopener noreferrer" target="_blank">{url.to_owned()}</a>
            }),
        })
        .collect_view()
}

/// The delivery state of an own message, as a symbol with its name for assistive technology.
fn delivery_badge(delivery: Delivery, lang: Signal<Lang>) -> impl IntoView {
    let (class, symbol, label): (_, _, fn(Lang) -> &'static str) = match delivery {
        Delivery::Pending => ("pending", "…", Tr::sending),
        Delivery::Sent => ("sent", "✓", Tr::sent),
        Delivery::Delivered => ("delivered", "✓✓", Tr::delivered),
        Delivery::Failed => ("failed", "!", Tr::not_delivered),
    };
    view! {
        <span
            class=format!("msg-state {class}")
            role="img"
            aria-label=move || label(lang.get())
            title=move || label(lang.get())
        >
            {symbol}
        </span>
    }
}
