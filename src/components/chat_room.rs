//! The whole chat as one embeddable component ([`ChatRoom`]), its layout around a chat handle
//! ([`ChatLayout`]): the room drawer, header, people, messages, composer and connection details.

use crate::app::AppChrome;
use crate::chat::{use_chat, ChatHandle, ChatOptions};
use crate::components::{
    Composer, ConnectionStatus, HandshakeDetails, MessageList, People, Preferences, RoomList,
    SearchPanel, SearchToggle, TypingIndicator,
};
use crate::dom_id::unique_id;
use crate::i18n::{isolated, use_lang, Lang, Tr};
use leptos::prelude::*;
use wirechat_session::{LinkFigures, SeenClose};

/// A complete chat: rooms, status line, message list and composer, on one connection.
///
/// Embed it in any Leptos app: `examples/embed_chat_room.rs` shows how, in a few lines (the
/// lint builds the examples for wasm32, so they keep up with the API).
#[component]
pub fn ChatRoom(
    /// Server, rooms, name and timings.
    options: ChatOptions,
    /// Extra views rendered inside the chat's context (they can `expect_context::<ChatHandle>()`).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    provide_context(use_chat(options));
    view! {
        <ChatLayout/>
        {children.map(|c| c())}
    }
}

/// The chat's layout around the [`ChatHandle`] found in context; use it with
/// [`crate::chat::use_chat_with`] to show a chat on another transport.
#[component]
pub fn ChatLayout() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    provide_context(crate::components::MessageActions::new());
    let lang = use_lang();
    let chrome = use_context::<AppChrome>();
    // On narrow screens the room list is a drawer.
    let drawer_open = RwSignal::new(false);
    let sidebar_id = unique_id("sidebar");
    let close_drawer = Callback::new(move |_| drawer_open.set(false));
    let search_open = RwSignal::new(false);
    let search_id = unique_id("search");
    let unread_elsewhere = move || chat.rooms.with(|r| r.iter().map(|r| r.unread).sum::<u32>());
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && drawer_open.get_untracked() {
            drawer_open.set(false);
        }
    };
    view! {
        <div class="shell" class:drawer-open=move || drawer_open.get() on:keydown=on_keydown>
            <aside class="sidebar" id=sidebar_id.clone()>
                <button
                    type="button"
                    class="icon-button drawer-close"
                    aria-label=move || Tr::hide_rooms(lang.get())
                    on:click=move |_| drawer_open.set(false)
                >"×"</button>
                <RoomList on_pick=close_drawer/>
                <Preferences/>
            </aside>
            <div class="drawer-scrim" on:click=move |_| drawer_open.set(false)></div>
            // While the drawer covers it on a phone, the chat behind is out of reach.
            <section class="chat-room" prop:inert=move || drawer_open.get()>
                <header class="room-header">
                    // Named by its content rather than aria-label, so the badge's visible
                    // number is part of the name as read aloud.
                    <button
                        type="button"
                        class="icon-button drawer-toggle"
                        aria-controls=sidebar_id
                        aria-expanded=move || drawer_open.get().to_string()
                        on:click=move |_| drawer_open.update(|o| *o = !*o)
                    >
                        <span aria-hidden="true">"☰"</span>
                        <span class="visually-hidden">
                            {move || if drawer_open.get() { Tr::hide_rooms(lang.get()) } else { Tr::show_rooms(lang.get()) }}
                        </span>
                        <Show when=move || { unread_elsewhere() > 0 }>
                            <span class="drawer-badge">
                                <span aria-hidden="true">{unread_elsewhere}</span>
                                <span class="visually-hidden">
                                    {move || format!(" ({})", Tr::unread(lang.get(), unread_elsewhere()))}
                                </span>
                            </span>
                        </Show>
                    </button>
                    <h1 class="room-name">"#" <bdi>{move || chat.room.get()}</bdi></h1>
                    <span class="me">{move || chat.name.get()}</span>
                    <ConnectionStatus/>
                    <SearchToggle open=search_open panel_id=search_id.clone()/>
                    {chrome.map(|chrome| view! {
                        <button
                            type="button"
                            class="icon-button"
                            aria-label=move || Tr::settings(lang.get())
                            title=move || Tr::settings(lang.get())
                            on:click=move |_| chrome.settings_open.set(true)
                        >"⚙"</button>
                    })}
                </header>
                <People/>
                <SearchPanel open=search_open panel_id=search_id/>
                <Show when=move || chat.connection.with(|c| c.relay)>
                    <p role="note" class="relay-note">{move || Tr::relay_note(lang.get())}</p>
                </Show>
                <Show when=move || chat.forbidden.get()>
                    <p role="alert" class="room-forbidden">{move || Tr::room_forbidden(lang.get())}</p>
                </Show>
                <MessageList/>
                <TypingIndicator/>
                <Composer/>
                <ConnectionDetails/>
            </section>
        </div>
    }
}

