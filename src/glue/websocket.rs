//! The browser WebSocket as a [`Transport`], read through gloo-net's event stream.

use crate::transport::{Connection, EventSink, Transport, TransportEvent};
use futures::StreamExt;
use gloo_net::websocket::{futures::WebSocket, Message, WebSocketError};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wirechat_protocol::close_code;

/// Opens native browser WebSockets.
#[derive(Debug, Default, Clone, Copy)]
pub struct WebSocketTransport;

struct WebSocketConnection {
    raw: web_sys::WebSocket,
    // Kept alive as long as the socket can still fire `open`.
    _on_open: Closure<dyn FnMut()>,
}

impl Transport for WebSocketTransport {
    fn connect(
        &self,
        url: &str,
        protocols: &[String],
        events: EventSink,
    ) -> Result<Box<dyn Connection>, String> {
        let raw = if protocols.is_empty() {
            web_sys::WebSocket::new(url)
        } else {
            let list = protocols
                .iter()
                .map(|p| JsValue::from_str(p))
                .collect::<js_sys::Array>();
            web_sys::WebSocket::new_with_str_sequence(url, &list)
        }
        .map_err(|err| js_error_text(&err))?;

        // gloo-net's stream reports messages, errors and the close, but not the open, which
        // the session needs to know when to join; so `open` is watched on the raw socket.
        let on_open = {
            let raw = raw.clone();
            let events = events.clone();
            Closure::<dyn FnMut()>::new(move || {
                events(TransportEvent::Opened {
                    protocol: raw.protocol(),
                })
            })
        };
        raw.set_onopen(Some(on_open.as_ref().unchecked_ref()));

        let stream = WebSocket::try_from(raw.clone()).map_err(|err| err.to_string())?;
        wasm_bindgen_futures::spawn_local(read_events(stream, events));
        Ok(Box::new(WebSocketConnection {
            raw,
            _on_open: on_open,
        }))
    }
}

async fn read_events(mut stream: WebSocket, events: EventSink) {
    let mut closed = false;
    while let Some(item) = stream.next().await {
        match item {
            Ok(Message::Text(text)) => events(TransportEvent::Text(text)),
            Ok(Message::Bytes(_)) => events(TransportEvent::Binary),
            Err(WebSocketError::ConnectionClose(close)) => {
                closed = true;
                events(TransportEvent::Closed {
                    code: close.code,
                    reason: close.reason,
                });
            }
            // An `error` event is always followed by `close`, which carries what we need.
            Err(_) => {}
        }
    }
    if !closed {
        events(TransportEvent::Closed {
            code: close_code::ABNORMAL,
            reason: String::new(),
        });
    }
}

impl Connection for WebSocketConnection {
    fn send(&self, text: &str) -> Result<(), String> {
        self.raw.send_with_str(text).map_err(|e| js_error_text(&e))
    }

    fn close(&self, code: u16, reason: &str) {
        // Browsers only accept 1000 and 3000-4999 from scripts.
        let code = if code == close_code::NORMAL || (3000..5000).contains(&code) {
            code
        } else {
            close_code::NORMAL
        };
        let _ = self.raw.close_with_code_and_reason(code, reason);
    }

    fn buffered_amount(&self) -> u32 {
        self.raw.buffered_amount()
    }
}

impl Drop for WebSocketConnection {
    fn drop(&mut self) {
        self.raw.set_onopen(None);
        let _ = self.raw.close();
    }
}

fn js_error_text(err: &JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "the browser refused to open the socket".into())
}
