//! Link figures: what the link carried and how it behaved, for the connection inspector.
//! Counted here, in the core, so that `cargo test` checks them without a browser.

use super::Command;

/// How many closes [`LinkFigures::closes`] keeps.
pub const CLOSES_KEPT: usize = 5;

/// One close of the link, as the glue reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenClose {
    /// The close code.
    pub code: u16,
    /// The reason given with it ("" for none).
    pub reason: String,
}

/// Frames, bytes, reconnects, round trips and recent closes of the link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkFigures {
    /// Text frames received.
    pub frames_in: u64,
    /// Text frames sent.
    pub frames_out: u64,
    /// Bytes of the text frames received.
    pub bytes_in: u64,
    /// Bytes of the text frames sent.
    pub bytes_out: u64,
    /// Connections opened after the first.
    pub reconnects: u64,
    /// The last round trip measured by a `ping` and its `pong`, in ms.
    pub rtt_ms: Option<u64>,
    /// The round trip smoothed over the pongs (RFC 6298's 7/8 old + 1/8 new), in ms.
    pub smoothed_rtt_ms: Option<u64>,
    /// The last closes, newest first, at most [`CLOSES_KEPT`].
    pub closes: Vec<SeenClose>,
    /// Whether a connection has opened before: the next one is a reconnect.
    opened_before: bool,
    /// The `ts` of the last ping sent; only a pong that echoes it is measured, so a peer
    /// cannot make up a round trip.
    ping_ts: Option<u64>,
    /// Moves with every change of the figures.
    revision: u64,
}

impl LinkFigures {
    /// A number that moves whenever the figures change: a view compares it instead of the
    /// figures, and copies nothing when it has not moved.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub(super) fn received(&mut self, text: &str) {
        self.frames_in += 1;
        self.bytes_in += text.len() as u64;
        self.revision += 1;
    }

    // Called after every input: one copy, not one inlined into each caller.
    #[inline(never)]
    pub(super) fn sent(&mut self, commands: &[Command]) {
        for command in commands {
            if let Command::Send(text) = command {
                self.frames_out += 1;
                self.bytes_out += text.len() as u64;
                self.revision += 1;
            }
        }
    }

    pub(super) fn opened(&mut self) {
        self.reconnects += u64::from(self.opened_before);
        self.opened_before = true;
        self.revision += 1;
    }

    pub(super) fn closed(&mut self, code: u16, reason: String) {
        self.closes.insert(0, SeenClose { code, reason });
        self.closes.truncate(CLOSES_KEPT);
        self.revision += 1;
    }

    pub(super) fn ping_sent(&mut self, ts: u64) {
        self.ping_ts = Some(ts);
    }

    pub(super) fn pong(&mut self, now: u64, ts: Option<u64>) {
        let Some(sent) = self.ping_ts.filter(|sent| ts == Some(*sent)) else {
            return;
        };
        self.ping_ts = None;
        self.revision += 1;
        let rtt = now.saturating_sub(sent);
        self.rtt_ms = Some(rtt);
        self.smoothed_rtt_ms = Some(match self.smoothed_rtt_ms {
            Some(smoothed) => (smoothed * 7 + rtt) / 8,
            None => rtt,
        });
    }
}
