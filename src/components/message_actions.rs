//! What the user is doing to messages, shared by the list and the composer: writing a reply
//! or an edit.

use leptos::prelude::*;

/// What the composer writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Drafting {
    /// A new message.
    #[default]
    New,
    /// An answer to message `id`, quoting `from` and `text`.
    Reply {
        /// The message answered.
        id: String,
        /// Its sender.
        from: String,
        /// Its text.
        text: String,
    },
    /// A new text for the user's own message `id`, which read `text`.
    Edit {
        /// The message edited.
        id: String,
        /// Its text before.
        text: String,
    },
}

/// The shared state of message actions, in context below the chat layout.
#[derive(Debug, Clone, Copy)]
pub struct MessageActions {
    /// What the composer writes.
    pub drafting: RwSignal<Drafting>,
}

impl MessageActions {
    /// Fresh state: a new message.
    pub fn new() -> Self {
        Self {
            drafting: RwSignal::new(Drafting::New),
        }
    }
}

impl Default for MessageActions {
    fn default() -> Self {
        Self::new()
    }
}

/// The message actions in context, or fresh ones when a component is used on its own.
pub fn use_message_actions() -> MessageActions {
    use_context::<MessageActions>().unwrap_or_else(|| {
        let actions = MessageActions::new();
        provide_context(actions);
        actions
    })
}
