//! What a store may refuse about message actions, what it supports, and the one rule for
//! turning a user's search words into a full-text query that cannot be misread.

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
    let quoted: Vec<String> = words
        .split_whitespace()
        // Words without a letter or digit hold nothing the tokenizer indexes; quoting them
        // would give an empty phrase, which FTS5 refuses.
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .take(MAX_QUERY_WORDS)
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect();
    (!quoted.is_empty()).then(|| quoted.join(" "))
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
