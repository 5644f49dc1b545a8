//! `use_chat`: the hook that turns a server URL and a room into reactive chat state.

use crate::glue::driver::{Driver, Endpoint};
use crate::glue::lifecycle;
use crate::glue::long_polling::LongPollingTransport;
use crate::glue::page::{self, new_message_id};
use crate::glue::sse::SseTransport;
use crate::glue::websocket::WebSocketTransport;
use crate::transport::{Transport, TransportSet};
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use wirechat_protocol::{Handshake, Timestamp};
use wirechat_session::{
    ActionError, Delivery, Input, LinkFigures, SearchState, ServerMode, Session, SessionConfig,
    Status, TransportKind, TransportReason,
};
pub use wirechat_view::HistoryView;

/// The future a [`TokenProvider`] returns: a token, or why there is none.
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<String, String>>>>;

/// Gets a sign-in token (a JWT from the site the user signed in to) for servers that require
/// one. Called when the server asks for a token, before the current one expires, and after
/// the server refused one; it should fetch a fresh token each time. Its error, in its own
/// words, is shown on the page.
#[derive(Clone)]
pub struct TokenProvider(Arc<dyn Fn() -> TokenFuture + Send + Sync>);

impl TokenProvider {
    /// A provider from an async function, such as a `fetch` of the site's token endpoint.
    pub fn new<F, Fut>(get: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + 'static,
    {
        Self(Arc::new(move || Box::pin(get())))
    }

    /// Asks for a token.
    pub fn token(&self) -> TokenFuture {
        (self.0)()
    }
}

impl PartialEq for TokenProvider {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenProvider")
    }
}

/// What [`use_chat`] connects to and as whom.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOptions {
    /// WebSocket URL of the server, e.g. `wss://chat.example/ws`.
    pub server: String,
    /// Further servers of the same cluster (nodes sharing one engine), tried in order after
    /// `server` fails; the session resumes on them by `seq` and epoch. Default: none.
    pub fallback_servers: Vec<String>,
    /// Room to join and show first.
    pub room: String,
    /// Further rooms to join on the same connection. Default: none.
    pub other_rooms: Vec<String>,
    /// Display name.
    pub name: String,
    /// Subprotocols to offer in the handshake. Default: none.
    pub protocols: Vec<String>,
    /// Timing of reconnects, pings and failures. Default: [`SessionConfig::default`].
    pub session: SessionConfig,
    /// At most this many of the newest messages are in [`ChatHandle::messages`] (the built-in
    /// list renders a window of its own instead). Default 500.
    pub render_limit: usize,
    /// Where sign-in tokens come from, for servers that require them. Default none: the
    /// user is a guest, and a server that requires a token is not retried.
    pub token_provider: Option<TokenProvider>,
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
            fallback_servers: Vec::new(),
            room: room.into(),
            other_rooms: Vec::new(),
            name: name.into(),
            protocols: Vec::new(),
            session: SessionConfig::default(),
            render_limit: 500,
            token_provider: None,
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
    /// Creation time (or arrival time, when the sender's was unrepresentable).
    pub ts: Timestamp,
    /// Delivery state of the user's own messages; `None` for others'.
    pub delivery: Option<Delivery>,
    /// Server sequence number, when the server numbers messages.
    pub seq: Option<u64>,
    /// Whether the text was edited since it was sent.
    pub edited: bool,
    /// Whether the message was deleted: `text` is empty and it shows as a short line.
    pub deleted: bool,
    /// The message this one answers: its id, and its sender and text when it is loaded.
    pub reply_to: Option<Quote>,
    /// The emoji people reacted with, in the order first used.
    pub reactions: Vec<ReactionView>,
    /// Whether the user may edit and delete it: their own, sent, and not deleted.
    pub editable: bool,
    /// Whether it mentions the user (`@` and their name), and is not theirs.
    pub mentions_you: bool,
}

