//! Counters an operator reads at `/metrics`, in the Prometheus text format.
//!
//! Every counter is an atomic, so the code that counts never waits: connections call the
//! small methods here (`message_stored`, `closed`, ...) on their hot paths; what the flow
//! limits do is counted in [`FlowCounters`](crate::FlowCounters) and read in as gauges. Counters only
//! grow (a rate over them gives messages per second); gauges go up and down.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wirechat_protocol::{close_code, ChatMessage, Timestamp};

use crate::history::{
    ActionRefused, Actor, Appended, Capabilities, HistoryStore, Page, StoreError,
};

/// Close codes counted one by one; any other code is counted as `other`.
const CLOSE_CODES: [u16; 8] = [
    close_code::NORMAL,
    close_code::GOING_AWAY,
    close_code::PROTOCOL_ERROR,
    close_code::UNSUPPORTED_DATA,
    close_code::POLICY,
    close_code::TOO_BIG,
    close_code::INTERNAL_ERROR,
    close_code::SLOW_CONSUMER,
];

/// The server's counters. Cheap to share: hold it in an `Arc`.
#[derive(Debug, Default)]
pub struct Metrics {
    connections_opened: AtomicU64,
    connections_refused_full: AtomicU64,
    connections_refused_address: AtomicU64,
    hosts_refused: AtomicU64,
    messages_stored: AtomicU64,
    store_failures: AtomicU64,
    closes: [AtomicU64; CLOSE_CODES.len()],
    closes_other: AtomicU64,
    retention_deleted: AtomicU64,
}

/// Values read from elsewhere in the server when `/metrics` is asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// WebSocket connections being served.
    pub connections: usize,
    /// Rooms with at least one member.
    pub rooms: usize,
    /// Bytes of encoded frames waiting for all sockets.
    pub queued_bytes: usize,
    /// `typing` and presence frames dropped or merged for slow readers, so far.
    pub frames_dropped: u64,
    /// Frames refused with `rate_limited`, so far.
    pub rate_limited: u64,
}

