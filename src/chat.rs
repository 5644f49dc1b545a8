//! `use_chat`: the hook that turns a server URL and a room into reactive chat state.

use crate::glue::driver::{Driver, Endpoint};
use crate::glue::page::{self, new_message_id};
use crate::glue::websocket::WebSocketTransport;
use crate::transport::Transport;
use leptos::ev;
use leptos::prelude::*;
use std::rc::Rc;
use wirechat_session::{Delivery, Input, ServerMode, Session, SessionConfig, Status};

/// What [`use_chat`] connects to and as whom.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOptions {
    /// WebSocket URL of the server, e.g. `wss://chat.example/ws`.
    pub server: String,
    /// Room to join.
    pub room: String,
    /// Display name.
    pub name: String,
    /// Subprotocols to offer in the handshake. Default: none.
    pub protocols: Vec<String>,
    /// Timing of reconnects, pings and failures. Default: [`SessionConfig::default`].
    pub session: SessionConfig,
    /// At most this many of the newest messages are rendered. Default 500.
    pub render_limit: usize,
}

impl ChatOptions {
    /// Options with the defaults for everything but the essentials.
    pub fn new(
        server: impl Into<String>,
        room: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            server: server.into(),
            room: room.into(),
            name: name.into(),
            protocols: Vec::new(),
            session: SessionConfig::default(),
            render_limit: 500,
        }
    }
}

/// One message as the list renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    /// Message id (unique).
    pub id: String,
    /// Sender's display name.
    pub from: String,
    /// The text, to be shown as plain text.
    pub text: String,
    /// Creation time, ms since the epoch.
    pub ts: u64,
    /// Delivery state of the user's own messages; `None` for others'.
    pub delivery: Option<Delivery>,
}

/// Connection facts for the status line and the developer footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionView {
    /// The connection state.
    pub status: Status,
    /// Negotiated subprotocol ("" for none).
    pub protocol: String,
    /// Whether the server announced itself (`false` on plain relays or before the hello).
    pub full_server: bool,
    /// Whether the server turned out to be a plain relay.
    pub relay: bool,
    /// Frames dropped as invalid.
    pub dropped: u64,
    /// Longest text the server accepts, in bytes.
    pub max_text: usize,
    /// The last error the server reported.
    pub server_error: Option<String>,
}

impl ConnectionView {
    fn of(session: &Session) -> Self {
        Self {
            status: session.status(),
            protocol: session.protocol().to_owned(),
            full_server: matches!(session.mode(), ServerMode::Full(_)),
            relay: matches!(session.mode(), ServerMode::Relay),
            dropped: session.stats().dropped,
            max_text: session.max_text_bytes(),
            server_error: session.stats().last_server_error.clone(),
        }
    }
}

/// Reactive chat state plus the actions on it. Cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct ChatHandle {
    /// Connection state, protocol and counters.
    pub connection: Signal<ConnectionView>,
    /// The newest messages of the room, oldest first.
    pub messages: Signal<Vec<MessageView>>,
    /// Everyone online in the room, sorted, this user included.
    pub online: Signal<Vec<String>>,
    /// Everyone else typing in the room now.
    pub typing: Signal<Vec<String>>,
    /// The display name in use.
    pub name: Signal<String>,
    /// The room in use.
    pub room: Signal<String>,
    driver: StoredValue<Rc<Driver>, LocalStorage>,
}

impl ChatHandle {
    /// Sends `text` to the room. Blank texts are not sent; returns whether it was queued.
    pub fn send(&self, text: &str) -> bool {
        if text.trim().is_empty() || text.len() > self.connection.get_untracked().max_text {
            return false;
        }
        self.input(Input::Compose {
            id: new_message_id(),
            text: text.to_owned(),
        });
        true
    }

    /// Tells the room this user is typing (throttled by the session).
    pub fn notify_typing(&self) {
        self.input(Input::Typing);
    }

    /// Reconnects now instead of waiting for the backoff.
    pub fn retry_now(&self) {
        self.input(Input::RetryNow);
    }

    /// Resends a failed message.
    pub fn retry_message(&self, id: &str) {
        self.input(Input::RetryMessage(id.to_owned()));
    }

