//! The seam between the session and whatever carries its frames.
//!
//! The session only ever sees text frames and open/close events, so a transport is anything
//! that can deliver those: the browser WebSocket, server-sent events with `POST`s, and HTTP
//! long polling (in `glue`). Which one carries a connection is the session's choice
//! ([`TransportKind`]); a [`TransportSet`] holds one implementation of each kind the app has.

use std::rc::Rc;
pub use wirechat_session::TransportKind;

/// Something that happened on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportEvent {
    /// The connection is open; `protocol` is the negotiated subprotocol ("" for none).
    Opened {
        /// Negotiated subprotocol.
        protocol: String,
    },
    /// A text frame arrived.
    Text(String),
    /// A binary frame arrived.
    Binary,
    /// The connection closed (or never opened). Sent exactly once per connection.
    Closed {
        /// Close code; 1006 when there was no close frame.
        code: u16,
        /// Close reason, possibly empty.
        reason: String,
    },
}

/// Where a connection reports its events.
pub type EventSink = Rc<dyn Fn(TransportEvent)>;

/// Opens connections.
pub trait Transport {
    /// Starts connecting to `url`, offering `protocols`; events go to `events`.
    /// An error means the attempt could not even start (for example a malformed URL).
    fn connect(
        &self,
        url: &str,
        protocols: &[String],
        events: EventSink,
    ) -> Result<Box<dyn Connection>, String>;
}

/// One open or opening connection. Dropping it closes it.
pub trait Connection {
    /// Queues a text frame.
    fn send(&self, text: &str) -> Result<(), String>;
    /// Starts a close with `code` and `reason`; the `Closed` event follows.
    fn close(&self, code: u16, reason: &str);
    /// Bytes queued but not yet handed to the network.
    fn buffered_amount(&self) -> u32;
}

/// The transports a driver may open, one per kind; the WebSocket is always there.
pub struct TransportSet {
    /// The WebSocket.
    pub websocket: Box<dyn Transport>,
    /// Server-sent events, if the app has them.
    pub sse: Option<Box<dyn Transport>>,
    /// Long polling, if the app has it.
    pub long_polling: Option<Box<dyn Transport>>,
}

impl TransportSet {
    /// Only `websocket` (for example an in-memory transport in tests).
    pub fn only(websocket: Box<dyn Transport>) -> Self {
        Self {
            websocket,
            sse: None,
            long_polling: None,
        }
    }

    /// The implementation of `kind`, if the set has one.
    pub fn get(&self, kind: TransportKind) -> Option<&dyn Transport> {
        match kind {
            TransportKind::WebSocket => Some(self.websocket.as_ref()),
            TransportKind::Sse => self.sse.as_deref(),
            TransportKind::LongPolling => self.long_polling.as_deref(),
        }
    }

    /// Whether the set has `kind`.
    pub fn has(&self, kind: TransportKind) -> bool {
        self.get(kind).is_some()
    }
}
