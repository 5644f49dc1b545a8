//! The server's clock, which stamps every message it stores.

use std::time::{SystemTime, UNIX_EPOCH};

use wirechat_protocol::{ChatMessage, Timestamp};

/// Sets `msg.ts` to now, in milliseconds since the Unix epoch: whatever the sender claimed,
/// every stored and relayed message carries the server's time.
pub(crate) fn stamp(msg: &mut ChatMessage) {
    msg.ts = Timestamp::saturating_from_millis(now_ms());
}

/// The server's time now, as every stored time is kept.
pub(crate) fn now() -> Timestamp {
    Timestamp::saturating_from_millis(now_ms())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
