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

#[cfg(test)]
mod tests {
    use crate::{decode, encode, Frame};

    #[test]
    fn catchup_and_missed_read_as_documented() {
        let request = decode(
            r#"{"type":"catchup","room":"lobby","from":"bob","nonce":"n1","since":5,"have":["a"]}"#,
        )
        .unwrap();
        let Frame::Catchup(c) = &request else {
            panic!("a catchup frame: {request:?}")
        };
        assert_eq!(
            (c.since, c.have.as_slice()),
            (Some(5), &["a".to_owned()][..])
        );
        assert_eq!(decode(&encode(&request)).unwrap(), request);

        // Optional fields may be left out, and the messages may leave out their `type`.
        let bare = decode(r#"{"type":"catchup","room":"lobby","from":"bob","nonce":"n2"}"#);
        assert!(matches!(bare, Ok(Frame::Catchup(c)) if c.since.is_none() && c.have.is_empty()));
        let answer = decode(
            r#"{"type":"missed","room":"lobby","to":"n1","msgs":[{"id":"m","room":"lobby","from":"a","text":"t","ts":1}]}"#,
        )
        .unwrap();
        assert!(matches!(&answer, Frame::Missed(m) if m.msgs.len() == 1 && m.from.is_empty()));
        assert_eq!(decode(&encode(&answer)).unwrap(), answer);
    }
}
