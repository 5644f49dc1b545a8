//! The pure rules behind the chat's views, with no browser in them: which slice of a long
//! room is rendered and how it follows the reader ([`message_layout`], [`scroll_plan`]),
//! which messages share a header, and which parts of a text are links ([`linkify`]).
//!
//! The `wirechat` frontend measures the DOM and carries these rules out; here `cargo test`
//! checks them natively.

pub mod linkify;
pub mod message_layout;
pub mod scroll_plan;

pub use scroll_plan::HistoryView;
