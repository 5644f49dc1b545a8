//! How far the user has read each room (PROTOCOL.md, `read`). The page reports the newest
//! message the reader has seen; the session keeps the highest, and on servers that store
//! positions sends it as `read` once the reader has paused for [`READ_AFTER_MS`], only ever
//! forward. The server's position arrives with the answer to a `join` and, from the user's
//! other tabs and devices, as live `read` frames. On relays the position stays on the device.

use super::{Command, Session};
use wirechat_protocol::{encode, Frame, Read};

/// How long the reader must stay before the position goes out: scrolling through a room
/// sends one `read`, not one per message.
pub const READ_AFTER_MS: u64 = 2_000;

/// One room's read position.
#[derive(Debug, Default)]
pub(super) struct ReadPosition {
    /// The highest position known: the server's, another device's or this reader's.
    pub kept: Option<u64>,
    /// The server's position when this client first joined the room: where the unread
    /// part began, which stays put while the reader reads on.
    pub at_join: Option<u64>,
    /// The room's newest `seq` in that same answer: messages past `at_join` up to it were
    /// unread when the room was opened; later ones arrived while it was open.
    pub latest_at_join: Option<u64>,
    /// The highest position sent to the server.
    sent: Option<u64>,
    /// When to send the position, once the reader has paused.
    pub due: Option<u64>,
}

impl ReadPosition {
    /// Raises the position to `seq`; returns whether it moved.
    fn raise(&mut self, seq: u64) -> bool {
        if self.kept.is_some_and(|kept| kept >= seq) {
            return false;
        }
        self.kept = Some(seq);
        true
    }
}

impl Session {
    /// How far the user has read `room`: the highest `seq` read here, on another device,
    /// or as the server last said.
    pub fn read_position(&self, room: &str) -> Option<u64> {
        self.rooms.get(room)?.read.kept
    }

    /// The position the server had for `room` when this client joined it: messages after it
    /// were unread then.
    pub fn read_at_join(&self, room: &str) -> Option<u64> {
        self.rooms.get(room)?.read.at_join
    }

    /// The messages that were unread when this client joined `room`: those numbered past
    /// the first bound and up to the second. `None` when the server kept no position, or
    /// did not say where the room stood.
    pub fn unread_at_join(&self, room: &str) -> Option<(u64, u64)> {
        let read = &self.rooms.get(room)?.read;
        Some((read.at_join?, read.latest_at_join?))
    }

    /// The reader has seen `room` up to `seq` at `now`.
    pub(super) fn on_seen(&mut self, now: u64, room: &str, seq: u64) {
        let stores = self.trusts_actions();
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        if !joined.read.raise(seq) {
            return;
        }
        if stores {
            joined.read.due.get_or_insert(now + READ_AFTER_MS);
        }
        self.touch();
    }

    /// The server's position for `room`: in the answer to a join (`first`, holding the
    /// room's newest `seq` that answer gave), or live from another connection of this user.
    pub(super) fn on_read_from_server(&mut self, room: &str, seq: u64, first: Option<Option<u64>>) {
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        if let Some(latest) = first.filter(|_| joined.read.at_join.is_none()) {
            joined.read.at_join = Some(seq);
            joined.read.latest_at_join = latest;
        }
        // What the server holds needs no sending again.
        joined.read.sent = Some(joined.read.sent.map_or(seq, |s| s.max(seq)));
        if joined.read.raise(seq) {
            self.touch();
        }
    }

    /// After a join was answered (a new connection, say): a position read while it could
    /// not go out, and ahead of the server's, goes out after the usual pause.
    pub(super) fn resend_read_position(&mut self, now: u64, room: &str) {
        let stores = self.trusts_actions();
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        let read = &mut joined.read;
        let ahead = read.kept.is_some_and(|k| read.sent.is_none_or(|s| s < k));
        if stores && ahead {
            read.due.get_or_insert(now + READ_AFTER_MS);
        }
    }

    /// When a read position is due to go out.
    pub(super) fn read_deadline(&self) -> Option<u64> {
        self.rooms.values().filter_map(|r| r.read.due).min()
    }

    /// Sends the positions due at `now` that are ahead of what the server has.
    pub(super) fn send_read_positions(&mut self, now: u64, out: &mut Vec<Command>) {
        let open = self.can_chat();
        for (room, joined) in self.rooms.iter_mut() {
            let read = &mut joined.read;
            if read.due.is_none_or(|due| now < due) {
                continue;
            }
            read.due = None;
            let Some(seq) = read.kept.filter(|k| read.sent.is_none_or(|s| s < *k)) else {
                continue;
            };
            // Offline, the position waits for the next one the reader reaches.
            if open {
                read.sent = Some(seq);
                out.push(Command::Send(encode(&Frame::Read(Read {
                    room: room.clone(),
                    seq,
                }))));
            }
        }
    }
}
