//! The upstream half of the HTTP transports: frames `POST`ed to the connection's URL in order,
//! one request at a time, with whatever queued meanwhile sent together as a JSON array.

use crate::transport::{EventSink, TransportEvent};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wirechat_protocol::close_code;

/// Frames waiting to be posted, and the one request in flight.
pub struct Upstream {
    /// Where frames go; `None` until the server named the connection.
    url: RefCell<Option<String>>,
    queue: RefCell<Vec<String>>,
    /// Bytes queued or in flight, for [`crate::transport::Connection::buffered_amount`].
    pending_bytes: Cell<u32>,
    posting: Cell<bool>,
    /// The connection ended: nothing more goes out.
    ended: Cell<bool>,
    /// Told when a post fails: the connection is then gone.
    on_failure: EventSink,
}

impl Upstream {
    /// An upstream with no URL yet; a failed post is reported `Closed` (1006) to `on_failure`.
    pub fn new(on_failure: EventSink) -> Rc<Self> {
        Rc::new(Self {
            url: RefCell::new(None),
            queue: RefCell::new(Vec::new()),
            pending_bytes: Cell::new(0),
            posting: Cell::new(false),
            ended: Cell::new(false),
            on_failure,
        })
    }

    /// The connection's URL is known: what queued before goes out now.
    pub fn start(self: &Rc<Self>, url: String) {
        *self.url.borrow_mut() = Some(url);
        self.pump();
    }

    /// Queues `text`, and posts it unless a request is in flight (it then goes with the next).
    pub fn send(self: &Rc<Self>, text: &str) {
        if self.ended.get() {
            return;
        }
        self.queue.borrow_mut().push(text.to_owned());
        self.pending_bytes
            .set(self.pending_bytes.get().saturating_add(byte_len(text)));
        self.pump();
    }

    /// The connection's URL, once the server named the connection.
    pub fn url(&self) -> Option<String> {
        self.url.borrow().clone()
    }

    /// Bytes not yet posted (or posted, and not yet answered).
    pub fn pending_bytes(&self) -> u32 {
        self.pending_bytes.get()
    }

    /// Stops posting; queued frames are dropped (the session's outbox resends what matters).
    pub fn end(&self) {
        self.ended.set(true);
        self.queue.borrow_mut().clear();
    }

    fn pump(self: &Rc<Self>) {
        if self.posting.get() || self.ended.get() || self.queue.borrow().is_empty() {
            return;
        }
        let Some(url) = self.url.borrow().clone() else {
            return;
        };
        self.posting.set(true);
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let batch = std::mem::take(&mut *this.queue.borrow_mut());
                if batch.is_empty() || this.ended.get() {
                    break;
                }
                let bytes: u32 = batch.iter().map(|t| byte_len(t)).sum();
                let ok = post(&url, &body_of(batch)).await;
                this.pending_bytes
                    .set(this.pending_bytes.get().saturating_sub(bytes));
                if !ok {
                    // The connection is gone (404) or unreachable: the frames that queued
                    // meanwhile go out again on the next connection, from the outbox.
                    if !this.ended.replace(true) {
                        (this.on_failure)(TransportEvent::Closed {
                            code: close_code::ABNORMAL,
                            reason: String::new(),
                        });
                    }
                    break;
                }
            }
            this.posting.set(false);
        });
    }
}

/// One frame as it is, several as a JSON array of them.
fn body_of(mut batch: Vec<String>) -> String {
    if batch.len() == 1 {
        return batch.pop().unwrap_or_default();
    }
    let mut body = String::with_capacity(batch.iter().map(|t| t.len() + 1).sum::<usize>() + 1);
    body.push('[');
    for (i, text) in batch.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(text);
    }
    body.push(']');
    body
}

/// `POST`s `body` as `text/plain` (which needs no preflight across origins), with the page's
/// cookies; whether the server took it.
pub async fn post(url: &str, body: &str) -> bool {
    let Ok(request) = gloo_net::http::Request::post(url)
        .header("Content-Type", "text/plain")
        .credentials(web_sys::RequestCredentials::Include)
        .body(body)
    else {
        return false;
    };
    request.send().await.is_ok_and(|answer| answer.ok())
}

fn byte_len(text: &str) -> u32 {
    u32::try_from(text.len()).unwrap_or(u32::MAX)
}
