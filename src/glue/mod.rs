//! Everything that touches the browser: socket, timers, storage, clock. Kept thin: the
//! rules live in `wirechat-session`, and this layer only carries them out.

pub mod crash;
pub mod driver;
pub mod handshake;
pub mod http;
pub mod lifecycle;
pub mod long_polling;
pub mod message_link;
pub mod notify;
pub mod page;
pub mod prefs;
pub mod resize;
pub mod sse;
pub mod tab_outbox;
pub mod time;
pub mod token;
pub mod transport_memory;
pub mod upstream;
pub mod websocket;
