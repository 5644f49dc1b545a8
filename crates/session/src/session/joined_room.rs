//! Everything the session keeps about one joined room, in one place: joining a room is one
//! insertion and leaving it is one removal.

use crate::people::RoomPeople;
use crate::store::RoomLog;

/// The state of one room this client has joined.
#[derive(Debug, Default)]
pub(super) struct JoinedRoom {
    /// Its messages.
    pub log: RoomLog,
    /// Who is online and who is typing.
    pub people: RoomPeople,
    /// Live messages that arrived while another room was shown.
    pub unread: u32,
    /// When this client last sent `typing` here.
    pub typing_sent: Option<u64>,
    /// The `after` of the gap fetch in flight, if any.
    pub gap_fetch: Option<u64>,
    /// The `before` of the older-history fetch in flight, if any.
    pub older_fetch: Option<u64>,
    /// The join sent on this socket has not been answered yet.
    pub awaiting_join_reply: bool,
}
