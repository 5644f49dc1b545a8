//! Sync: bringing each joined room up to date with the server. What a `join` asks for,
//! which `history` answers what (a join, a gap fetch, an older page), and the server epoch
//! that room cursors belong to. Its state is [`HistorySync`] for the session and
//! [`RoomSync`] for each room.
//!
//! Every `join` and `fetch` carries a request id (`req`), and servers echo it in the
//! `history` that answers, so an answer is matched to its request exactly. Servers that
//! predate request ids echo none; their answers are matched by room and by what they hold,
//! as [`RoomSync::settle`] describes.

use super::{Command, ServerMode, Session};
use wirechat_protocol::{
    encode, feature, Fetch, Frame, Hello, History, Join, HISTORY_PAGE_LIMIT, MAX_SEQ,
};

/// What the session knows about the server's numbering, and its own request ids.
#[derive(Debug, Default)]
pub(super) struct HistorySync {
    /// Epoch of the server whose seqs the room cursors hold.
    pub epoch: Option<String>,
    /// Grows whenever the server renumbers; seqs from older eras are not compared.
    pub era: u32,
    /// The request id the next `join` or `fetch` carries.
    next_req: u64,
}

impl HistorySync {
    /// A fresh request id (a counter, within the range every JSON reader holds).
    pub(super) fn take_req(&mut self) -> u64 {
        let req = self.next_req;
        self.next_req = (req + 1) & MAX_SEQ;
        req
    }
}

/// A `fetch` waiting for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct InFlight {
    /// The seq it asked from: `after` for a gap, `before` for an older page.
    pub from: u64,
    /// The request id it carried.
    pub req: u64,
}

/// The requests in flight for one room.
#[derive(Debug, Default)]
pub(super) struct RoomSync {
    /// The request id of the join sent on this socket, until it is answered.
    pub join: Option<u64>,
    /// Whether the join sent on this socket was answered: the room's newest page is held.
    pub joined: bool,
    /// The gap fetch in flight, if any.
    pub gap_fetch: Option<InFlight>,
    /// The older-history fetch in flight, if any.
    pub older_fetch: Option<InFlight>,
}

/// Which of a room's requests a `history` page answered.
#[derive(Debug, Default, PartialEq, Eq)]
struct Answered {
    /// The join.
    join: bool,
    /// The gap fetch, with the `after` it asked for.
    gap: Option<u64>,
    /// The older-history fetch.
    older: bool,
}

impl RoomSync {
    /// A new socket: answers to what was asked on the old one will never come.
    pub fn socket_opened(&mut self) {
        *self = Self::default();
    }

    /// Takes the requests a `history` page answers off the list. A page that echoes `req`
    /// answers the request with that id, or none still in flight (then it only adds
    /// messages). A page without `req` comes from a server that predates request ids, and
    /// is matched as such servers allow: an older page lies wholly below what it asked
    /// for; any other page answers both the join and the gap fetch in flight.
    fn settle(&mut self, req: Option<u64>, newest: Option<u64>) -> Answered {
        let Some(req) = req else {
            if let Some(older) = self.older_fetch {
                if newest.is_none_or(|n| n < older.from) && self.join.is_none() {
                    self.older_fetch = None;
                    return Answered {
                        older: true,
                        ..Answered::default()
                    };
                }
            }
            let join = self.join.take().is_some();
            self.joined |= join;
            return Answered {
                join,
                gap: self.gap_fetch.take().map(|f| f.from),
                older: false,
            };
        };
        let mut answered = Answered::default();
        if self.join == Some(req) {
            self.join = None;
            self.joined = true;
            answered.join = true;
        }
        if let Some(gap) = self.gap_fetch.filter(|f| f.req == req) {
            self.gap_fetch = None;
            answered.gap = Some(gap.from);
        }
        if self.older_fetch.is_some_and(|f| f.req == req) {
            self.older_fetch = None;
            answered.older = true;
        }
        answered
    }
}

impl Session {
    /// Whether the server keeps history (so older messages can be loaded).
    pub fn has_history(&self) -> bool {
        matches!(&self.mode, ServerMode::Full(h) if h.has(feature::HISTORY))
    }

    /// Whether the server answered the join of `room` on the current socket, so what the
    /// room holds is up to date and older pages can be asked for.
    pub fn synced(&self, room: &str) -> bool {
        self.rooms.get(room).is_some_and(|r| r.sync.joined)
    }

    /// Whether older history of `room` is being fetched.
    pub fn loading_older(&self, room: &str) -> bool {
        self.rooms
            .get(room)
            .is_some_and(|r| r.sync.older_fetch.is_some())
    }

