//! HTTP long polling as a [`Transport`]: `POST /poll` opens the connection, `GET`s held by
//! the server bring the frames down (each names the cursor it has read up to), and `POST`s
//! take them up ([`Upstream`]).
//!
//! An answer lost on the way is asked for again with the same cursor, so frames arrive in
//! order, each once. A failed `GET` ends the connection (1006): the session reconnects and
//! resumes. A connection the session lets go is ended on the server too (`DELETE`). The
//! connection's id stays in this module: it is never logged nor shown.

use super::sse::{close_of, field};
use super::upstream::Upstream;
use crate::transport::{Connection, EventSink, Transport, TransportEvent};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{AbortController, RequestCredentials};
use wirechat_protocol::close_code;
use wirechat_session::TransportKind;

/// Opens long-polling connections.
#[derive(Debug, Default, Clone, Copy)]
pub struct LongPollingTransport;

struct PollConnection {
    upstream: Rc<Upstream>,
    events: EventSink,
    closed: Rc<Cell<bool>>,
    /// Aborts the request in flight when the connection is closed or dropped.
    abort: AbortController,
}

impl Transport for LongPollingTransport {
    fn connect(
        &self,
        url: &str,
        _protocols: &[String],
        events: EventSink,
    ) -> Result<Box<dyn Connection>, String> {
        let base = TransportKind::LongPolling
            .url_for(url)
            .ok_or("not a WebSocket URL")?;
        let abort = AbortController::new().map_err(|_| "the browser cannot abort requests")?;
        let closed = Rc::new(Cell::new(false));
        let upstream = {
            let closed = Rc::clone(&closed);
            let events = events.clone();
            let abort = abort.clone();
            Upstream::new(Rc::new(move |event| {
                if !closed.replace(true) {
                    abort.abort();
                    events(event);
                }
            }))
        };
        let reader = Reader {
            base,
            upstream: Rc::clone(&upstream),
            events: events.clone(),
            closed: Rc::clone(&closed),
            abort: abort.clone(),
        };
        wasm_bindgen_futures::spawn_local(reader.run());
        Ok(Box::new(PollConnection {
            upstream,
            events,
            closed,
            abort,
        }))
    }
}

/// The downstream half: opens the connection, then polls until it ends.
struct Reader {
    base: String,
    upstream: Rc<Upstream>,
    events: EventSink,
    closed: Rc<Cell<bool>>,
    abort: AbortController,
}

impl Reader {
    async fn run(self) {
        let opening = request(&self.base, "POST", &self.abort).await;
        let Some((id, mut cursor)) = opening.as_ref().and_then(|answer| {
            let id = field(answer, "id")?.as_string()?;
            Some((id, cursor_of(answer)?))
        }) else {
            return self.finish(close_code::ABNORMAL, String::new());
        };
        let url = [self.base.as_str(), "/", &id].concat();
        (self.events)(TransportEvent::Opened {
            protocol: String::new(),
        });
        self.upstream.start(url.clone());
        let mut next_answer = opening;
        loop {
            if self.closed.get() {
                return;
            }
            let Some(answer) = next_answer else {
                return self.finish(close_code::ABNORMAL, String::new());
            };
            if let Some(frames) = field(&answer, "frames") {
                for frame in js_sys::Array::from(&frames).iter() {
                    if self.closed.get() {
                        return;
                    }
                    if let Ok(frame) = js_sys::JSON::stringify(&frame) {
                        (self.events)(TransportEvent::Text(frame.into()));
                    }
                }
            }
            if let Some(close) = field(&answer, "close") {
                let (code, reason) = close_of(&close);
                return self.finish(code, reason);
            }
            if let Some(next) = cursor_of(&answer) {
                cursor = next;
            }
            let next = [url.as_str(), "?cursor=", &cursor.to_string()].concat();
            next_answer = request(&next, "GET", &self.abort).await;
        }
    }

    fn finish(&self, code: u16, reason: String) {
        if !self.closed.replace(true) {
            self.upstream.end();
            (self.events)(TransportEvent::Closed { code, reason });
        }
    }
}

/// The `cursor` of an answer: a count of frames.
fn cursor_of(answer: &JsValue) -> Option<u64> {
    let cursor = field(answer, "cursor")?.as_f64()?;
    (cursor >= 0.0 && cursor.fract() == 0.0).then_some(cursor as u64)
}

/// The body of a 2xx answer to `method url`, parsed as JSON; `None` for anything else.
async fn request(url: &str, method: &str, abort: &AbortController) -> Option<JsValue> {
    let signal = abort.signal();
    let builder = if method == "POST" {
        gloo_net::http::Request::post(url)
    } else {
        gloo_net::http::Request::get(url)
    };
    let answer = builder
        .credentials(RequestCredentials::Include)
        .abort_signal(Some(&signal))
        .send()
        .await
        .ok()?;
    if !answer.ok() {
        return None;
    }
    js_sys::JSON::parse(&answer.text().await.ok()?).ok()
}

impl Connection for PollConnection {
    fn send(&self, text: &str) -> Result<(), String> {
        self.upstream.send(text);
        Ok(())
    }

    fn close(&self, code: u16, reason: &str) {
        self.abort.abort();
        self.upstream.end();
        if !self.closed.replace(true) {
            (self.events)(TransportEvent::Closed {
                code,
                reason: reason.to_owned(),
            });
        }
    }

    fn buffered_amount(&self) -> u32 {
        self.upstream.pending_bytes()
    }
}

impl Drop for PollConnection {
    fn drop(&mut self) {
        self.closed.set(true);
        self.abort.abort();
        self.upstream.end();
        // Untold, the server keeps the connection until a minute passes without a `GET`,
        // counting it against its limits and keeping its user in the rooms; a session that
        // moved to a WebSocket would leave one such connection behind at every move.
        if let Some(url) = self.upstream.url() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = gloo_net::http::Request::delete(&url)
                    .credentials(RequestCredentials::Include)
                    .send()
                    .await;
            });
        }
    }
}
