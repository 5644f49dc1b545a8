//! What people do to messages once they are sent: edit, delete, react, mark as read, and
//! search. Every action names its message by the `id` its sender made, so it works on plain
//! relays too, where the receivers apply it themselves (see PROTOCOL.md, "Message actions").

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Most distinct emoji one message carries in [`crate::ChatMessage::reactions`]; the
/// reference server refuses a new emoji past it.
pub const MAX_REACTION_KINDS: usize = 20;

/// Longest [`React::emoji`], in bytes of UTF-8: room for the longest emoji sequences (a
/// family of four with skin tones, a subdivision flag), not for a sentence.
pub const MAX_EMOJI_BYTES: usize = 64;

/// Most names one [`Reaction`] lists in [`Reaction::users`]; `count` says how many there are.
pub const MAX_REACTION_USERS: usize = 100;

/// Longest search query [`Search::q`], in bytes of UTF-8.
pub const MAX_QUERY_BYTES: usize = 256;

/// Most messages one `results` frame carries, and what the reference server returns at most.
pub const MAX_SEARCH_RESULTS: usize = 50;

/// `{"type":"edit","room":"lobby","id":"m1","text":"fixed"}`: the message `id` now reads
/// `text`. Servers fill in who edited it and when before they relay it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    /// Room of the message.
    pub room: String,
    /// Id of the message, as its sender made it.
    pub id: String,
    /// The new text, held to the same limits as a message's.
    pub text: String,
    /// Display name of the editor. On relays receivers apply the edit only when this is the
    /// original's `from`; servers that know identities set it themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The editor's user id, set by servers that know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// When the edit was made, set by servers that store it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<Timestamp>,
}

/// `{"type":"delete","room":"lobby","id":"m1"}`: the message `id` is taken back; receivers
/// show a tombstone in its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delete {
    /// Room of the message.
    pub room: String,
    /// Id of the message.
    pub id: String,
    /// Display name of whoever deletes it; on relays it must be the original's `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Their user id, set by servers that know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// When it was deleted, set by servers that store it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<Timestamp>,
}

/// `{"type":"react","room":"lobby","id":"m1","emoji":"👍","on":true}`: the sender adds
/// (`on`) or takes back its reaction. Each user reacts with an emoji at most once, so
/// repeating either is harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct React {
    /// Room of the message.
    pub room: String,
    /// Id of the message.
    pub id: String,
    /// One emoji (see [`check_emoji`]).
    pub emoji: String,
    /// Whether the reaction is added (true) or taken back (false).
    pub on: bool,
    /// Display name of whoever reacts, for receivers to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Their user id, set by servers that know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

/// `{"type":"read","room":"lobby","seq":57}`: the user has read the room up to `seq`.
/// Servers keep the highest one per user and room and return it in the `history` that
/// answers a `join` ([`crate::History::read`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    /// The room read.
    pub room: String,
    /// The newest `seq` read.
    pub seq: u64,
}

/// `{"type":"search","room":"lobby","q":"lunch friday","req":3}`: the room's messages
/// holding every word of `q`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Search {
    /// The room to search; the connection must have joined it.
    pub room: String,
    /// Words to find, plain text: no query syntax is interpreted.
    pub q: String,
    /// Request id, echoed in [`Results::req`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req: Option<u64>,
}

/// `{"type":"results","room":"lobby","msgs":[…],"req":3}`: the messages a `search` found,
/// oldest first, at most [`MAX_SEARCH_RESULTS`] of the newest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Results {
    /// The room searched.
    pub room: String,
    /// The messages found, in ascending `seq` order.
    pub msgs: Vec<crate::ChatMessage>,
    /// The `req` of the `search` this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req: Option<u64>,
}

/// One emoji on a message in history: how many reacted with it, and who.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// How many users reacted with it.
    pub count: u64,
    /// Display names of those who did, at most [`MAX_REACTION_USERS`] of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
}