/// Handshake, server kind and counters, where a developer looks when something is off.
#[component]
fn ConnectionDetails() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let server_kind = move || {
        let lang = lang.get();
        chat.connection.with(|c| {
            if c.full_server {
                Tr::announced_server(lang)
            } else if c.relay {
                Tr::plain_relay(lang)
            } else {
                Tr::unknown_yet(lang)
            }
        })
    };
    let last_error = move || {
        chat.connection.with(|c| {
            c.server_error
                .clone()
                .unwrap_or_else(|| Tr::none(lang.get()).to_owned())
        })
    };
    let transport = move || {
        chat.connection
            .with(|c| Tr::transport_in_use(lang.get(), c.transport, c.transport_reason))
    };
    view! {
        <details class="devbar">
            <summary>{move || Tr::connection_details(lang.get())}</summary>
            <dl>
                <dt>{move || Tr::transport(lang.get())}</dt>
                <dd data-testid="transport">{transport}</dd>
                <HandshakeDetails/>
                <dt>{move || Tr::server_kind(lang.get())}</dt>
                <dd>{server_kind}</dd>
                <dt>{move || Tr::dropped_frames(lang.get())}</dt>
                <dd data-testid="dropped-frames">{move || chat.connection.with(|c| c.dropped)}</dd>
                <dt>{move || Tr::repaired_frames(lang.get())}</dt>
                <dd data-testid="repaired-frames">{move || chat.connection.with(|c| c.repaired)}</dd>
                // One list for all link rows: the bundle pays for one row's rendering code.
                {move || {
                    let lang = lang.get();
                    chat.link_revision.track();
                    chat.with_link_figures(|link| link_rows(lang, link))
                        .into_iter()
                        .map(|(testid, label, value)| {
                            view! {
                                <dt>{label}</dt>
                                <dd data-testid=testid>{value}</dd>
                            }
                        })
                        .collect_view()
                }}
                <dt>{move || Tr::last_server_error(lang.get())}</dt>
                <dd>{last_error}</dd>
            </dl>
        </details>
    }
}

/// The link figures as (test id, label, value) rows.
fn link_rows(lang: Lang, link: &LinkFigures) -> [(&'static str, &'static str, String); 5] {
    let round_trip = match (link.rtt_ms, link.smoothed_rtt_ms) {
        (Some(last), Some(smoothed)) => in_out(last, smoothed) + " ms",
        _ => Tr::none(lang).to_owned(),
    };
    let mut closes = String::new();
    for close in &link.closes {
        if !closes.is_empty() {
            closes.push_str("; ");
        }
        close_line(lang, close, &mut closes);
    }
    if closes.is_empty() {
        closes.push_str(Tr::none(lang));
    }
    [
        ("round-trip", Tr::round_trip(lang), round_trip),
        (
            "frames-in-out",
            Tr::frames_in_out(lang),
            in_out(link.frames_in, link.frames_out),
        ),
        (
            "bytes-in-out",
            Tr::bytes_in_out(lang),
            in_out(link.bytes_in, link.bytes_out),
        ),
        (
            "reconnects",
            Tr::reconnects(lang),
            link.reconnects.to_string(),
        ),
        ("recent-closes", Tr::recent_closes(lang), closes),
    ]
}

/// "in / out" of two counts.
fn in_out(received: u64, sent: u64) -> String {
    let mut text = received.to_string();
    text.push_str(" / ");
    text.push_str(&sent.to_string());
    text
}

/// One close for the list: its code, what the code means, and the reason the peer gave
/// (isolated, as it is the peer's text).
fn close_line(lang: Lang, close: &SeenClose, line: &mut String) {
    line.push_str(&close.code.to_string());
    line.push_str(" · ");
    line.push_str(Tr::close_meaning(lang, close.code));
    if !close.reason.is_empty() {
        line.push_str(" · ");
        line.push_str(&isolated(&close.reason));
    }
}
