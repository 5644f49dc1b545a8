//! @mentions: whether a text mentions someone, and which members a half-typed `@name`
//! could complete to.
//!
//! A mention of a user is `@` followed by their display name, compared case-insensitively,
//! where the name ends at a word boundary (`@ann` does not mention `anna`) and the `@` does
//! not continue a word (`ann@example.com` mentions no one). Names may hold spaces, Korean
//! and emoji; they are matched as written, not split into words. After a Korean name, the
//! honorifics and particles Korean writes onto names end it too (`@민수님`, `@민수에게`).

/// The most members the composer offers for one `@` prefix.
pub const MOST_SUGGESTIONS: usize = 8;

use wirechat_protocol::MAX_NAME_BYTES;

/// Whether `text` mentions the user called `name`.
pub fn mentions(text: &str, name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() {
        return false;
    }
    let wanted: Vec<char> = folded(name).collect();
    text.char_indices()
        .filter(|&(at, c)| c == '@' && opens_mention(text, at))
        .any(|(at, _)| {
            matched_len(&text[at + 1..], &wanted)
                .is_some_and(|len| ends_name(&text[at + 1 + len..], name))
        })
}

/// The `@` prefix being typed just before the caret: the byte offset of its `@` in `text`
/// and the characters typed after it. `None` when the caret is not in a mention.
pub fn mention_query(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let at = before.rfind('@')?;
    let prefix = &before[at + 1..];
    let opens = opens_mention(before, at)
        && !prefix.starts_with(char::is_whitespace)
        && !prefix.contains(['\n', '@'])
        // Longer than any name: the `@` is part of the text, not a name being typed.
        && prefix.len() <= MAX_NAME_BYTES;
    opens.then_some((at, prefix))
}

/// The members (`me` left out) whose name `prefix` could be the start of, best first:
/// names that start with it, then names with a later word that does; shorter names first,
/// then alphabetically (length in bytes, which is enough to put `ann` before
/// `anna`). At most [`MOST_SUGGESTIONS`], each once.
pub fn suggestions<'a>(prefix: &str, members: &'a [String], me: &str) -> Vec<&'a str> {
    let prefix: String = folded(prefix).collect();
    let mut left: Vec<(u8, &str)> = members
        .iter()
        .map(String::as_str)
        .filter(|m| *m != me && !m.trim().is_empty())
        .filter_map(|m| rank(m, &prefix).map(|r| (r, m)))
        .collect();
    let order = |(ra, a): &(u8, &str), (rb, b): &(u8, &str)| {
        ra.cmp(rb)
            .then(a.len().cmp(&b.len()))
            .then_with(|| folded(a).cmp(folded(b)))
            .then_with(|| a.cmp(b))
    };
    // The best few, picked one at a time: a room's list is short, and this is much less
    // code in the bundle than a sort.
    let mut best: Vec<&str> = Vec::new();
    while best.len() < MOST_SUGGESTIONS {
        let Some(at) = (0..left.len()).min_by(|&i, &j| order(&left[i], &left[j])) else {
            break;
        };
        let (_, name) = left.swap_remove(at);
        if !best.contains(&name) {
            best.push(name);
        }
    }
    best
}

/// How many of a room's newest messages are looked through for people to mention who are
/// not online: enough for the people of a conversation, bounded for a huge room.
pub const RECENT_AUTHORS_SCAN: usize = 1_000;

/// The people the composer may offer to mention: everyone `online`, then the authors of
/// `newest_first` (a room's messages, newest first, at most [`RECENT_AUTHORS_SCAN`] of them
/// read) who are not, each name once. Someone who spoke and left is still someone the
/// conversation is about.
pub fn mentionable<'a>(
    online: &'a [String],
    newest_first: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    // A list, not a set: a room has few distinct names, and the set's hashing code would
    // be more for every reader to download.
    let mut people: Vec<&str> = Vec::new();
    for name in online
        .iter()
        .map(String::as_str)
        .chain(newest_first.take(RECENT_AUTHORS_SCAN))
    {
        if !name.trim().is_empty() && !people.contains(&name) {
            people.push(name);
        }
    }
    people.into_iter().map(str::to_owned).collect()
}

/// How well `name` completes `prefix` (already folded): 0 at its start, 1 at a later word,
/// `None` not at all.
fn rank(name: &str, prefix: &str) -> Option<u8> {
    let name: String = folded(name).collect();
    if name.starts_with(prefix) {
        return Some(0);
    }
    name.char_indices()
        .filter(|&(i, c)| !is_word_char(c) && name[i + c.len_utf8()..].starts_with(prefix))
        .map(|_| 1)
        .next()
}

/// The text to put in place of `@prefix` when `name` is chosen: the mention and a space.
pub fn completion(name: &str) -> String {
    format!("@{name} ")
}

/// `name` lowercased, one character after another, for comparing without case.
fn folded(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars().flat_map(char::to_lowercase)
}

/// How many bytes at the start of `text` spell `wanted` (folded), ending on a character.
fn matched_len(text: &str, wanted: &[char]) -> Option<usize> {
    let mut matched = 0;
    for (at, c) in text.char_indices() {
        if matched == wanted.len() {
            return Some(at);
        }
        for lower in c.to_lowercase() {
            if wanted.get(matched) != Some(&lower) {
                return None;
            }
            matched += 1;
        }
    }
    (matched == wanted.len()).then_some(text.len())
}

/// Whether the `@` at byte `at` of `text` can start a mention: it begins the text or
/// follows a character that cannot be part of an e-mail address's local part.
fn opens_mention(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !is_word_char(c) && !matches!(c, '.' | '-' | '+' | '%' | '@'))
}

/// Honorifics Korean writes onto a name without a space ("@민수님"), before any particle.
const KOREAN_HONORIFICS: [&str; 2] = ["님", "씨"];

/// Particles Korean writes onto a name (or its honorific) without a space ("@민수에게",
/// "@민수님이"). Longer ones first, so "이랑" is not read as "이" and a word going on.
const KOREAN_PARTICLES: [&str; 18] = [
    "께서", "에게", "한테", "이랑", "께", "랑", "이", "가", "은", "는", "을", "를", "도", "의",
    "와", "과", "아", "야",
];

/// Whether a mention of `name` that ends where `rest` begins ends the name: at a word
/// boundary, or, for a name ending in Hangul, after an honorific and/or a particle that
/// Korean attaches to names (so "@민수님" mentions 민수, while "@민수진" does not).
fn ends_name(rest: &str, name: &str) -> bool {
    if ends_word(rest) {
        return true;
    }
    if !name
        .trim_end()
        .chars()
        .next_back()
        .is_some_and(is_hangul_syllable)
    {
        return false;
    }
    let after_honorific = KOREAN_HONORIFICS
        .iter()
        .find_map(|h| rest.strip_prefix(h))
        .unwrap_or(rest);
    ends_word(after_honorific)
        || KOREAN_PARTICLES
            .iter()
            .filter_map(|p| after_honorific.strip_prefix(p))
            .any(ends_word)
}

/// Whether `c` is a precomposed Hangul syllable (가–힣).
fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Whether a mention that ends where `rest` begins ends at a word boundary.
fn ends_word(rest: &str) -> bool {
    rest.chars().next().is_none_or(|c| !is_word_char(c))
}

/// Letters, digits (any script) and `_` continue a word.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests;
