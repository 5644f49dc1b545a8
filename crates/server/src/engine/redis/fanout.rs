//! Fan-out by pub/sub: a node subscribes to the channel of each room with members on it,
//! and hands what arrives to the hub.
//!
//! Channel payloads start with a kind letter: `m<seq>\n<message JSON>` from the publish
//! script, `a\n<frame JSON>` for an edit, delete or reaction from the action scripts,
//! `r<node>\n<seq>\n<uid>` for a read position, `t<node>\n<name>` for typing, and
//! `p<node>\n` when a node's presence in the room changed (see [`presence`](super::presence)).

use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use wirechat_protocol::ChatMessage;

use super::names::NameClaims;
use super::{keys, presence, Redis, CALL_TIMEOUT};
use crate::history::StoreError;
use crate::rooms::SharedRooms;
use crate::state::AppState;

/// A change to the node's subscriptions, with where to report a subscribe's outcome.
enum Change {
    Subscribe(String, mpsc::SyncSender<Result<(), String>>),
    Unsubscribe(String),
    Presence {
        room: String,
        name: String,
        present: bool,
    },
}

/// The hub's view of Redis pub/sub on this node.
pub struct RedisRooms {
    redis: Redis,
    /// Names this node in what it publishes, so it skips its own typing.
    node: String,
    changes: UnboundedSender<Change>,
    names: NameClaims,
}

impl RedisRooms {
    /// Starts the task that subscribes and unsubscribes, one change at a time in the
    /// order the hub asked for them, for the node named `node`.
    pub fn start(redis: Redis, node: String) -> Self {
        let (changes, queued) = unbounded_channel();
        tokio::spawn(subscriptions(redis.clone(), node.clone(), queued));
        Self {
            redis,
            node,
            changes,
            names: NameClaims::new(),
        }
    }
}

impl SharedRooms for RedisRooms {
    fn watch(&self, room: &str) -> Result<(), StoreError> {
        let (done, outcome) = mpsc::sync_channel(1);
        self.changes
            .send(Change::Subscribe(room.to_owned(), done))
            .map_err(|_| "the subscription task has stopped")?;
        match outcome.recv_timeout(CALL_TIMEOUT + Duration::from_secs(1)) {
            Ok(result) => result.map_err(StoreError::from),
            Err(_) => Err("Redis did not confirm the subscription in time".into()),
        }
    }

    fn claim_name(
        &self,
        room: &str,
        uid: &str,
        candidates: &[String],
    ) -> Result<Option<String>, StoreError> {
        self.names
            .claim(&self.redis, &self.node, room, uid, candidates)
    }

    fn unwatch(&self, room: &str) {
        let _ = self.changes.send(Change::Unsubscribe(room.to_owned()));
    }

    fn presence(&self, room: &str, name: &str, present: bool) {
        let _ = self.changes.send(Change::Presence {
            room: room.to_owned(),
            name: name.to_owned(),
            present,
        });
    }

    fn typing(&self, room: &str, from: &str) {
        let mut conn = self.redis.conn.clone();
        let channel = keys::channel(room);
        let payload = format!("t{}\n{from}", self.node);
        // Typing is a hint: one lost while Redis is away does no harm.
        self.redis.runtime.spawn(async move {
            let _ = tokio::time::timeout(
                CALL_TIMEOUT,
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .exec_async(&mut conn),
            )
            .await;
        });
    }
}

/// Applies subscription and presence changes in order.
async fn subscriptions(redis: Redis, node: String, mut queued: UnboundedReceiver<Change>) {
    let mut conn = redis.conn.clone();
    while let Some(change) = queued.recv().await {
        match change {
            Change::Subscribe(room, done) => {
                let subscribed =
                    tokio::time::timeout(CALL_TIMEOUT, conn.subscribe(keys::channel(&room))).await;
                let outcome = match subscribed {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(err)) => Err(err.to_string()),
                    Err(_) => Err("Redis did not answer in time".to_owned()),
                };
                let _ = done.send(outcome);
            }
            Change::Unsubscribe(room) => {
                let _ = tokio::time::timeout(CALL_TIMEOUT, conn.unsubscribe(keys::channel(&room)))
                    .await;
            }
            // Lost while Redis is away; the next renewal records the name again.
            Change::Presence {
                room,
                name,
                present,
            } => {
                let changed = presence::change(&mut conn, &node, &room, &name, present);
                let _ = tokio::time::timeout(CALL_TIMEOUT, changed).await;
            }
        }
    }
}

/// Hands what arrives on the node's subscriptions to its members, on a thread of its own:
/// delivery takes the rooms' locks, which a join may hold across a Redis call.
pub fn spawn_delivery(arrived: Receiver<PushInfo>, state: AppState, node: String, redis: Redis) {
    let spawned = std::thread::Builder::new()
        .name("wirechat-fanout".into())
        .spawn(move || {
            for push in arrived {
                if push.kind != PushKind::Message {
                    continue;
                }
                let Some((room, payload)) = channel_message(push.data) else {
                    continue;
                };
                deliver(&state, &room, &payload, &node, &redis);
            }
        });
    if let Err(err) = spawned {
        tracing::error!(%err, "the fan-out thread cannot start");
    }
}

/// The room and payload of a pub/sub message.
fn channel_message(data: Vec<Value>) -> Option<(String, String)> {
    let mut data = data.into_iter();
    let channel: String = redis::from_redis_value(data.next()?).ok()?;
    let payload: String = redis::from_redis_value(data.next()?).ok()?;
    let room = channel.strip_prefix(keys::CHANNEL_PREFIX)?.to_owned();
    Some((room, payload))
}

fn deliver(state: &AppState, room: &str, payload: &str, node: &str, redis: &Redis) {
    let Some((head, body)) = payload.split_once('\n') else {
        return;
    };
    match head.split_at_checked(1) {
        Some(("m", seq)) => {
            let Ok(seq) = seq.parse() else { return };
            let Ok(mut msg) = serde_json::from_str::<ChatMessage>(body) else {
                tracing::warn!(room, "a message on the room's channel does not parse");
                return;
            };
            msg.seq = Some(seq);
            state.hub().deliver(msg);
        }
        Some(("a", "")) => match wirechat_protocol::decode(body) {
            Ok(frame) => state.hub().deliver_action(&frame),
            Err(_) => tracing::warn!(room, "an action on the room's channel does not parse"),
        },
        // The node that recorded it told its own members already.
        Some(("r", from_node)) if from_node != node => {
            let Some((seq, uid)) = body.split_once('\n') else {
                return;
            };
            if let Ok(seq) = seq.parse() {
                state.hub().deliver_read(room, uid, seq);
            }
        }
        Some(("t", from_node)) if from_node != node => state.hub().deliver_typing(room, body),
        Some(("p", _)) => {
            let mut conn = redis.conn.clone();
            redis
                .runtime
                .block_on(presence::refresh(&mut conn, node, room, state));
        }
        _ => {}
    }
}
