//! Limits shared by the client and the reference server (sizes, the history page, the
//! largest `seq`), and the rules for room and display names.

/// Protocol default for the longest message `text`, in bytes of UTF-8.
/// A server announces its own value in [`crate::Hello::max_text`].
pub const DEFAULT_MAX_TEXT_BYTES: usize = 4000;

/// The largest frame the client will parse. History batches carry many messages, so this is
/// well above a single message, but it bounds the work one hostile frame can cause.
pub const MAX_INBOUND_FRAME_BYTES: usize = 512 * 1024;

/// The largest frame the reference server sends. History pages are cut by bytes to stay
/// under it, so every server frame fits well within [`MAX_INBOUND_FRAME_BYTES`].
pub const MAX_SERVER_FRAME_BYTES: usize = 256 * 1024;

/// Messages in a full `history` page: what clients ask for as `fetch.limit`, and the most
/// the reference server returns for one `fetch`, whatever it asks for. Pages are also cut
/// by bytes to fit [`MAX_SERVER_FRAME_BYTES`].
pub const HISTORY_PAGE_LIMIT: u32 = 200;

/// Longest room name, in bytes.
pub const MAX_ROOM_BYTES: usize = 64;

/// Longest display name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

/// Longest client-made message id, in bytes.
pub const MAX_ID_BYTES: usize = 64;

/// Longest message `text` any receiver accepts, in bytes of UTF-8, whatever a server
/// announces in [`crate::Hello::max_text`]: sixteen times the default, and well under a frame.
pub const MAX_TEXT_BYTES_LIMIT: usize = 64 * 1024;

/// Largest `seq` (and `after`, `before`, `latest`, and the request id `req`): 2⁵³ − 1, the
/// largest integer every JSON reader holds exactly (JavaScript numbers are doubles).
/// Receivers add one to a seq, which cannot overflow below this bound.
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// Longest `epoch`, server name, feature name, error code and other short labels, in bytes.
pub const MAX_LABEL_BYTES: usize = 256;

/// Longest human-readable `error.message`, in bytes.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 1024;

/// Most feature names a `hello` may list.
pub const MAX_FEATURES: usize = 64;

/// Most names a `presence` list carries; longer lists are cut to this and say `count`.
pub const MAX_PRESENCE_USERS: usize = 1000;

/// Longest wait a `rate_limited` error may ask for, in milliseconds (one hour); longer
/// values are read as this.
pub const MAX_RETRY_AFTER_MS: u64 = 60 * 60 * 1000;

/// Longest `auth.token`, in bytes. Signed tokens with a few claims are well under 1 KiB;
/// this leaves room for long room lists and RSA signatures.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Longest user id (`uid`, a token's `sub`), in bytes.
pub const MAX_UID_BYTES: usize = 128;

/// The room used when neither the configuration nor the URL names one.
pub const DEFAULT_ROOM: &str = "lobby";

/// The WebSocket subprotocol the reference server selects when a client offers it.
pub const SUBPROTOCOL: &str = "chat";

/// Why a room or display name is refused. The UI words it in the reader's language; the
/// wire and logs use [`LabelProblem::sentence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelProblem {
    /// Empty, or only whitespace.
    Empty,
    /// Longer than `max` bytes of UTF-8.
    TooLong {
        /// The most bytes allowed.
        max: usize,
    },
    /// Whitespace at the start or the end.
    EdgeSpace,
    /// A control character somewhere.
    Control,
    /// A character that makes the name look like another one (bidi control, invisible
    /// character, stray zero width joiner).
    Invisible(char),
}

impl LabelProblem {
    /// The problem as an English sentence about "the `what`" (`"room name"`, `"name"`).
    pub fn sentence(self, what: &str) -> String {
        match self {
            Self::Empty => format!("The {what} is empty."),
            Self::TooLong { max } => format!("The {what} is longer than {max} bytes."),
            Self::EdgeSpace => format!("The {what} starts or ends with a space."),
            Self::Control => format!("The {what} contains a control character."),
            Self::Invisible(c) => format!(
                "The {what} contains the invisible character U+{:04X}.",
                u32::from(c)
            ),
        }
    }
}

/// Checks a room name: 1 to [`MAX_ROOM_BYTES`] bytes, no control characters, no whitespace at
/// either end, and nothing that makes it look like another name: no bidirectional controls,
/// no invisible characters, and zero width joiners only between letters of the scripts and
/// emoji that use them.
pub fn check_room_name(room: &str) -> Result<(), LabelProblem> {
    check_label(room, MAX_ROOM_BYTES)
}

/// Checks a display name with the same rules as [`check_room_name`].
pub fn check_display_name(name: &str) -> Result<(), LabelProblem> {
    check_label(name, MAX_NAME_BYTES)
}

/// [`check_room_name`], with the problem as an English sentence (for `error` frames).
pub fn validate_room(room: &str) -> Result<(), String> {
    check_room_name(room).map_err(|p| p.sentence("room name"))
}

/// Checks a user id: 1 to [`MAX_UID_BYTES`] bytes of printable ASCII without spaces, so that
/// an id can never look like another one (ids are compared, not read).
pub fn validate_uid(uid: &str) -> Result<(), String> {
    if uid.is_empty() || uid.len() > MAX_UID_BYTES {
        return Err(format!("A user id is 1 to {MAX_UID_BYTES} bytes long."));
    }
    if !uid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("A user id is printable ASCII without spaces.".to_owned());
    }
    Ok(())
}

/// [`check_display_name`], with the problem as an English sentence (for `error` frames).
pub fn validate_name(name: &str) -> Result<(), String> {
    check_display_name(name).map_err(|p| p.sentence("name"))
}

fn check_label(value: &str, max: usize) -> Result<(), LabelProblem> {
    if value.trim().is_empty() {
        return Err(LabelProblem::Empty);
    }
    if value.len() > max {
        return Err(LabelProblem::TooLong { max });
    }
    if value.trim() != value {
        return Err(LabelProblem::EdgeSpace);
    }
    if value.chars().any(char::is_control) {
        return Err(LabelProblem::Control);
    }
    if let Some(c) = crate::invisible::first_deceptive(value) {
        return Err(LabelProblem::Invisible(c));
    }
    Ok(())
}
