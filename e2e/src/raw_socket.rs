//! A bare WebSocket client for the test itself: it sends exactly the frames it is given,
//! however malformed, and reads what arrives.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

/// How long connecting, or sending one frame, may take.
const STEP_LIMIT: Duration = Duration::from_secs(10);

/// One frame as it goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawFrame {
    /// A text frame with exactly this text.
    Text(String),
    /// A binary frame with exactly these bytes.
    Binary(Vec<u8>),
}

/// An open WebSocket connection with no protocol logic of its own.
pub struct RawSocket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    label: String,
}

impl RawSocket {
    /// Connects to `url`; `label` names it in failure messages.
    pub async fn connect(url: &str, label: &str) -> Self {
        let (stream, _response) = tokio::time::timeout(STEP_LIMIT, connect_async(url))
            .await
            .unwrap_or_else(|_| panic!("{label}: no handshake with {url} within {STEP_LIMIT:?}"))
            .unwrap_or_else(|e| panic!("{label}: cannot connect to {url}: {e}"));
        Self {
            stream,
            label: label.to_owned(),
        }
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: &RawFrame) {
        let message = match frame {
            RawFrame::Text(text) => Message::text(text.as_str()),
            RawFrame::Binary(bytes) => Message::binary(bytes.clone()),
        };
        tokio::time::timeout(STEP_LIMIT, self.stream.send(message))
            .await
            .unwrap_or_else(|_| panic!("{}: a send took over {STEP_LIMIT:?}", self.label))
            .unwrap_or_else(|e| panic!("{}: cannot send: {e}", self.label));
    }

    /// Sends one JSON value as a text frame.
    pub async fn send_json(&mut self, value: &Value) {
        self.send(&RawFrame::Text(value.to_string())).await;
    }

    /// Reads frames until a text frame parses as JSON that `wanted` accepts, and returns it.
    /// Everything else that arrives meanwhile is skipped. Panics after `limit`, listing
    /// the last frames it skipped.
    pub async fn wait_for_json(
        &mut self,
        limit: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> Value {
        let mut skipped: Vec<String> = Vec::new();
        let found = tokio::time::timeout(limit, async {
            while let Some(message) = self.stream.next().await {
                let message = message.map_err(|e| format!("read failed: {e}"))?;
                if let Message::Text(text) = &message {
                    if let Ok(value) = serde_json::from_str::<Value>(text.as_str()) {
                        if wanted(&value) {
                            return Ok(value);
                        }
                    }
                }
                skipped.push(describe(&message));
            }
            Err("the connection closed".to_owned())
        })
        .await;
        let recent = &skipped[skipped.len().saturating_sub(5)..];
        match found {
            Ok(Ok(value)) => value,
            Ok(Err(why)) => panic!("{}: {why}; last frames: {recent:?}", self.label),
            Err(_) => panic!(
                "{}: no wanted frame within {limit:?}; last frames: {recent:?}",
                self.label
            ),
        }
    }
}

/// A short description of a frame, for failure messages.
fn describe(message: &Message) -> String {
    const SHOWN: usize = 120;
    match message {
        Message::Text(text) => {
            let text = text.as_str();
            let cut = text
                .char_indices()
                .nth(SHOWN)
                .map_or(text.len(), |(at, _)| at);
            format!(
                "text {:?}{}",
                &text[..cut],
                if cut < text.len() { "…" } else { "" }
            )
        }
        other => format!("{other:?}").chars().take(SHOWN).collect(),
    }
}
