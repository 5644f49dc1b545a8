//! The sending side of a connection, which rooms queue frames for.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::ws::Message;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};
use wirechat_protocol::{close_code, encode, Frame};

/// Identifies one connection for as long as the process runs.
pub type ConnId = u64;

/// The sending side of one connection, shared by every room it is in.
#[derive(Debug, Clone)]
pub struct Peer {
    id: ConnId,
    outbox: mpsc::Sender<Message>,
    close: watch::Sender<Option<u16>>,
    /// Set once the connection has left every room for good.
    gone: Arc<AtomicBool>,
}

/// What the connection's writer reads: the queued frames and the close code, once one is
/// asked for.
#[derive(Debug)]
pub struct PeerInbox {
    /// Frames in the order they were queued.
    pub frames: mpsc::Receiver<Message>,
    /// `Some(code)` once someone asked for the socket to be closed.
    pub close: watch::Receiver<Option<u16>>,
}

impl Peer {
    /// A peer whose queue holds `queue_len` frames (at least one).
    pub fn new(id: ConnId, queue_len: usize) -> (Self, PeerInbox) {
        let (outbox, frames) = mpsc::channel(queue_len.max(1));
        let (close, close_rx) = watch::channel(None);
        let peer = Self {
            id,
            outbox,
            close,
            gone: Arc::default(),
        };
        (
            peer,
            PeerInbox {
                frames,
                close: close_rx,
            },
        )
    }

    /// This connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// Marks the connection as ended, after which no room admits it again.
    pub fn set_gone(&self) {
        // Relaxed: the hub sets and reads it under its membership lock, which orders both.
        self.gone.store(true, Ordering::Relaxed);
    }

    /// Whether [`set_gone`](Self::set_gone) was called.
    pub fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Relaxed)
    }

    /// Queues a frame without waiting. A full queue means the client reads slower than the
    /// room talks: it is closed rather than let it hold up everyone else.
    pub fn deliver(&self, message: Message) {
        if let Err(TrySendError::Full(_)) = self.outbox.try_send(message) {
            self.close(close_code::SLOW_CONSUMER);
        }
    }

    /// Queues a protocol frame.
    pub fn send(&self, frame: &Frame) {
        self.deliver(text(frame));
    }

    /// Asks the writer to close the socket with `code`; the first code asked for wins.
    pub fn close(&self, code: u16) {
        self.close.send_if_modified(|current| {
            let first = current.is_none();
            if first {
                *current = Some(code);
            }
            first
        });
    }
}

/// One encoded frame, ready to queue for any number of peers (cloning it shares the bytes).
pub fn text(frame: &Frame) -> Message {
    Message::Text(encode(frame).into())
}
