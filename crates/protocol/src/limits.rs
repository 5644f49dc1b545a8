//! Size limits shared by the client and the reference server.

/// Protocol default for the longest message `text`, in bytes of UTF-8.
/// A server announces its own value in [`crate::Hello::max_text`].
pub const DEFAULT_MAX_TEXT_BYTES: usize = 4000;

/// The largest frame the client will parse. History batches carry many messages, so this is
/// well above a single message, but it bounds the work one hostile frame can cause.
pub const MAX_INBOUND_FRAME_BYTES: usize = 512 * 1024;

/// The largest frame the reference server sends. History pages are cut by bytes to stay
/// under it, so every server frame fits well within [`MAX_INBOUND_FRAME_BYTES`].
pub const MAX_SERVER_FRAME_BYTES: usize = 256 * 1024;

/// Longest room name, in bytes.
pub const MAX_ROOM_BYTES: usize = 64;

/// Longest display name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

/// Longest client-made message id, in bytes.
pub const MAX_ID_BYTES: usize = 64;

/// The room used when neither the configuration nor the URL names one.
pub const DEFAULT_ROOM: &str = "lobby";

/// The WebSocket subprotocol the reference server selects when a client offers it.
pub const SUBPROTOCOL: &str = "chat";

/// Checks a room name: 1 to [`MAX_ROOM_BYTES`] bytes, no control characters or whitespace at
/// either end. Returns a sentence a user can read when the name is refused.
pub fn validate_room(room: &str) -> Result<(), String> {
    validate_label("room name", room, MAX_ROOM_BYTES)
}

/// Checks a display name with the same rules as [`validate_room`].
pub fn validate_name(name: &str) -> Result<(), String> {
    validate_label("name", name, MAX_NAME_BYTES)
}

fn validate_label(what: &str, value: &str, max: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("The {what} is empty."));
    }
    if value.len() > max {
        return Err(format!("The {what} is longer than {max} bytes."));
    }
    if value.trim() != value {
        return Err(format!("The {what} starts or ends with a space."));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("The {what} contains a control character."));
    }
    Ok(())
}
