use crate::app::SettingsToggle;
use crate::chat::{use_chat, ChatHandle, ChatOptions};
use crate::components::{Composer, ConnectionStatus, MessageList, People, TypingIndicator};
use leptos::prelude::*;

/// A complete chat room: status line, message list and composer, on its own connection.
///
/// Embed it in any Leptos app:
/// ```no_run
/// use leptos::prelude::*;
/// use wirechat::{ChatOptions, ChatRoom};
///
/// #[component]
/// fn Support() -> impl IntoView {
///     view! { <ChatRoom options=ChatOptions::new("wss://chat.example/ws", "support", "alice")/> }
/// }
/// ```
#[component]
pub fn ChatRoom(
    /// Server, room, name and timings.
    options: ChatOptions,
) -> impl IntoView {
    provide_context(use_chat(options));
    view! { <ChatLayout/> }
}

/// The room's layout around the [`ChatHandle`] found in context; use it with
/// [`crate::chat::use_chat_with`] to show a chat on another transport.
#[component]
pub fn ChatLayout() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let dropped = move || chat.connection.with(|c| c.dropped);
    let protocol = move || {
        chat.connection.with(|c| {
            if c.protocol.is_empty() {
                "none".to_owned()
            } else {
                c.protocol.clone()
            }
        })
    };
    let server_kind = move || {
        chat.connection.with(|c| {
            if c.full_server {
                "announced server"
            } else if c.relay {
                "plain relay (no history)"
            } else {
                "unknown yet"
            }
        })
    };
    view! {
        <section class="chat-room">
            <header class="room-header">
                <h1 class="room-name">"#" {move || chat.room.get()}</h1>
                <span class="me">{move || chat.name.get()}</span>
                <ConnectionStatus/>
                {use_context::<SettingsToggle>().map(|SettingsToggle(open)| view! {
                    <button type="button" class="icon-button" aria-label="Settings" title="Settings"
                        on:click=move |_| open.set(true)>"⚙"</button>
                })}
            </header>
            <People/>
            <Show when=move || chat.connection.with(|c| c.relay)>
                <p role="note" class="relay-note">
                    "History is unavailable: this server does not announce itself, so it is treated \
                     as a plain relay. You see the messages sent while you are here."
                </p>
            </Show>
            <MessageList/>
            <TypingIndicator/>
            <Composer/>
            <details class="devbar">
                <summary>"Connection details"</summary>
                <dl>
                    <dt>"Subprotocol"</dt>
                    <dd data-testid="subprotocol">{protocol}</dd>
                    <dt>"Server"</dt>
                    <dd>{server_kind}</dd>
                    <dt>"Dropped frames"</dt>
                    <dd data-testid="dropped-frames">{dropped}</dd>
                    <dt>"Last server error"</dt>
                    <dd>{move || chat.connection.with(|c| c.server_error.clone().unwrap_or_else(|| "none".into()))}</dd>
                </dl>
            </details>
        </section>
    }
}
