//! The one repair made before the frame types see a frame: a message time that is a number
//! but no [`Timestamp`] becomes the time of arrival, so a sender's broken clock costs the
//! reader the sender's time, not the message.
//!
//! The repair is a second pass of the ordinary decoder in which [`Timestamp`]'s decoding
//! takes such a number as the time of arrival. The pass's arrival time is kept for the
//! current thread while it runs: a decoder has no other way to hand a value down to one
//! field, and building a JSON tree to edit instead cost the wasm several KiB.

use crate::{Frame, Timestamp};
use std::cell::Cell;

thread_local! {
    /// During a repair pass: the time of arrival, and whether a message time was replaced.
    static REPAIR: Cell<Option<(Timestamp, bool)>> = const { Cell::new(None) };
}

/// `text` as a `msg` or `history` frame with every unrepresentable message time replaced by
/// `received_at`, or `None` when there was none to replace or the frame is still invalid.
pub(crate) fn times(text: &str, received_at: Timestamp) -> Option<Frame> {
    REPAIR.set(Some((received_at, false)));
    let frame = crate::parse(text);
    let replaced = REPAIR.take().is_some_and(|(_, replaced)| replaced);
    match frame {
        Ok(frame @ (Frame::Msg(_) | Frame::History(_))) if replaced => Some(frame),
        _ => None,
    }
}

/// The time that stands in for a message time that is a number but no [`Timestamp`]: the
/// time of arrival during a repair pass, and `None` (the frame is invalid) otherwise.
pub(crate) fn replacement_time() -> Option<Timestamp> {
    let (received_at, _) = REPAIR.get()?;
    REPAIR.set(Some((received_at, true)));
    Some(received_at)
}