/// The message a reply quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Quote {
    /// Its id.
    pub id: String,
    /// Its sender and text, when it is loaded (and not deleted: then the text is empty).
    pub original: Option<(String, String)>,
}

/// One emoji on a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReactionView {
    /// The emoji.
    pub emoji: String,
    /// How many reacted with it.
    pub count: u64,
    /// Who did (up to 100 names).
    pub users: Vec<String>,
    /// Whether this user did.
    pub mine: bool,
}

impl MessageView {
    fn of(entry: &wirechat_session::Entry, log: &wirechat_session::RoomLog, s: &Session) -> Self {
        let msg = &entry.msg;
        Self {
            id: msg.id.clone(),
            from: msg.from.clone(),
            text: msg.text.clone(),
            ts: msg.ts,
            delivery: entry.delivery,
            seq: msg.seq,
            edited: entry.is_edited(),
            deleted: entry.is_deleted(),
            reply_to: msg.reply_to.as_ref().map(|id| Quote {
                id: id.clone(),
                original: log
                    .get(id)
                    .map(|o| (o.msg.from.clone(), o.msg.text.clone())),
            }),
            reactions: entry
                .reactions()
                .map(|(r, mine)| ReactionView {
                    emoji: r.emoji.clone(),
                    count: r.count,
                    users: r.users.clone(),
                    mine,
                })
                .collect(),
            editable: matches!(entry.delivery, Some(Delivery::Sent | Delivery::Delivered))
                && !entry.is_deleted(),
            mentions_you: s.mentions_me(&msg.room, entry),
        }
    }
}

/// One joined room in the room list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSummary {
    /// Room name.
    pub name: String,
    /// Messages that arrived while another room was shown.
    pub unread: u32,
    /// Of those, the ones that mention the user.
    pub mentions: u32,
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
    /// Frames kept after a value in them was repaired.
    pub repaired: u64,
    /// Longest text the server accepts, in bytes.
    pub max_text: usize,
    /// The last error the server reported.
    pub server_error: Option<String>,
    /// The server refused frames for coming too fast: until this time (ms since the epoch)
    /// messages wait and typing is not announced.
    pub rate_limited_until: Option<u64>,
    /// The name of the signed-in user; `None` for guests.
    pub signed_in_as: Option<String>,
    /// The opening handshake the server reported in `hello`, if it did.
    pub handshake: Option<Handshake>,
    /// The transport in use (or being tried).
    pub transport: TransportKind,
    /// Whether messages can be edited, deleted and reacted to.
    pub actions: bool,
    /// The last action on a message that did not happen.
    pub action_error: Option<ActionError>,
    /// Why that transport.
    pub transport_reason: TransportReason,
}

impl ConnectionView {
    fn of(session: &Session) -> Self {
        Self {
            status: session.status(),
            protocol: session.protocol().to_owned(),
            full_server: matches!(session.mode(), ServerMode::Full(_)),
            relay: matches!(session.mode(), ServerMode::Relay),
            dropped: session.stats().dropped,
            repaired: session.stats().repaired,
            max_text: session.max_text_bytes(),
            server_error: session.stats().last_server_error.clone(),
            rate_limited_until: session.rate_limited_until(),
            signed_in_as: session.signed_in_as().map(str::to_owned),
            handshake: session.handshake().cloned(),
            transport: session.transport().0,
            actions: session.can_act(),
            action_error: session.action_error().cloned(),
            transport_reason: session.transport().1,
        }
    }
}