impl Metrics {
    /// A WebSocket connection was opened.
    pub fn connection_opened(&self) {
        self.connections_opened.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was refused because the server was full.
    pub fn refused_full(&self) {
        self.connections_refused_full
            .fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was refused because its address had too many.
    pub fn refused_address(&self) {
        self.connections_refused_address
            .fetch_add(1, Ordering::Relaxed);
    }

    /// A request for an unknown host name was refused.
    pub fn host_refused(&self) {
        self.hosts_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A message was stored under a new seq.
    pub fn message_stored(&self) {
        self.messages_stored.fetch_add(1, Ordering::Relaxed);
    }

    /// The history store failed a call.
    pub fn store_failed(&self) {
        self.store_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was closed by the server with `code`.
    pub fn closed(&self, code: u16) {
        match CLOSE_CODES.iter().position(|&c| c == code) {
            Some(i) => self.closes[i].fetch_add(1, Ordering::Relaxed),
            None => self.closes_other.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// Retention deleted `count` messages.
    pub fn retention_deleted(&self, count: u64) {
        self.retention_deleted.fetch_add(count, Ordering::Relaxed);
    }

    /// Messages stored so far.
    pub fn messages_stored_total(&self) -> u64 {
        self.messages_stored.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every counter and of `gauges`.
    pub fn render(&self, gauges: Gauges) -> String {
        let mut out = String::new();
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        metric(
            "wirechat_connections",
            "gauge",
            "WebSocket connections being served.",
            &[("", gauges.connections as u64)],
        );
        metric(
            "wirechat_rooms",
            "gauge",
            "Rooms with at least one member.",
            &[("", gauges.rooms as u64)],
        );
        metric(
            "wirechat_connections_opened_total",
            "counter",
            "WebSocket connections opened.",
            &[("", load(&self.connections_opened))],
        );
        metric(
            "wirechat_connections_refused_total",
            "counter",
            "WebSocket handshakes refused by a connection cap.",
            &[
                (
                    "{reason=\"server_full\"}",
                    load(&self.connections_refused_full),
                ),
                (
                    "{reason=\"per_address\"}",
                    load(&self.connections_refused_address),
                ),
            ],
        );
        metric(
            "wirechat_hosts_refused_total",
            "counter",
            "Requests refused with 421 for a host name the server does not answer to.",
            &[("", load(&self.hosts_refused))],
        );
        metric(
            "wirechat_messages_stored_total",
            "counter",
            "Messages stored under a new seq.",
            &[("", load(&self.messages_stored))],
        );
        metric(
            "wirechat_store_failures_total",
            "counter",
            "History store calls that failed.",
            &[("", load(&self.store_failures))],
        );
        metric(
            "wirechat_retention_deleted_total",
            "counter",
            "Messages deleted by retention.",
            &[("", load(&self.retention_deleted))],
        );
        metric(
            "wirechat_frames_dropped_total",
            "counter",
            "Typing and presence frames dropped or merged for slow readers.",
            &[("", gauges.frames_dropped)],
        );
        metric(
            "wirechat_rate_limited_total",
            "counter",
            "Frames refused with rate_limited.",
            &[("", gauges.rate_limited)],
        );
        metric(
            "wirechat_queued_bytes",
            "gauge",
            "Bytes waiting in connection queues.",
            &[("", gauges.queued_bytes as u64)],
        );
        let labels: Vec<String> = CLOSE_CODES
            .iter()
            .map(|code| format!("{{code=\"{code}\"}}"))
            .collect();
        let mut closes: Vec<(&str, u64)> = labels
            .iter()
            .zip(&self.closes)
            .map(|(label, count)| (label.as_str(), load(count)))
            .collect();
        closes.push(("{code=\"other\"}", load(&self.closes_other)));
        metric(
            "wirechat_closes_total",
            "counter",
            "Connections the server closed, by close code.",
            &closes,
        );
        out
    }
}

/// A history store that counts what it stores and what fails in [`Metrics`].
pub(crate) struct Counted<S> {
    store: S,
    metrics: Arc<Metrics>,
}

impl<S> Counted<S> {
    pub(crate) fn new(store: S, metrics: Arc<Metrics>) -> Self {
        Self { store, metrics }
    }

    fn count<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if result.is_err() {
            self.metrics.store_failed();
        }
        result
    }
}

impl<S: HistoryStore> HistoryStore for Counted<S> {
    fn epoch(&self) -> &str {
        self.store.epoch()
    }

    fn current_epoch(&self) -> String {
        self.store.current_epoch()
    }

    fn append(&mut self, msg: ChatMessage) -> Result<Appended, StoreError> {
        let appended = self.store.append(msg);
        if let Ok(Appended::Stored(_)) = appended {
            self.metrics.message_stored();
        }
        self.count(appended)
    }

    fn recent(&self, room: &str, limit: usize) -> Result<Page, StoreError> {
        self.count(self.store.recent(room, limit))
    }

    fn after(&self, room: &str, after: u64, limit: usize) -> Result<Page, StoreError> {
        self.count(self.store.after(room, after, limit))
    }

    fn before(&self, room: &str, before: u64, limit: usize) -> Result<Page, StoreError> {
        self.count(self.store.before(room, before, limit))
    }

    fn find_by_id(&self, room: &str, id: &str) -> Result<Option<ChatMessage>, StoreError> {
        self.count(self.store.find_by_id(room, id))
    }

    fn latest(&self, room: &str) -> Result<Option<u64>, StoreError> {
        self.count(self.store.latest(room))
    }

    fn capabilities(&self) -> Capabilities {
        self.store.capabilities()
    }

    fn edit(
        &mut self,
        room: &str,
        id: &str,
        author: Actor<'_>,
        text: &str,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        self.store.edit(room, id, author, text, at)
    }

    fn delete(
        &mut self,
        room: &str,
        id: &str,
        author: Actor<'_>,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        self.store.delete(room, id, author, at)
    }

    fn react(
        &mut self,
        room: &str,
        id: &str,
        reactor: Actor<'_>,
        emoji: &str,
        on: bool,
    ) -> Result<(), ActionRefused> {
        self.store.react(room, id, reactor, emoji, on)
    }

    fn mark_read(&mut self, room: &str, uid: &str, seq: u64) -> Result<u64, ActionRefused> {
        self.store.mark_read(room, uid, seq)
    }

    fn read_position(&self, room: &str, uid: &str) -> Result<Option<u64>, StoreError> {
        self.count(self.store.read_position(room, uid))
    }

    fn search(
        &self,
        room: &str,
        query: &str,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, ActionRefused> {
        self.store.search(room, query, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_appear_in_the_text_format_with_their_labels() {
        let metrics = Metrics::default();
        metrics.message_stored();
        metrics.message_stored();
        metrics.closed(close_code::SLOW_CONSUMER);
        metrics.closed(3999);
        let text = metrics.render(Gauges {
            connections: 3,
            rooms: 1,
            queued_bytes: 60,
            frames_dropped: 5,
            rate_limited: 2,
        });
        for line in [
            "# TYPE wirechat_messages_stored_total counter",
            "wirechat_messages_stored_total 2",
            "wirechat_connections 3",
            "wirechat_rooms 1",
            "wirechat_closes_total{code=\"4000\"} 1",
            "wirechat_closes_total{code=\"other\"} 1",
            "wirechat_queued_bytes 60",
            "wirechat_frames_dropped_total 5",
            "wirechat_rate_limited_total 2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
