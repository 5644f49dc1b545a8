//! What a store may refuse about message actions, what it supports, and the one rule for
//! turning a user's search words into a full-text query that cannot be misread.

use wirechat_protocol::{Reaction, MAX_REACTION_USERS};

use super::StoreError;

/// Which message actions a store keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `edit`, `delete`, `react` and `read` are stored and shown in history.
    pub actions: bool,
    /// `search` is answered.
    pub search: bool,
}

/// Why a store did not carry out an action on a message.
#[derive(Debug)]
pub enum ActionRefused {
    /// The room holds no message with that id (never sent, or trimmed by retention), or
    /// it was deleted and cannot be edited or reacted to.
    NotFound,
    /// The message was written by another user (or before users had ids).
    NotAuthor,
    /// The message has as many kinds of reaction as one may have.
    TooManyReactions,
    /// This store does not keep this kind of action.
    Unsupported,
    /// The store failed; the action may succeed later.
    Failed(StoreError),
}

impl From<StoreError> for ActionRefused {
    fn from(err: StoreError) -> Self {
        Self::Failed(err)
    }
}

impl From<rusqlite::Error> for ActionRefused {
    fn from(err: rusqlite::Error) -> Self {
        Self::Failed(err.into())
    }
}

/// Most words of a query that are searched for; the rest are ignored.
const MAX_QUERY_WORDS: usize = 16;

/// The FTS5 query for a user's search words: each whitespace-separated word becomes one
/// quoted string (a `"` inside doubled), so that `AND`, `NEAR(…)`, `*`, `:` or a stray quote
/// are words to find, never syntax; all of them must occur. `None` when there is no word.
pub fn fts_query(words: &str) -> Option<String> {
    let quoted: Vec<String> = query_words(words)
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect();
    (!quoted.is_empty()).then(|| quoted.join(" "))
}

/// The words of a query that are searched for: the first [`MAX_QUERY_WORDS`] with a letter
/// or digit. Words without one hold nothing a text index keeps (and quoted for FTS5 they
/// would make an empty phrase, which it refuses).
pub(super) fn query_words(query: &str) -> impl Iterator<Item = &str> {
    query
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .take(MAX_QUERY_WORDS)
}

/// The reactions of one message as history shows them, from `(emoji, name)` pairs in the
/// order users reacted: by emoji in the order first used, each with its count and up to
/// [`MAX_REACTION_USERS`] names.
pub(super) fn tally(reacted: impl IntoIterator<Item = (String, String)>) -> Vec<Reaction> {
    let mut summary: Vec<Reaction> = Vec::new();
    for (emoji, name) in reacted {
        let at = match summary.iter().position(|r| r.emoji == emoji) {
            Some(at) => at,
            None => {
                summary.push(Reaction {
                    emoji,
                    count: 0,
                    users: Vec::new(),
                });
                summary.len() - 1
            }
        };
        let reaction = &mut summary[at];
        reaction.count += 1;
        if reaction.users.len() < MAX_REACTION_USERS && !reaction.users.contains(&name) {
            reaction.users.push(name);
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn words_become_quoted_strings_and_syntax_stays_text() {
        assert_eq!(
            fts_query("lunch friday").as_deref(),
            Some(r#""lunch" "friday""#)
        );
        assert_eq!(
            fts_query(r#"say "hi" NEAR(a b) x*"#).as_deref(),
            Some(r#""say" """hi""" "NEAR(a" "b)" "x*""#)
        );
        assert_eq!(fts_query("   "), None);
        assert_eq!(fts_query(r#"" * - ( ) :"#), None);
        assert_eq!(
            fts_query(&"w ".repeat(100)).map(|q| q.matches('w').count()),
            Some(16)
        );
    }
}
