//! wirechat: a browser chat client in Rust and WebAssembly.
//!
//! It speaks wire format v1 (see `PROTOCOL.md`) over the browser's native WebSocket to the
//! reference server or to any plain RFC 6455 relay. The crate is both the app (see
//! [`App`]) and a library: another Leptos app can embed [`ChatRoom`], or build its own UI
//! on [`use_chat`].

pub mod app;
pub mod chat;
pub mod components;
pub mod config;
pub mod dom_id;
pub mod glue;
pub mod i18n;
pub mod identity;
pub mod transport;

pub use wirechat_view::{linkify, message_layout};

pub use app::App;
pub use chat::{
    use_chat, use_chat_with, ChatHandle, ChatOptions, ConnectionView, HistoryView, MessageView,
    RoomSummary, SearchView, ShownMessage, TokenFuture, TokenProvider,
};
pub use components::{ChatLayout, ChatRoom};
pub use wirechat_session::{ClosedReason, Delivery, SessionConfig, SignInProblem, Status};
