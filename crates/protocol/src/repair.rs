//! The one repair made before the frame types see a frame: a message time that is a number
//! but no [`Timestamp`] becomes the time of arrival, so a sender's broken clock costs the
//! reader the sender's time, not the message.

use crate::time::is_unrepresentable_time;
use crate::{Frame, Timestamp};
use serde_json::Value;

/// `text` as a frame with every unrepresentable message time replaced by `received_at`, or
/// `None` when there was none to replace or the frame is still invalid.
pub(crate) fn times(text: &str, received_at: Timestamp) -> Option<Frame> {
    let mut value: Value = serde_json::from_str(text).ok()?;
    let repaired = match value.get("type").and_then(Value::as_str) {
        Some("msg") => repair_time(&mut value, received_at),
        Some("history") => value
            .get_mut("msgs")
            .and_then(Value::as_array_mut)
            .map(|msgs| {
                msgs.iter_mut()
                    .fold(false, |any, msg| repair_time(msg, received_at) | any)
            })
            .unwrap_or(false),
        _ => false,
    };
    if !repaired {
        return None;
    }
    // Back through the text decoder rather than `from_value`: a second copy of every frame
    // type's decoder, specialised for `Value`, cost the wasm several KiB.
    crate::parse(&serde_json::to_string(&value).ok()?).ok()
}

fn repair_time(msg: &mut Value, received_at: Timestamp) -> bool {
    match msg.get_mut("ts") {
        Some(ts) if is_unrepresentable_time(ts) => {
            *ts = Value::from(received_at.as_millis());
            true
        }
        _ => false,
    }
}
