//! Relay catch-up. A plain relay passes a frame only to the peers connected at that moment,
//! so a client that comes back after an outage asks the room what it missed (`catchup`), and
//! the peers that still have those messages answer (`missed`).
//!
//! To keep a room from answering in chorus, each peer waits a short random time before it
//! answers and leaves out whatever another peer's answer to the same request already
//! carried; when nothing is left, it stays silent.

use crate::backoff::Jitter;
use crate::store::{Delivery, Entry, RoomLog};
use litemap::LiteMap;
use std::collections::VecDeque;
use wirechat_protocol::{
    encode, Catchup, ChatMessage, Frame, Missed, MAX_CATCHUP_HAVE, MAX_CATCHUP_MSGS,
    MAX_SERVER_FRAME_BYTES,
};

/// How far before the newest message it holds a client asks from, because `ts` comes from
/// each sender's own clock and clocks disagree.
pub const CLOCK_MARGIN_MS: u64 = 120_000;

/// How long a client accepts answers to its request.
pub const ANSWER_WINDOW_MS: u64 = 10_000;

/// A peer waits at least this long before answering.
pub const ANSWER_DELAY_MIN_MS: u64 = 50;

/// ...plus a random share of this, so that usually one peer answers first and the others
/// see its answer in time to stay silent.
pub const ANSWER_DELAY_SPREAD_MS: u64 = 600;

/// A peer answers at most this many requests...
pub const ANSWERS_PER_WINDOW: usize = 6;

/// ...in this long, so a peer flooding requests cannot make the room flood answers.
pub const ANSWER_BUDGET_WINDOW_MS: u64 = 30_000;

/// How many handled request nonces are remembered, so a repeated request is not answered
/// twice.
const REMEMBERED_NONCES: usize = 64;

/// A request this client made and still accepts answers to.
#[derive(Debug, Clone)]
struct Asked {
    room: String,
    until: u64,
}

/// A peer's request this client means to answer when `due`, unless others covered it.
#[derive(Debug, Clone)]
struct PlannedAnswer {
    due: u64,
    /// What this client had for the asker when the request came, oldest first. Later
    /// messages reached the asker live.
    answer: Missed,
}

/// The catch-up state of one client: its own open requests and its planned answers.
#[derive(Debug, Clone)]
pub struct CatchUp {
    asked: LiteMap<String, Asked>,
    planned: LiteMap<String, PlannedAnswer>,
    /// Nonces already handled (answered, suppressed or refused), oldest first.
    seen: VecDeque<String>,
    /// When this client sent its recent answers, oldest first.
    answered_at: VecDeque<u64>,
    random: Jitter,
}

impl CatchUp {
    /// Empty state; `seed` drives the nonces and answer delays.
    pub fn new(seed: u64) -> Self {
        Self {
            asked: LiteMap::new(),
            planned: LiteMap::new(),
            seen: VecDeque::new(),
            answered_at: VecDeque::new(),
            random: Jitter::new(seed ^ 0x0063_6174_6368_7570),
        }
    }

    /// A `catchup` request for `room`, asked by `name` at `now`, given what `log` holds.
    pub fn request(&mut self, now: u64, room: &str, name: &str, log: &RoomLog) -> Frame {
        let nonce = format!("{:016x}{:016x}", self.random_u64(), self.random_u64() ^ now);
        self.asked.insert(
            nonce.clone(),
            Asked {
                room: room.to_owned(),
                until: now + ANSWER_WINDOW_MS,
            },
        );
        let (since, have) = what_we_have(now, log);
        Frame::Catchup(Catchup {
            room: room.to_owned(),
            from: name.to_owned(),
            nonce,
            since,
            have,
        })
    }

    /// A peer's request arrived at `now`, for a room this client has joined and shows as
    /// `log`. Plans an answer from a client named `name`, unless the request is this
    /// client's own (an echo), was handled already, the answer budget is spent, or there is
    /// nothing to tell.
    pub fn on_request(&mut self, now: u64, request: Catchup, name: &str, log: &RoomLog) {
        if self.asked.contains_key(&request.nonce)
            || self.planned.contains_key(&request.nonce)
            || self.seen.contains(&request.nonce)
        {
            return;
        }
        self.remember(request.nonce.clone());
        self.answered_at
            .retain(|t| now < t.saturating_add(ANSWER_BUDGET_WINDOW_MS));
        if self.answered_at.len() + self.planned.len() >= ANSWERS_PER_WINDOW {
            return;
        }
        let mut have: Vec<String> = request.have.into_iter().take(MAX_CATCHUP_HAVE).collect();
        have.sort();
        let answer = build_answer(
            log,
            &request.room,
            request.nonce,
            name,
            request.since,
            &have,
        );
        if answer.msgs.is_empty() {
            return;
        }
        let spread = (self.random.next_unit() * ANSWER_DELAY_SPREAD_MS as f64) as u64;
        self.planned.insert(
            answer.to.clone(),
            PlannedAnswer {
                due: now + ANSWER_DELAY_MIN_MS + spread,
                answer,
            },
        );
    }

