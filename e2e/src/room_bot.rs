//! A chat participant with no browser: a bare WebSocket client that joins one room and says
//! things there, as fast as the server confirms them. Tests use it to fill a room with
//! history before a browser opens it, and to post while a browser watches.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

/// How long connecting, joining or sending one frame may take.
const STEP_LIMIT: Duration = Duration::from_secs(10);

/// How long the bot waits for the server to confirm anything before it gives up.
const CONFIRM_LIMIT: Duration = Duration::from_secs(30);

/// Messages the bot sends ahead of the server's confirmations. Its own echoes queue on the
/// server for it, and a queue that overflows closes the socket (code 4000), so the bot never
/// gets further ahead than the server's default queue allows.
const IN_FLIGHT: u64 = 128;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A bot joined to one room of a wirechat server.
///
/// Dropping it stops its reader and closes the connection.
pub struct RoomBot {
    sink: SplitSink<Socket, Message>,
    /// How many of the bot's own messages the server has echoed back (stored).
    confirmed: watch::Receiver<u64>,
    said: u64,
    room: String,
    name: String,
    /// Makes the bot's message ids unique across bots and runs.
    id_prefix: String,
    reader: JoinHandle<()>,
}

impl RoomBot {
    /// Connects to `ws_url`, joins `room` as `name` and waits for the room's history, which
    /// tells that the join is complete.
    pub async fn join(ws_url: &str, room: &str, name: &str) -> Self {
        let (socket, _response) = tokio::time::timeout(STEP_LIMIT, connect_async(ws_url))
            .await
            .unwrap_or_else(|_| panic!("{name}: no handshake with {ws_url} within {STEP_LIMIT:?}"))
            .unwrap_or_else(|e| panic!("{name}: cannot connect to {ws_url}: {e}"));
        let (sink, mut stream) = socket.split();
        let (confirm, confirmed) = watch::channel(0u64);
        let (history_seen, mut joined) = watch::channel(false);
        let reader = {
            let (room, name) = (room.to_owned(), name.to_owned());
            tokio::spawn(async move {
                while let Some(Ok(message)) = stream.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) else {
                        continue;
                    };
                    let in_room = frame["room"].as_str() == Some(room.as_str());
                    match frame["type"].as_str() {
                        Some("history") if in_room => {
                            history_seen.send_replace(true);
                        }
                        Some("msg") if in_room && frame["from"].as_str() == Some(&name) => {
                            confirm.send_modify(|n| *n += 1);
                        }
                        _ => {}
                    }
                }
            })
        };
        let mut bot = Self {
            sink,
            confirmed,
            said: 0,
            room: room.to_owned(),
            name: name.to_owned(),
            id_prefix: format!("{name}-{:x}", now_ms()),
            reader,
        };
        bot.send(json!({ "type": "join", "room": room, "name": name }))
            .await;
        let joined = tokio::time::timeout(STEP_LIMIT, joined.wait_for(|&seen| seen)).await;
        assert!(
            matches!(joined, Ok(Ok(_))),
            "{name}: no history for {room:?} within {STEP_LIMIT:?} after joining"
        );
        bot
    }

    /// Says `text` in the room and waits until the server has stored it.
    pub async fn say(&mut self, text: &str) {
        self.say_all([text.to_owned()]).await;
    }

    /// Says every text in order, keeping at most a bounded number unconfirmed, and returns
    /// once the server has stored them all.
    pub async fn say_all(&mut self, texts: impl IntoIterator<Item = String>) {
        for text in texts {
            let said = self.said;
            self.wait_confirmed(said.saturating_sub(IN_FLIGHT - 1))
                .await;
            let frame = json!({
                "type": "msg",
                "id": format!("{}-{said}", self.id_prefix),
                "room": self.room,
                "from": self.name,
                "text": text,
                "ts": now_ms(),
            });
            self.send(frame).await;
            self.said += 1;
        }
        self.wait_confirmed(self.said).await;
    }

    /// Tells the room the bot is typing, as a person's client does while they type.
    pub async fn typing(&mut self) {
        let frame = json!({ "type": "typing", "room": self.room, "from": self.name });
        self.send(frame).await;
    }

    /// Waits until the server has confirmed at least `count` of the bot's messages.
    async fn wait_confirmed(&mut self, count: u64) {
        // The guard `wait_for` returns is dropped with the statement, before the borrow below.
        let reached = tokio::time::timeout(CONFIRM_LIMIT, self.confirmed.wait_for(|&n| n >= count))
            .await
            .is_ok_and(|seen| seen.is_ok());
        if reached {
            return;
        }
        let confirmed = *self.confirmed.borrow();
        panic!(
            "{}: the server confirmed {confirmed} of {} messages and then nothing for \
             {CONFIRM_LIMIT:?}",
            self.name, self.said
        );
    }

    async fn send(&mut self, frame: Value) {
        tokio::time::timeout(STEP_LIMIT, self.sink.send(Message::text(frame.to_string())))
            .await
            .unwrap_or_else(|_| panic!("{}: a send took over {STEP_LIMIT:?}", self.name))
            .unwrap_or_else(|e| panic!("{}: cannot send: {e}", self.name));
    }
}

impl Drop for RoomBot {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Milliseconds since the Unix epoch, as the protocol's `ts` counts them.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
