//! `error` frames and what each is about, so a client can tell which of its frames the
//! server refused: a message by its `id`, a `join` or `fetch` by its `req`.

use wirechat_protocol::{ErrorFrame, Frame};

/// The frame an `error` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Regarding {
    /// The id of a refused `msg`.
    id: Option<String>,
    /// The request id of a refused `join` or `fetch`, when it carried one.
    req: Option<u64>,
}

impl Regarding {
    /// About no frame in particular (an unreadable one, a `leave` or `typing`).
    pub(crate) const NOTHING: Self = Self {
        id: None,
        req: None,
    };

    /// About the message with this id.
    pub(crate) fn message(id: String) -> Self {
        Self {
            id: Some(id),
            req: None,
        }
    }

    /// About the `join` or `fetch` with this request id.
    pub(crate) fn request(req: Option<u64>) -> Self {
        Self { id: None, req }
    }

    /// About `frame`, whatever kind it is.
    pub(crate) fn frame(frame: &Frame) -> Self {
        match frame {
            Frame::Msg(msg) => Self::message(msg.id.clone()),
            Frame::Join(join) => Self::request(join.req),
            Frame::Fetch(fetch) => Self::request(fetch.req),
            Frame::Search(search) => Self::request(search.req),
            Frame::Edit(edit) => Self::message(edit.id.clone()),
            Frame::Delete(delete) => Self::message(delete.id.clone()),
            Frame::React(react) => Self::message(react.id.clone()),
            _ => Self::NOTHING,
        }
    }

    /// The `error` frame refusing it with `code`, a sentence for its reader, and for a rate
    /// limit how many milliseconds to wait.
    pub(crate) fn error(self, code: &str, message: String, retry_after: Option<u64>) -> Frame {
        Frame::Error(ErrorFrame {
            code: code.to_owned(),
            message,
            id: self.id,
            retry_after,
            req: self.req,
        })
    }
}
