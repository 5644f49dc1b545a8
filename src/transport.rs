//! The seam between the session and whatever carries its frames.
//!
//! The session only ever sees text frames and open/close events, so a transport is anything
//! that can deliver those: the browser WebSocket today; HTTP long polling or plain polling can
//! be added as further implementations without touching the session or the components.

use std::rc::Rc;

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
