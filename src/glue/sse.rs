//! Server-sent events as a [`Transport`]: the browser's `EventSource` brings the frames down,
//! `POST`s take them up ([`Upstream`]).
//!
//! The stream's first event (`link`) names where to post; the connection counts as open from
//! then. An `EventSource` reconnects by itself when its stream drops, but a new stream is a
//! new connection on the server, so this one is closed instead and reported `Closed` (1006):
//! the session reconnects and resumes.

use super::upstream::Upstream;
use crate::transport::{Connection, EventSink, Transport, TransportEvent};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, EventSourceInit, MessageEvent};
use wirechat_protocol::close_code;
use wirechat_session::TransportKind;

/// Opens server-sent event streams.
#[derive(Debug, Default, Clone, Copy)]
pub struct SseTransport;

struct SseConnection {
    source: EventSource,
    upstream: Rc<Upstream>,
    events: EventSink,
    closed: Rc<Cell<bool>>,
    // Kept alive as long as the stream may fire.
    _listeners: [Closure<dyn FnMut(MessageEvent)>; 3],
    _on_error: Closure<dyn FnMut()>,
}

impl Transport for SseTransport {
    fn connect(
        &self,
        url: &str,
        _protocols: &[String],
        events: EventSink,
    ) -> Result<Box<dyn Connection>, String> {
        let url = TransportKind::Sse
            .url_for(url)
            .ok_or("not a WebSocket URL")?;
        let init = EventSourceInit::new();
        init.set_with_credentials(true);
        let source = EventSource::new_with_event_source_init_dict(&url, &init)
            .map_err(|_| "the browser refused to open the event stream")?;
        let closed = Rc::new(Cell::new(false));
        // Reports the end once, and keeps the EventSource from reconnecting by itself.
        let finish = {
            let source = source.clone();
            let closed = Rc::clone(&closed);
            let events = events.clone();
            Rc::new(move |code: u16, reason: String| {
                if !closed.replace(true) {
                    source.close();
                    events(TransportEvent::Closed { code, reason });
                }
            })
        };
        let upstream = {
            let finish = Rc::clone(&finish);
            Upstream::new(Rc::new(move |event| {
                if let TransportEvent::Closed { code, reason } = event {
                    finish(code, reason);
                }
            }))
        };
        let on_link = {
            let upstream = Rc::clone(&upstream);
            let events = events.clone();
            let base = url.clone();
            let finish = Rc::clone(&finish);
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let post = field(&parsed(&event.data()), "post").and_then(|v| v.as_string());
                let target = post.and_then(|p| web_sys::Url::new_with_base(&p, &base).ok());
                match target {
                    Some(target) => {
                        events(TransportEvent::Opened {
                            protocol: String::new(),
                        });
                        upstream.start(target.href());
                    }
                    None => {
                        upstream.end();
                        finish(close_code::ABNORMAL, String::new());
                    }
                }
            })
        };
        let on_message = {
            let events = events.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(text) = event.data().as_string() {
                    events(TransportEvent::Text(text));
                }
            })
        };
        let on_close = {
            let finish = Rc::clone(&finish);
            let upstream = Rc::clone(&upstream);
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let (code, reason) = close_of(&parsed(&event.data()));
                upstream.end();
                finish(code, reason);
            })
        };
        let on_error = {
            let finish = Rc::clone(&finish);
            let upstream = Rc::clone(&upstream);
            Closure::<dyn FnMut()>::new(move || {
                upstream.end();
                finish(close_code::ABNORMAL, String::new());
            })
        };
        let listen = |name: &str, listener: &Closure<dyn FnMut(MessageEvent)>| {
            let _ =
                source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        };
        listen("link", &on_link);
        listen("message", &on_message);
        listen("close", &on_close);
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Box::new(SseConnection {
            source,
            upstream,
            events,
            closed,
            _listeners: [on_link, on_message, on_close],
            _on_error: on_error,
        }))
    }
}

impl Connection for SseConnection {
    fn send(&self, text: &str) -> Result<(), String> {
        self.upstream.send(text);
        Ok(())
    }

    fn close(&self, code: u16, reason: &str) {
        self.source.close();
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

impl Drop for SseConnection {
    fn drop(&mut self) {
        self.closed.set(true);
        self.source.set_onerror(None);
        self.source.close();
        self.upstream.end();
    }
}

/// The JSON in an event's `data`, parsed; `undefined` when it is none, which has no fields.
fn parsed(data: &JsValue) -> JsValue {
    data.as_string()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or_default()
}

/// The `code` and `reason` of a close the server reported, in an SSE `close` event or a
/// long-polling answer: 1006 and no reason where they are missing.
pub(super) fn close_of(close: &JsValue) -> (u16, String) {
    let code = field(close, "code")
        .and_then(|v| v.as_f64())
        .map_or(close_code::ABNORMAL, |c| c as u16);
    let reason = field(close, "reason")
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    (code, reason)
}

/// `name` of a parsed JSON `object`, unless absent or null.
pub(super) fn field(object: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}