/// Reactive chat state plus the actions on it. Cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct ChatHandle {
    /// Connection state, protocol and counters.
    pub connection: Signal<ConnectionView>,
    /// The newest messages of the current room (at most `render_limit`), oldest first.
    /// Computed only while read; a list that renders a window reads
    /// [`ChatHandle::message_count`] and [`ChatHandle::messages_between`] instead.
    pub messages: Signal<Vec<MessageView>>,
    /// How many messages the current room holds.
    pub message_count: Signal<usize>,
    /// Grows whenever anything in the chat changed; track it to re-read untracked data.
    pub revision: Signal<u64>,
    /// The joined rooms with their unread counts.
    pub rooms: Signal<Vec<RoomSummary>>,
    /// Older history of the current room.
    pub history: Signal<HistoryView>,
    /// Everyone online in the room, sorted, this user included.
    pub online: Signal<Vec<String>>,
    /// Everyone else typing in the room now.
    pub typing: Signal<Vec<String>>,
    /// The display name in use in the room shown: the server's ("alice (2)" when another
    /// alice was there first, the token's name when signed in), else the chosen one.
    pub name: Signal<String>,
    /// Whether the server refused this user the room shown.
    pub forbidden: Signal<bool>,
    /// The room shown now.
    pub room: Signal<String>,
    /// The subprotocols this chat offers in the handshake (its options'), empty for none.
    pub requested_protocols: Signal<Vec<String>>,
    /// Moves whenever the link figures change, with every frame in or out; track it to re-read
    /// them with [`ChatHandle::with_link_figures`].
    pub link_revision: Signal<u64>,
    /// The first message of the room shown that was unread when the room was opened (the
    /// "new messages" line goes above it); `None` when there was none or the server keeps
    /// no read positions.
    pub unread_from: Signal<Option<String>>,
    /// Searching the room shown: whether the server can, and the last search.
    pub search: Signal<SearchView>,
    /// The message the list is asked to show and highlight (a search result, a reply's
    /// original, a linked message) until it does; see [`ChatHandle::show_message`].
    pub shown_message: RwSignal<Option<ShownMessage>>,
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

    /// Reads the link figures (frames, bytes, round trips, reconnects, recent closes) without
    /// tracking: track [`ChatHandle::link_revision`] to react to changes.
    pub fn with_link_figures<T>(&self, read: impl FnOnce(&LinkFigures) -> T) -> T {
        self.driver
            .with_value(|d| d.with_session(|s| read(s.link_figures())))
    }

    /// Messages `start..end` of the current room (clamped), without tracking: read
    /// [`ChatHandle::revision`] or [`ChatHandle::message_count`] to react to changes.
    pub fn messages_between(&self, start: usize, end: usize) -> Vec<MessageView> {
        self.driver.with_value(|d| {
            d.with_session(|s| {
                let Some(log) = s.room(s.current_room()) else {
                    return Vec::new();
                };
                let entries = log.entries();
                let end = end.min(entries.len());
                let start = start.min(end);
                entries[start..end]
                    .iter()
                    .map(|e| MessageView::of(e, log, s))
                    .collect()
            })
        })
    }

    /// Sends `text` to the room as an answer to message `reply_to`; returns whether it was
    /// queued.
    pub fn reply(&self, reply_to: &str, text: &str) -> bool {
        if text.trim().is_empty() || text.len() > self.connection.get_untracked().max_text {
            return false;
        }
        self.input(Input::Reply {
            id: new_message_id(),
            text: text.to_owned(),
            reply_to: reply_to.to_owned(),
        });
        true
    }

    /// Changes the text of the user's own message `id` (sent already). Returns false when
    /// the edit did not go out (empty or too long text, or refused: offline, say, with
    /// [`ConnectionView::action_error`] saying why), so the composer keeps the text.
    pub fn edit(&self, id: &str, text: &str) -> bool {
        if text.trim().is_empty() || text.len() > self.connection.get_untracked().max_text {
            return false;
        }
        self.input(Input::Edit {
            id: id.to_owned(),
            text: text.to_owned(),
        });
        self.driver.with_value(|d| {
            d.with_session(|s| s.action_error().is_none_or(|e| e.id.as_deref() != Some(id)))
        })
    }

    /// Adds (`on`) or takes back this user's `emoji` reaction to message `id`.
    pub fn react(&self, id: &str, emoji: &str, on: bool) {
        self.input(Input::React {
            id: id.to_owned(),
            emoji: emoji.to_owned(),
            on,
        });
    }

    /// The newest message of the current room that the user may edit.
    pub fn last_editable(&self) -> Option<MessageView> {
        self.driver.with_value(|d| {
            d.with_session(|s| {
                let log = s.room(s.current_room())?;
                log.entries()
                    .iter()
                    .rev()
                    .map(|e| MessageView::of(e, log, s))
                    .find(|m| m.editable)
            })
        })
    }

    /// The people who may be mentioned in the room shown: everyone online, then the authors
    /// of its newest messages who are not.
    pub fn mentionable(&self) -> Vec<String> {
        self.driver
            .with_value(|d| d.with_session(|s| s.mentionable(s.current_room())))
    }

    /// The newest message of `room` that mentions the user, among its unread ones (the
    /// newest one in the room shown).
    pub fn newest_mention(&self, room: &str) -> Option<MessageView> {
        self.driver.with_value(|d| {
            d.with_session(|s| {
                let log = s.room(room)?;
                let news = s.unread(room).max(1) as usize;
                log.entries()
                    .iter()
                    .rev()
                    .take(news)
                    .find(|e| s.mentions_me(room, e))
                    .map(|e| MessageView::of(e, log, s))
            })
        })
    }

    /// Joins `room` on the same connection and shows it.
    pub fn join_room(&self, room: &str) {
        self.input(Input::JoinRoom(room.to_owned()));
        self.input(Input::SwitchRoom(room.to_owned()));
    }

    /// Leaves `room` (never the last one).
    pub fn leave_room(&self, room: &str) {
        self.input(Input::LeaveRoom(room.to_owned()));
    }

    /// Shows `room`, which must be joined.
    pub fn switch_room(&self, room: &str) {
        self.input(Input::SwitchRoom(room.to_owned()));
    }

    /// Asks the server for older messages of the current room.
    pub fn load_older(&self) {
        self.input(Input::LoadOlder);
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

    /// Deletes a message: a failed or pending one here only, the user's sent one for
    /// everyone.
    pub fn delete_message(&self, id: &str) {
        self.input(Input::DeleteMessage(id.to_owned()));
    }

    /// Notes that the reader has seen the current room up to message `id` (the newest on
    /// screen); the read position goes to the server once the reader pauses.
    pub fn mark_seen(&self, id: &str) {
        let seen = self.driver.with_value(|d| {
            d.with_session(|s| {
                let room = s.current_room();
                let seq = s.room(room)?.get(id)?.msg.seq?;
                Some((room.to_owned(), seq))
            })
        });
        if let Some((room, seq)) = seen {
            self.input(Input::Seen { room, seq });
        }
    }

    /// Searches the current room for messages holding every word of `q`.
    pub fn search(&self, q: &str) {
        if !q.trim().is_empty() {
            self.input(Input::Search(q.trim().to_owned()));
        }
    }

    /// Asks the list to show message `id` of the current room in context and highlight it,
    /// loading older history until it is held: down to `seq` when its number is known (a
    /// search result), else page by page until it is found or the room's beginning.
    pub fn show_message(&self, id: &str, seq: Option<u64>) {
        self.shown_message.set(Some(ShownMessage {
            id: id.to_owned(),
            seq,
        }));
        if let Some(seq) = seq {
            self.input(Input::LoadUntil(seq));
        }
    }

    /// Where a jump to message `id` of the current room stands; `seq_known` when the
    /// session was asked to load down to its number ([`ChatHandle::show_message`]). Read
    /// from the session as it is now: the signals are only brought up to date once per
    /// animation frame, and a request made since would not show in them yet.
    pub fn look_for(&self, id: &str, seq_known: bool) -> Lookup {
        self.driver.with_value(|d| {
            d.with_session(|s| {
                let room = s.current_room();
                let Some(log) = s.room(room) else {
                    return Lookup::Missing;
                };
                if log.entries().iter().any(|e| e.msg.id == id) {
                    return Lookup::Held;
                }
                // Before the server has said what it keeps, nothing can be decided.
                let unheard = matches!(s.mode(), ServerMode::Unknown);
                let history = s.has_history();
                if unheard
                    || (history && !s.synced(room))
                    || s.revealing(room)
                    || s.loading_older(room)
                {
                    Lookup::Coming
                } else if !seq_known && history && log.more_before {
                    Lookup::Older
                } else {
                    Lookup::Missing
                }
            })
        })
    }

    /// Where message `id` is in the current room, counted from the oldest held.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.driver.with_value(|d| {
            d.with_session(|s| {
                let entries = s.room(s.current_room())?.entries();
                entries.iter().rposition(|e| e.msg.id == id)
            })
        })
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
/// For example (`examples/use_chat.rs`):
/// ```ignore
#[doc = include_str!("../examples/use_chat.rs")]
/// ```
pub fn use_chat(options: ChatOptions) -> ChatHandle {
    use_chat_over(
        options,
        TransportSet {
            websocket: Box::new(WebSocketTransport),
            sse: Some(Box::new(SseTransport)),
            long_polling: Some(Box::new(LongPollingTransport)),
        },
    )
}