    /// An answer arrived at `now`. Whatever it carries need not be sent again by this client;
    /// if it answers this client's own open request for that room, returns its messages of
    /// that room, oldest first, to be stored (duplicates are the store's to drop).
    pub fn on_answer(&mut self, now: u64, answer: Missed) -> Vec<ChatMessage> {
        if let Some(plan) = self.planned.get_mut(&answer.to) {
            // At most MAX_CATCHUP_MSGS on either side: a plain scan, no hash set.
            plan.answer
                .msgs
                .retain(|m| !answer.msgs.iter().any(|c| c.id == m.id));
        }
        let open = self
            .asked
            .get(&answer.to)
            .is_some_and(|a| a.room == answer.room && now < a.until);
        if !open {
            return Vec::new();
        }
        let mut msgs: Vec<ChatMessage> = answer
            .msgs
            .into_iter()
            .filter(|m| m.room == answer.room)
            .collect();
        // Stable: messages with equal `ts` keep the order the answering peer showed them in.
        // An insertion sort (there are at most MAX_CATCHUP_MSGS): `sort_by_key` would add a
        // second copy of the standard library's sort to the wasm for this one call.
        for sorted in 1..msgs.len() {
            let mut at = sorted;
            while at > 0 && msgs[at - 1].ts > msgs[at].ts {
                msgs.swap(at - 1, at);
                at -= 1;
            }
        }
        msgs
    }

    /// The answers due by `now`. Those that other peers' answers covered entirely are
    /// dropped silently.
    pub fn due_answers(&mut self, now: u64) -> Vec<Frame> {
        let due: Vec<String> = self
            .planned
            .iter()
            .filter(|(_, plan)| now >= plan.due)
            .map(|(nonce, _)| nonce.clone())
            .collect();
        let mut frames = Vec::new();
        for nonce in due {
            let Some(plan) = self.planned.remove(&nonce) else {
                continue;
            };
            if plan.answer.msgs.is_empty() {
                continue;
            }
            self.answered_at.push_back(now);
            frames.push(Frame::Missed(plan.answer));
        }
        frames
    }

    /// Forgets what is over by `now`: requests whose answer window closed.
    pub fn expire(&mut self, now: u64) {
        self.asked.retain(|_, asked| now < asked.until);
    }

    /// The link closed: planned answers can no longer go out.
    pub fn link_lost(&mut self) {
        self.planned.clear();
    }

    /// The user left `room`.
    pub fn forget_room(&mut self, room: &str) {
        self.asked.retain(|_, asked| asked.room != room);
        self.planned.retain(|_, plan| plan.answer.room != room);
    }

    /// The earliest time something here needs a tick.
    pub fn next_deadline(&self) -> Option<u64> {
        let answers = self.planned.values().map(|p| p.due);
        let windows = self.asked.values().map(|a| a.until);
        answers.chain(windows).min()
    }

    fn remember(&mut self, nonce: String) {
        if self.seen.len() >= REMEMBERED_NONCES {
            self.seen.pop_front();
        }
        self.seen.push_back(nonce);
    }

    fn random_u64(&mut self) -> u64 {
        (self.random.next_unit() * (1u64 << 53) as f64) as u64
    }
}

/// Whether an entry is something this client may pass on: a peer's message, or an own one
/// that went out (pending and failed ones are still the outbox's to send).
fn passable(entry: &Entry) -> bool {
    !matches!(entry.delivery, Some(Delivery::Pending | Delivery::Failed))
}

/// `since` and `have` of a request: from a margin before the newest message held (never
/// later than `now`, whatever a peer put in `ts`), and the newest ids held from then on.
/// A room with nothing passable in it asks for everything.
fn what_we_have(now: u64, log: &RoomLog) -> (Option<u64>, Vec<String>) {
    let Some(newest) = log
        .entries()
        .iter()
        .filter(|e| passable(e))
        .map(|e| e.msg.ts.as_millis().min(now))
        .max()
    else {
        return (None, Vec::new());
    };
    let since = newest.saturating_sub(CLOCK_MARGIN_MS);
    let have = log
        .entries()
        .iter()
        .rev()
        .filter(|e| passable(e) && e.msg.ts.as_millis() >= since)
        .take(MAX_CATCHUP_HAVE)
        .map(|e| e.msg.id.clone())
        .collect();
    (Some(since), have)
}

/// The `missed` answer from `log`: the newest passable messages at or after `since` that
/// are not `covered` (sorted), at most [`MAX_CATCHUP_MSGS`] of them and never a frame over
/// [`MAX_SERVER_FRAME_BYTES`], oldest first.
fn build_answer(
    log: &RoomLog,
    room: &str,
    to: String,
    name: &str,
    since: Option<u64>,
    covered: &[String],
) -> Missed {
    let mut answer = Missed {
        room: room.to_owned(),
        to,
        from: name.to_owned(),
        msgs: Vec::new(),
    };
    let mut bytes = encode(&Frame::Missed(answer.clone())).len();
    for entry in log.entries().iter().rev() {
        if answer.msgs.len() >= MAX_CATCHUP_MSGS {
            break;
        }
        let msg = &entry.msg;
        if !passable(entry)
            || msg.room != room
            || since.is_some_and(|s| msg.ts.as_millis() < s)
            || covered.binary_search(&msg.id).is_ok()
        {
            continue;
        }
        // A message inside the list is shorter than the same message as a frame of its
        // own (no `type` key), plus one comma: this never underestimates.
        let size = encode(&Frame::Msg(msg.clone())).len() + 1;
        if bytes + size > MAX_SERVER_FRAME_BYTES {
            break;
        }
        bytes += size;
        answer.msgs.push(msg.clone());
    }
    answer.msgs.reverse();
    answer
}

#[cfg(test)]
mod tests;
