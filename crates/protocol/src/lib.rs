//! Wire format v1 of wirechat.
//!
//! Every frame is one JSON object in one WebSocket text frame, tagged by its `type` field.
//! `PROTOCOL.md` at the repository root is the normative description; this crate is its
//! executable form and is shared by the browser client and the reference server.
//!
//! Decoding is deliberately forgiving in one direction and strict in the other:
//! unknown `type`s and unknown fields are ignored (so servers and clients can evolve
//! independently), while a frame that is not an object of a known shape is rejected with a
//! [`DecodeError`] the caller can count. Nothing here panics on input.
//!
//! ```
//! use wirechat_protocol::{decode, encode, Frame, ChatMessage};
//!
//! let frame = decode(r#"{"type":"msg","id":"m1","room":"lobby","from":"alice","text":"Hello","ts":1764000000000}"#)
//!     .unwrap();
//! let Frame::Msg(msg) = &frame else { panic!("a chat message") };
//! assert_eq!(msg.text, "Hello");
//! assert_eq!(decode(&encode(&frame)).unwrap(), frame);
//! ```

mod catchup;
mod frame;
mod limits;

pub use catchup::*;
pub use frame::*;
pub use limits::*;

use std::fmt;

/// Why an incoming text could not be turned into a [`Frame`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The text is larger than the decoder accepts; it was not parsed at all.
    TooLarge {
        /// Size of the rejected text in bytes.
        len: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// The text is not JSON, or not a JSON object of a known frame shape.
    Invalid(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLarge { len, limit } => {
                write!(f, "frame of {len} bytes exceeds the {limit} byte limit")
            }
            DecodeError::Invalid(reason) => write!(f, "invalid frame: {reason}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decodes one text frame, refusing anything over [`MAX_INBOUND_FRAME_BYTES`].
pub fn decode(text: &str) -> Result<Frame, DecodeError> {
    decode_with_limit(text, MAX_INBOUND_FRAME_BYTES)
}

/// Decodes one text frame, refusing texts longer than `limit` bytes before parsing them.
pub fn decode_with_limit(text: &str, limit: usize) -> Result<Frame, DecodeError> {
    if text.len() > limit {
        return Err(DecodeError::TooLarge {
            len: text.len(),
            limit,
        });
    }
    // serde_json refuses nesting deeper than 128 levels, so hostile deeply nested input
    // is an error here rather than a stack overflow.
    serde_json::from_str(text).map_err(|err| DecodeError::Invalid(err.to_string()))
}

/// Encodes a frame as the JSON text of one WebSocket text frame.
pub fn encode(frame: &Frame) -> String {
    // Serialising these plain structs cannot fail: every key is a string and no value is a
    // map with non-string keys or a float.
    serde_json::to_string(frame).unwrap_or_default()
}

#[cfg(test)]
mod tests;
