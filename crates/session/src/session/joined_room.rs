//! Everything the session keeps about one joined room, in one place: joining a room is one
//! insertion and leaving it is one removal.

use super::actions::Unplaced;
use super::read_position::ReadPosition;
use super::sync::RoomSync;
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
    /// Of those, the ones that mention this user (see [`crate::mentions`]).
    pub unread_mentions: u32,
    /// When this client last sent `typing` here.
    pub typing_sent: Option<u64>,
    /// Requests for its history in flight.
    pub sync: RoomSync,
    /// The name the server gave this connection here, from its answer to the join.
    pub name: Option<String>,
    /// The server refused this user the room: it is not joined again.
    pub forbidden: bool,
    /// Received actions waiting for their message (relays only).
    pub unplaced: Unplaced,
    /// How far the user has read it.
    pub read: ReadPosition,
    /// The `seq` of an older message to load pages until it is held (see `reveal`).
    pub reveal: Option<u64>,
}
