//! Relay catch-up: on servers that only pass frames on, a client that (re)joins a room asks
//! the peers for the messages it missed, and one peer answers.

use crate::ChatMessage;
use serde::{Deserialize, Serialize};

/// Most messages one `missed` answer carries.
pub const MAX_CATCHUP_MSGS: usize = 200;

/// Most ids a `catchup` request lists in [`Catchup::have`].
pub const MAX_CATCHUP_HAVE: usize = 100;

/// `{"type":"catchup","room":"lobby","from":"bob","nonce":"c1f…","since":1764000000000,"have":["m1"]}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catchup {
    /// Room the asker has (re)joined.
    pub room: String,
    /// Display name of the asker (informational).
    pub from: String,
    /// Random token naming this request; answers quote it in [`Missed::to`].
    pub nonce: String,
    /// Only messages with a `ts` at or after this (ms since the Unix epoch); absent: anything
    /// the peer still has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// Ids the asker already has from that time on; peers leave them out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub have: Vec<String>,
}

/// `{"type":"missed","room":"lobby","to":"c1f…","from":"alice","msgs":[…]}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missed {
    /// Room the messages belong to.
    pub room: String,
    /// The [`Catchup::nonce`] this answers.
    pub to: String,
    /// Display name of the peer answering (informational).
    #[serde(default)]
    pub from: String,
    /// Messages the asker may have missed, oldest first.
    pub msgs: Vec<ChatMessage>,
}
