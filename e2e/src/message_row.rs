//! One message as the page shows it.

use serde_json::Value;

/// A `role="article"` row of the message log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRow {
    /// The sender's name from the row's `.msg-from` element, or `None` when the row has no
    /// such element and [`MessageRow::text`] holds the whole row instead.
    pub from: Option<String>,
    /// The text from the row's `.msg-text` element, with `<br>` read as a newline.
    pub text: String,
    /// The `aria-label` of the row's `.msg-state` badge ("Sending", "Sent", "Delivered" or
    /// "Not delivered"), which only the viewer's own messages carry.
    pub delivery: Option<String>,
}

impl MessageRow {
    /// Whether this row shows `text` sent by `from`.
    ///
    /// Without the sender element the row only proves both appear in it, which is the
    /// most the contract promises in that case.
    pub fn shows(&self, from: &str, text: &str) -> bool {
        match &self.from {
            Some(sender) => sender == from && self.text == text,
            None => self.text.contains(from) && self.text.contains(text),
        }
    }

    /// Reads the rows returned by the page script in `page.js`.
    pub(crate) fn parse_all(value: &Value) -> Vec<Self> {
        let rows = value.as_array().map(Vec::as_slice).unwrap_or_default();
        rows.iter()
            .map(|row| Self {
                from: row["from"].as_str().map(clean_sender),
                text: row["text"].as_str().unwrap_or_default().to_owned(),
                delivery: row["delivery"].as_str().map(str::to_owned),
            })
            .collect()
    }
}

/// Drops the layout around a name ("alice:" or " alice ") that is not part of it.
fn clean_sender(raw: &str) -> String {
    raw.trim().trim_end_matches(':').trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_with_a_sender_element_matches_exactly() {
        let rows = MessageRow::parse_all(&json!([{ "from": " alice: ", "text": "hi" }]));
        assert!(rows[0].shows("alice", "hi"));
        assert!(!rows[0].shows("alice", "h"));
        assert!(!rows[0].shows("bob", "hi"));
    }

    #[test]
    fn the_delivery_badge_is_read_when_present() {
        let rows = MessageRow::parse_all(&json!([
            { "from": "me", "text": "hi", "delivery": "Sent" },
            { "from": "bob", "text": "hey", "delivery": null },
        ]));
        assert_eq!(rows[0].delivery.as_deref(), Some("Sent"));
        assert_eq!(rows[1].delivery, None);
    }

    #[test]
    fn a_row_without_a_sender_element_matches_by_content() {
        let rows = MessageRow::parse_all(&json!([{ "from": null, "text": "alice12:03hi there" }]));
        assert_eq!(rows[0].from, None);
        assert!(rows[0].shows("alice", "hi there"));
        assert!(!rows[0].shows("bob", "hi there"));
    }
}
