//! Sync: bringing each joined room up to date with the server. What a `join` asks for,
//! which `history` answers what (a join, a gap fetch, an older page), and the server epoch
//! that room cursors belong to. Its state is [`HistorySync`] for the session and
//! [`RoomSync`] for each room.

use super::{Command, ServerMode, Session};
use wirechat_protocol::{encode, feature, Fetch, Frame, Hello, History, Join, HISTORY_PAGE_LIMIT};

/// What the session knows about the server's numbering.
#[derive(Debug, Default)]
pub(super) struct HistorySync {
    /// Epoch of the server whose seqs the room cursors hold.
    pub epoch: Option<String>,
    /// Grows whenever the server renumbers; seqs from older eras are not compared.
    pub era: u32,
}

/// The requests in flight for one room.
#[derive(Debug, Default)]
pub(super) struct RoomSync {
    /// The `after` of the gap fetch in flight, if any.
    pub gap_fetch: Option<u64>,
    /// The `before` of the older-history fetch in flight, if any.
    pub older_fetch: Option<u64>,
    /// The join sent on this socket has not been answered yet.
    pub awaiting_join_reply: bool,
}

impl Session {
    /// Whether the server keeps history (so older messages can be loaded).
    pub fn has_history(&self) -> bool {
        matches!(&self.mode, ServerMode::Full(h) if h.has(feature::HISTORY))
    }

    /// Whether older history of `room` is being fetched.
    pub fn loading_older(&self, room: &str) -> bool {
        self.rooms
            .get(room)
            .is_some_and(|r| r.sync.older_fetch.is_some())
    }

    pub(super) fn join_frame(&self, room: &str) -> String {
        let after = self.rooms.get(room).and_then(|r| r.log.resume_after());
        encode(&Frame::Join(Join {
            room: room.to_owned(),
            name: self.config.name.clone(),
            after: after.filter(|_| self.sync.epoch.is_some()),
            epoch: self.sync.epoch.clone().filter(|_| after.is_some()),
            // Joins go out before the `hello` arrives, so they ask for changes unless this
            // server already said it cannot send them; servers without the feature ignore
            // the field and keep sending full lists.
            deltas: !matches!(&self.mode, ServerMode::Full(h) if !h.has(feature::PRESENCE_DELTAS)),
            req: None,
        }))
    }

    pub(super) fn load_older(&mut self, out: &mut Vec<Command>) {
        let room = self.current_room.clone();
        if !self.has_history() || !self.link.is_open() || self.loading_older(&room) {
            return;
        }
        let era = self.sync.era;
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        let log = &joined.log;
        let Some(before) = log.oldest_seq(era).filter(|_| log.more_before) else {
            return;
        };
        joined.sync.older_fetch = Some(before);
        out.push(Command::Send(encode(&Frame::Fetch(Fetch {
            room,
            before: Some(before),
            after: None,
            // As much as the reference server gives in one page: fewer round trips when a
            // reader scrolls far back.
            limit: Some(HISTORY_PAGE_LIMIT),
            req: None,
        }))));
        self.touch();
    }

    pub(super) fn on_history(&mut self, history: History, out: &mut Vec<Command>) {
        let room = history.room.clone();
        let newest = history.msgs.iter().filter_map(|m| m.seq).max();
        // Older history answers a `fetch` with `before`: all of it lies below what was asked.
        let Some(joined) = self.rooms.get(&room) else {
            return;
        };
        if let Some(before) = joined.sync.older_fetch {
            if newest.is_none_or(|n| n < before) && !joined.sync.awaiting_join_reply {
                for msg in history.msgs {
                    self.on_message(msg);
                }
                if let Some(joined) = self.rooms.get_mut(&room) {
                    joined.sync.older_fetch = None;
                    joined.log.more_before = history.more;
                }
                self.touch();
                return;
            }
        }
        let page_len = history.msgs.len();
        for msg in history.msgs {
            self.on_message(msg);
        }
        let Some(joined) = self.rooms.get_mut(&room) else {
            return;
        };
        let join_reply = std::mem::take(&mut joined.sync.awaiting_join_reply);
        let asked = joined.sync.gap_fetch.take();
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
                    joined.sync.gap_fetch = Some(after);
                    out.push(fetch_after(&room, after));
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
                for joined in self.rooms.values_mut() {
                    joined.log.reset_cursor();
                }
            }
            self.sync.epoch = Some(hello.epoch.clone());
        }
        self.link.attempt = 0;
        self.mode = ServerMode::Full(hello);
        self.touch();
    }

    pub(super) fn fetch_gap(&mut self, room: &str, out: &mut Vec<Command>) {
        let history = matches!(&self.mode, ServerMode::Full(h) if h.has(feature::HISTORY));
        if !history {
            return;
        }
        let Some(joined) = self.rooms.get_mut(room) else {
            return;
        };
        let Some(after) = joined.log.gap_after() else {
            return;
        };
        if joined.sync.gap_fetch != Some(after) {
            joined.sync.gap_fetch = Some(after);
            out.push(fetch_after(room, after));
        }
    }
}

/// `fetch` for what follows `after`, as much as servers usually allow in one page.
fn fetch_after(room: &str, after: u64) -> Command {
    Command::Send(encode(&Frame::Fetch(Fetch {
        room: room.to_owned(),
        before: None,
        after: Some(after),
        limit: Some(HISTORY_PAGE_LIMIT),
        req: None,
    })))
}