    /// Deletes a failed or pending message.
    pub fn delete_message(&self, id: &str) {
        self.input(Input::DeleteMessage(id.to_owned()));
    }

    fn input(&self, input: Input) {
        self.driver.with_value(|d| d.dispatch(input));
    }
}

/// Connects to a chat server and keeps the room's state in signals.
///
/// The connection lives as long as the calling component; it closes without reconnecting
/// when the component is cleaned up.
///
/// ```no_run
/// use leptos::prelude::*;
/// use wirechat::{use_chat, ChatOptions};
///
/// #[component]
/// fn Lobby() -> impl IntoView {
///     let chat = use_chat(ChatOptions::new("wss://chat.example/ws", "lobby", "alice"));
///     view! {
///         <p>{move || chat.messages.get().len()} " messages"</p>
///         <button on:click=move |_| { chat.send("Hello"); }>"Say hello"</button>
///     }
/// }
/// ```
pub fn use_chat(options: ChatOptions) -> ChatHandle {
    use_chat_with(options, Box::new(WebSocketTransport))
}

/// [`use_chat`] over another [`Transport`], such as a fallback for networks that block
/// WebSockets, or an in-memory one in component tests.
pub fn use_chat_with(options: ChatOptions, transport: Box<dyn Transport>) -> ChatHandle {
    let mut session_config = options.session.clone();
    session_config.name = options.name.clone();
    session_config.rooms = vec![options.room.clone()];
    let session = Session::new(session_config, page::random_u64());

    let connection = RwSignal::new(ConnectionView::of(&session));
    let revision = RwSignal::new(session.revision());
    let on_change = Box::new(move |s: &Session| {
        if revision.get_untracked() != s.revision() {
            revision.set(s.revision());
            let view = ConnectionView::of(s);
            if connection.with_untracked(|c| *c != view) {
                connection.set(view);
            }
        }
    });
    let driver = Driver::new(
        session,
        Endpoint {
            url: options.server.clone(),
            protocols: options.protocols.clone(),
        },
        transport,
        on_change,
    );
    driver.start();
    let driver = StoredValue::new_local(driver);

    let room = options.room.clone();
    let limit = options.render_limit;
    let messages = Memo::new(move |_| {
        revision.track();
        driver.with_value(|d| {
            d.with_session(|s| {
                let Some(log) = s.room(&room) else {
                    return Vec::new();
                };
                let entries = log.entries();
                entries[entries.len().saturating_sub(limit)..]
                    .iter()
                    .map(|e| MessageView {
                        id: e.msg.id.clone(),
                        from: e.msg.from.clone(),
                        text: e.msg.text.clone(),
                        ts: e.msg.ts,
                        delivery: e.delivery,
                    })
                    .collect()
            })
        })
    });

    let people_room = options.room.clone();
    let online = Memo::new(move |_| {
        revision.track();
        driver.with_value(|d| d.with_session(|s| s.online(&people_room)))
    });
    let typing_room = options.room.clone();
    let typing = Memo::new(move |_| {
        revision.track();
        driver.with_value(|d| d.with_session(|s| s.typing(&typing_room)))
    });

    // The browser's own view of the network and of the tab drive reconnects.
    let dispatch = move |input: Input| driver.with_value(|d| d.dispatch(input));
    let online_listener = window_event_listener(ev::online, move |_| dispatch(Input::Online));
    let offline_listener = window_event_listener(ev::offline, move |_| dispatch(Input::Offline));
    let visible_listener = window_event_listener(
        ev::Custom::<web_sys::Event>::new("visibilitychange"),
        move |_| {
            let hidden = document().hidden();
            if !hidden {
                dispatch(Input::Visible);
            }
        },
    );
    on_cleanup(move || {
        online_listener.remove();
        offline_listener.remove();
        visible_listener.remove();
        driver.with_value(|d| d.shut_down());
    });

    ChatHandle {
        connection: connection.into(),
        messages: messages.into(),
        online: online.into(),
        typing: typing.into(),
        name: Signal::stored(options.name),
        room: Signal::stored(options.room),
        driver,
    }
}
