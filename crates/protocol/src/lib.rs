//! Wire format v1 of wirechat.
//!
//! Every frame is one JSON object in one WebSocket text frame, tagged by its `type` field.
//! `PROTOCOL.md` at the repository root is the normative description; this crate is its
//! executable form and is shared by the browser client and the reference server.
//!
//! Decoding is deliberately forgiving in one direction and strict in the other:
//! unknown `type`s and unknown fields are ignored (so servers and clients can evolve
//! independently), while a frame that is not an object of a known shape, or whose values are
//! outside the limits in `PROTOCOL.md`, is rejected with a [`DecodeError`] the caller can
//! count. Values past decode are within their limits: a [`Timestamp`] is always a date a
//! browser can show, a `seq` always leaves room to count on. Nothing here panics on input.
//!
//! The frames of message actions and search are [`Frame`] variants only with the `actions`
//! feature (the reference server and the web client turn it on). Without it they decode as [`Frame::Unknown`],
//! so a client that uses none of them carries no code for them.
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

mod actions;
mod by_type;
mod catchup;
mod check;
mod frame;
#[cfg(any(test, feature = "generate"))]
pub mod generate;
mod invisible;
mod limits;
mod repair;
mod time;

pub use actions::*;
pub use catchup::*;
pub use frame::*;
pub use limits::*;
pub use time::Timestamp;

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

/// Decodes one text frame, refusing anything over [`MAX_INBOUND_FRAME_BYTES`] or outside the
/// limits. A `ts` that is not a [`Timestamp`] makes the frame invalid: see [`decode_received`]
/// for the reader's rule.
pub fn decode(text: &str) -> Result<Frame, DecodeError> {
    decode_with_limit(text, MAX_INBOUND_FRAME_BYTES)
}

/// Decodes one text frame, refusing texts longer than `limit` bytes before parsing them, and
/// frames outside the limits after.
pub fn decode_with_limit(text: &str, limit: usize) -> Result<Frame, DecodeError> {
    refuse_oversized(text, limit)?;
    let frame = parse(text)?;
    Ok(check::check(frame).map_err(DecodeError::Invalid)?.frame)
}

/// A frame as a reader takes it in: within the limits, perhaps after repairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The frame, every value within its limits.
    pub frame: Frame,
    /// Whether a value was changed to get there: a message time replaced by the time of
    /// arrival, a message of a history page left out, a list cut short.
    pub repaired: bool,
}

/// Decodes one text frame that arrived at `received_at`, the way a reader of messages takes
/// it: as [`decode`], except that a message whose `ts` is a number but not a [`Timestamp`]
/// (negative, fractional, or past [`Timestamp::MAX`]) is kept, with `received_at` as its
/// time, and reported as [`Received::repaired`].
pub fn decode_received(text: &str, received_at: Timestamp) -> Result<Received, DecodeError> {
    refuse_oversized(text, MAX_INBOUND_FRAME_BYTES)?;
    let (frame, times_repaired) = match parse(text) {
        Ok(frame) => (frame, false),
        Err(err) => match repair::times(text, received_at) {
            Some(frame) => (frame, true),
            None => return Err(err),
        },
    };
    let checked = check::check(frame).map_err(DecodeError::Invalid)?;
    Ok(Received {
        frame: checked.frame,
        repaired: times_repaired || checked.repaired,
    })
}

fn refuse_oversized(text: &str, limit: usize) -> Result<(), DecodeError> {
    if text.len() > limit {
        return Err(DecodeError::TooLarge {
            len: text.len(),
            limit,
        });
    }
    Ok(())
}

/// The deepest JSON nesting a frame may have, the limit serde_json keeps when it builds values.
const MAX_NESTING: usize = 128;

pub(crate) fn parse(text: &str) -> Result<Frame, DecodeError> {
    // Decoding by type key skips unknown fields without building them, and skipping has no
    // depth limit, so the promise "nested deeper than 128 levels is dropped" is kept here.
    if nesting_exceeds(text, MAX_NESTING) {
        return Err(DecodeError::Invalid(format!(
            "JSON nested deeper than {MAX_NESTING} levels"
        )));
    }
    by_type::from_text(text).map_err(|err| DecodeError::Invalid(err.to_string()))
}

/// Whether brackets outside strings nest deeper than `limit`.
fn nesting_exceeds(text: &str, limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Encodes a frame as the JSON text of one WebSocket text frame.
pub fn encode(frame: &Frame) -> String {
    // Serialising these plain structs cannot fail: every key is a string and no value is a
    // map with non-string keys or a float.
    serde_json::to_string(frame).unwrap_or_default()
}

#[cfg(test)]
mod tests;
