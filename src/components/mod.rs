//! The UI, one component per file.

mod avatar;
mod chat_room;
mod composer;
mod connection_status;
mod handshake_details;
mod mention_notifier;
mod mention_picker;
mod message_actions;
mod message_list;
mod name_prompt;
mod people;
mod preferences;
mod room_list;
mod search_panel;
mod settings_panel;
mod unread_line;

pub use avatar::Avatar;
pub use chat_room::{ChatLayout, ChatRoom};
pub use composer::{is_send_key, Composer};
pub use connection_status::ConnectionStatus;
pub use handshake_details::HandshakeDetails;
pub use mention_notifier::notify_of_mentions;
pub use message_actions::{use_message_actions, Drafting, MessageActions};
pub use message_list::MessageList;
pub use name_prompt::NamePrompt;
pub use people::{People, TypingIndicator};
pub use preferences::Preferences;
pub use room_list::RoomList;
pub use search_panel::{SearchPanel, SearchToggle};
pub use settings_panel::SettingsPanel;
pub use unread_line::UnreadLine;