    /// Sends the `join` of `room` (joined) and remembers it until it is answered.
    pub(super) fn send_join(&mut self, room: &str, out: &mut Vec<Command>) {
        let req = self.sync.take_req();
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        joined.sync.join = Some(req);
        let after = joined.log.resume_after();
        out.push(Command::Send(encode(&Frame::Join(Join {
            room: room.to_owned(),
            name: self.config.name.clone(),
            after: after.filter(|_| self.sync.epoch.is_some()),
            epoch: self.sync.epoch.clone().filter(|_| after.is_some()),
            // Joins go out before the `hello` arrives, so they ask for changes unless this
            // server already said it cannot send them; servers without the feature ignore
            // the field and keep sending full lists.
            deltas: !matches!(&self.mode, ServerMode::Full(h) if !h.has(feature::PRESENCE_DELTAS)),
            req: Some(req),
        }))));
    }

    pub(super) fn load_older(&mut self, out: &mut Vec<Command>) {
        let room = self.current_room.clone();
        if !self.has_history() || !self.link.is_open() || self.loading_older(&room) {
            return;
        }
        let era = self.sync.era;
        let req = self.sync.take_req();
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        let log = &joined.log;
        let Some(before) = log.oldest_seq(era).filter(|_| log.more_before) else {
            return;
        };
        joined.sync.older_fetch = Some(InFlight { from: before, req });
        out.push(Command::Send(encode(&Frame::Fetch(Fetch {
            room,
            before: Some(before),
            after: None,
            // As much as the reference server gives in one page: fewer round trips when a
            // reader scrolls far back.
            limit: Some(HISTORY_PAGE_LIMIT),
            req: Some(req),
        }))));
        self.touch();
    }

    pub(super) fn on_history(&mut self, now: u64, history: History, out: &mut Vec<Command>) {
        let room = history.room.clone();
        let newest = history.msgs.iter().filter_map(|m| m.seq).max();
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        let answered = joined.sync.settle(history.req, newest);
        if answered.join && history.name.is_some() {
            joined.name = history.name.clone();
        }
        if let Some(read) = history.read.filter(|_| answered.join) {
            self.on_read_from_server(&room, read, Some(history.latest.or(newest)));
        }
        if answered.join {
            self.resend_read_position(now, &room);
        }
        // History holds each message as it is now: edited, deleted, reacted to.
        self.take_states(&room, &history.msgs);
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        if answered.older {
            joined.log.more_before = history.more;
            self.store_page(&room, history.msgs);
            self.touch();
            self.continue_reveal(&room, out);
            return;
        }
        let page_len = history.msgs.len();
        for msg in history.msgs {
            self.on_message(msg);
        }
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        let join_reply = answered.join;
        let asked = answered.gap;
        let log = &mut joined.log;
        let resumed = join_reply && log.has_baseline();
        if join_reply && !log.has_baseline() {
            // Only a fresh join's page says whether older history exists before this client's
            // first message; resume and gap pages start later.
            log.more_before = history.more;
            // The first history after a fresh join says where the room stands: what it
            // holds is the baseline, and only seqs past it can be missing.
            log.set_baseline(newest.or(history.latest).unwrap_or(0));
        }
        if asked.is_some() && log.gap_after() == asked {
            // The answer to a gap fetch left the gap as it was: the server no longer has
            // those messages, and asking again would loop forever.
            log.skip_gap();
        }
        match history.latest {
            Some(latest) => log.note_latest(latest),
            // A server that does not say where the room stands may have cut the page short:
            // ask for what follows until a page comes back empty.
            None if page_len > 0 && (resumed || asked.is_some()) => {
                if let Some(after) = log.resume_after() {
                    self.send_gap_fetch(&room, after, out);
                }
            }
            None => {}
        }
        self.fetch_gap(&room, out);
    }

    pub(super) fn on_hello(&mut self, hello: Hello) {
        if self.sync.epoch.as_deref() != Some(hello.epoch.as_str()) {
            if self.sync.epoch.is_some() {
                // The server renumbered: old cursors mean nothing to it now.
                self.sync.era += 1;
                for (_, joined) in self.rooms.iter_mut() {
                    joined.log.reset_cursor();
                }
            }
            self.sync.epoch = Some(hello.epoch.clone());
        }
        self.mode = ServerMode::Full(hello);
        self.touch();
    }

    pub(super) fn fetch_gap(&mut self, room: &str, out: &mut Vec<Command>) {
        let history = matches!(&self.mode, ServerMode::Full(h) if h.has(feature::HISTORY));
        if !history {
            return;
        }
        let Some(joined) = self.rooms.get(room) else {
            return;
        };
        let Some(after) = joined.log.gap_after() else {
            return;
        };
        if joined.sync.gap_fetch.map(|f| f.from) != Some(after) {
            self.send_gap_fetch(room, after, out);
        }
    }

    /// Sends a `fetch` for what follows `after` in `room`, as much as servers usually allow
    /// in one page, and remembers it until it is answered.
    fn send_gap_fetch(&mut self, room: &str, after: u64, out: &mut Vec<Command>) {
        let req = self.sync.take_req();
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        joined.sync.gap_fetch = Some(InFlight { from: after, req });
        out.push(Command::Send(encode(&Frame::Fetch(Fetch {
            room: room.to_owned(),
            before: None,
            after: Some(after),
            limit: Some(HISTORY_PAGE_LIMIT),
            req: Some(req),
        }))));
    }
}