/// Checks that `emoji` is exactly one emoji: a pictograph with its optional presentation
/// selector, skin tone and tags, several of them joined by zero width joiners, a pair of
/// regional indicators (a flag), or a keycap. Text, two emoji, and invisible padding are
/// refused, so a reaction can never carry a message of its own.
pub fn check_emoji(emoji: &str) -> Result<(), String> {
    if emoji.is_empty() || emoji.len() > MAX_EMOJI_BYTES {
        return Err(format!(
            "emoji of {} bytes; an emoji is 1 to {MAX_EMOJI_BYTES} bytes",
            emoji.len()
        ));
    }
    if one_emoji(emoji) {
        Ok(())
    } else {
        Err("not exactly one emoji".to_owned())
    }
}

fn one_emoji(emoji: &str) -> bool {
    let chars: Vec<char> = emoji.chars().collect();
    match chars.as_slice() {
        [a, b] if is_regional_indicator(*a) && is_regional_indicator(*b) => return true,
        [base, '\u{20E3}'] | [base, '\u{FE0F}', '\u{20E3}'] if is_keycap_base(*base) => {
            return true
        }
        _ => {}
    }
    // pictograph modifiers* (ZWJ pictograph modifiers*)*
    let mut rest = chars.as_slice();
    loop {
        let Some((first, tail)) = rest.split_first() else {
            return false;
        };
        if !is_pictograph(*first) {
            return false;
        }
        rest = tail;
        while let Some((c, tail)) = rest.split_first() {
            if !is_modifier(*c) {
                break;
            }
            rest = tail;
        }
        match rest.split_first() {
            None => return true,
            Some(('\u{200D}', tail)) => rest = tail,
            Some(_) => return false,
        }
    }
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

fn is_keycap_base(c: char) -> bool {
    c.is_ascii_digit() || c == '#' || c == '*'
}

/// What may follow a pictograph inside one emoji: presentation selectors, skin tones,
/// and the tags of subdivision flags.
fn is_modifier(c: char) -> bool {
    matches!(
        c,
        '\u{FE0E}' | '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}'
    )
}

/// The blocks emoji are drawn from (without letters, digits or punctuation).
fn is_pictograph(c: char) -> bool {
    matches!(
        c,
        '\u{00A9}'
            | '\u{00AE}'
            | '\u{203C}'
            | '\u{2049}'
            | '\u{2122}'
            | '\u{2139}'
            | '\u{2194}'..='\u{21FF}'
            | '\u{2300}'..='\u{23FF}'
            | '\u{24C2}'
            | '\u{25A0}'..='\u{27BF}'
            | '\u{2900}'..='\u{297F}'
            | '\u{2B00}'..='\u{2BFF}'
            | '\u{3030}'
            | '\u{303D}'
            | '\u{3297}'
            | '\u{3299}'
            | '\u{1F000}'..='\u{1F1E5}'
            | '\u{1F200}'..='\u{1F3FA}'
            | '\u{1F400}'..='\u{1FAFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::check_emoji;

    #[test]
    fn one_emoji_of_every_shape_is_accepted() {
        for emoji in [
            "👍",
            "❤️",
            "👍🏽",
            "👩‍👩‍👧‍👦",
            "🧑🏿‍🚀",
            "🇰🇷",
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            "#️⃣",
            "1⃣",
            "©",
        ] {
            assert_eq!(check_emoji(emoji), Ok(()), "{emoji:?}");
        }
    }

    #[test]
    fn text_several_emoji_and_padding_are_refused() {
        for not_one in [
            "",
            "a",
            "ok",
            "👍👍",
            "👍 ",
            " 👍",
            "👍\u{200B}",
            "\u{200D}👍",
            "👍\u{200D}",
            "🇰",
            "🇰🇷🇰",
            "1",
            "\u{202E}👍",
            "👍\u{0301}",
            "<b>",
        ] {
            assert!(check_emoji(not_one).is_err(), "{not_one:?}");
        }
        assert!(check_emoji(&"👍\u{FE0F}".repeat(20)).is_err());
        assert!(check_emoji(&"\u{1F3FB}".repeat(2)).is_err());
    }
}