/// [`use_chat`] over another [`Transport`] instead of the WebSocket and its fallbacks, such
/// as an in-memory one in component tests.
pub fn use_chat_with(options: ChatOptions, transport: Box<dyn Transport>) -> ChatHandle {
    use_chat_over(options, TransportSet::only(transport))
}

/// [`use_chat`] over the transports of `transports` that
/// [`SessionConfig::transports`] names, in its order.
pub fn use_chat_over(options: ChatOptions, transports: TransportSet) -> ChatHandle {
    let mut session_config = options.session.clone();
    session_config
        .transports
        .retain(|kind| transports.has(*kind));
    if session_config.transports.is_empty() {
        session_config.transports.push(TransportKind::WebSocket);
    }
    session_config.remembered_transport = crate::glue::transport_memory::recall(&options.server);
    session_config.name = options.name.clone();
    session_config.has_tokens = options.token_provider.is_some();
    session_config.resume = crate::glue::token::saved_resume(&options.server);
    session_config.servers = std::iter::once(options.server.clone())
        .chain(options.fallback_servers.iter().cloned())
        .collect();
    session_config.rooms = std::iter::once(options.room.clone())
        .chain(options.other_rooms.iter().cloned())
        .collect();
    let session = Session::new(session_config, page::random_u64());

    let connection = RwSignal::new(ConnectionView::of(&session));
    let revision = RwSignal::new(session.revision());
    let link_revision = RwSignal::new(session.link_figures().revision());
    let on_change = Box::new(move |s: &Session| {
        if revision.get_untracked() != s.revision() {
            revision.set(s.revision());
            let view = ConnectionView::of(s);
            if connection.with_untracked(|c| *c != view) {
                connection.set(view);
            }
        }
        // Every frame moves the link figures, pings and pongs too, which change nothing else:
        // only the figures' own view is told, and nothing is copied.
        if link_revision.get_untracked() != s.link_figures().revision() {
            link_revision.set(s.link_figures().revision());
        }
    });
    let driver = Driver::new(
        session,
        Endpoint {
            url: options.server.clone(),
            protocols: options.protocols.clone(),
        },
        options.token_provider.clone(),
        transports,
        on_change,
    );
    driver.start();
    let driver = StoredValue::new_local(driver);

    // Each derived view re-reads the session when the revision moves; Memos stay lazy, so
    // a view nobody reads costs nothing.
    let current_room = session_view(revision, driver, |s| s.current_room().to_owned());
    let limit = options.render_limit;
    let messages = session_view(revision, driver, move |s| {
        s.room(s.current_room())
            .map(|log| {
                let entries = log.entries();
                entries[entries.len().saturating_sub(limit)..]
                    .iter()
                    .map(|e| MessageView::of(e, log, s))
                    .collect()
            })
            .unwrap_or_default()
    });
    let message_count = session_view(revision, driver, |s| {
        s.room(s.current_room()).map_or(0, |l| l.len())
    });
    let rooms = session_view(revision, driver, |s| {
        s.joined_rooms()
            .map(|name| RoomSummary {
                name: name.to_owned(),
                unread: s.unread(name),
                mentions: s.unread_mentions(name),
            })
            .collect::<Vec<_>>()
    });
    let history = session_view(revision, driver, |s| HistoryView {
        available: s.has_history(),
        more_before: s.room(s.current_room()).is_some_and(|l| l.more_before),
        loading: s.loading_older(s.current_room()),
    });
    let online = session_view(revision, driver, |s| s.online(s.current_room()));
    let typing = session_view(revision, driver, |s| s.typing(s.current_room()));
    let name = session_view(revision, driver, |s| s.name_in(s.current_room()).to_owned());
    let forbidden = session_view(revision, driver, |s| s.forbidden(s.current_room()));
    let unread_from = session_view(revision, driver, first_unread);
    let search = session_view(revision, driver, |s| SearchView {
        available: s.can_search(),
        last: s.search().cloned(),
        revealing: s.revealing(s.current_room()),
    });

    lifecycle::watch_page_lifecycle(move |input| driver.with_value(|d| d.dispatch(input)));
    on_cleanup(move || driver.with_value(|d| d.shut_down()));

    ChatHandle {
        connection: connection.into(),
        messages: messages.into(),
        message_count: message_count.into(),
        revision: revision.into(),
        rooms: rooms.into(),
        history: history.into(),
        online: online.into(),
        typing: typing.into(),
        name: name.into(),
        forbidden: forbidden.into(),
        room: current_room.into(),
        requested_protocols: Signal::stored(options.protocols.clone()),
        link_revision: link_revision.into(),
        unread_from: unread_from.into(),
        search: search.into(),
        shown_message: RwSignal::new(None),
        driver,
    }
}

