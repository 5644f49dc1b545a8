//! The server's clock, which stamps every message it stores.

use std::time::{SystemTime, UNIX_EPOCH};

use wirechat_protocol::{ChatMessage, Timestamp};

/// Sets `msg.ts` to now, in milliseconds since the Unix epoch: whatever the sender claimed,
/// every stored and relayed message carries the server's time.
pub(crate) fn stamp(msg: &mut ChatMessage) {
    msg.ts = Timestamp::saturating_from_millis(now_ms());
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