/// A message the list is asked to show ([`ChatHandle::show_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownMessage {
    /// Its id.
    pub id: String,
    /// Its number in the room, when known: older history is then loaded down to it.
    pub seq: Option<u64>,
}

/// Where a jump to a message stands ([`ChatHandle::look_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The room holds it.
    Held,
    /// Not yet: the room's newest page or an older one is on its way.
    Coming,
    /// Not held, and older pages may have it: the next one should be asked for.
    Older,
    /// The room does not hold it from its beginning on (or keeps no history to ask).
    Missing,
}

/// Searching as the search panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchView {
    /// Whether the server answers searches.
    pub available: bool,
    /// The last search and its results.
    pub last: Option<SearchState>,
    /// Whether older history is being loaded to reach a chosen result.
    pub revealing: bool,
}

/// The id of the first message from someone else among those of the current room that
/// were unread when it was opened.
fn first_unread(s: &Session) -> Option<String> {
    let room = s.current_room();
    let (read, latest) = s.unread_at_join(room)?;
    let entries = s.room(room)?.entries();
    // Held in seq order, so the read part is found by bisection, not a scan of the room.
    let start = entries.partition_point(|e| e.msg.seq.is_some_and(|seq| seq <= read));
    entries[start..]
        .iter()
        .take_while(|e| e.msg.seq.is_some_and(|seq| seq <= latest))
        .find(|e| e.delivery.is_none())
        .map(|e| e.msg.id.clone())
}

/// A view of the session that is re-read whenever `revision` moves.
fn session_view<T>(
    revision: RwSignal<u64>,
    driver: StoredValue<Rc<Driver>, LocalStorage>,
    read: impl Fn(&Session) -> T + Send + Sync + 'static,
) -> Memo<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    Memo::new(move |_| {
        revision.track();
        driver.with_value(|d| d.with_session(&read))
    })
}
