//! Finds the links in a message's text, so the list can show them as anchors and leave
//! everything else as plain text.
//!
//! Only `http://`, `https://` and `mailto:` addresses become links. Any other scheme
//! (`javascript:`, `data:`, `vbscript:`, `file:`, …) is never recognised, so it can only
//! ever be shown as text. Pure: no browser, so every rule is a plain function of the text.

/// One piece of a message's text, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Plain text, shown as it is.
    Text(&'a str),
    /// A web or mail address, shown as an anchor whose text and target are both this string.
    Link(&'a str),
}

/// The schemes that make links, lowercase; matched without regard to case.
const SCHEMES: [&str; 3] = ["https://", "http://", "mailto:"];

/// Characters that end an address: they cannot appear in one unescaped, and `<…>` or
/// `"…"` is how people quote a URL in prose.
const ADDRESS_STOPS: [char; 3] = ['<', '>', '"'];

/// Punctuation that ends a sentence or a clause rather than an address when it comes last:
/// "see https://example.com." links to `https://example.com`.
const TRAILING_PUNCTUATION: [char; 14] = [
    '.', ',', ';', ':', '!', '?', '\'', '"', '*', '。', '、', '，', '！', '？',
];

/// Splits `text` into plain text and links. Concatenating the pieces gives `text` back.
pub fn split_links(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut plain_from = 0;
    let mut search_from = 0;
    while let Some((start, end)) = next_link(text, search_from) {
        if start > plain_from {
            pieces.push(Piece::Text(&text[plain_from..start]));
        }
        pieces.push(Piece::Link(&text[start..end]));
        plain_from = end;
        search_from = end;
    }
    if plain_from < text.len() {
        pieces.push(Piece::Text(&text[plain_from..]));
    }
    pieces
}

/// Byte range of the first link at or after byte `from`.
fn next_link(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < bytes.len() {
        // Every scheme starts with an ASCII letter, and an ASCII byte is always a char
        // boundary in UTF-8, so slicing at `at` below is safe.
        if matches!(bytes[at], b'h' | b'H' | b'm' | b'M') && starts_word(text, at) {
            let rest = &text[at..];
            if let Some(scheme) = SCHEMES.iter().find(|s| starts_with_ignoring_case(rest, s)) {
                let run = rest
                    .find(|c: char| {
                        c.is_whitespace() || c.is_control() || ADDRESS_STOPS.contains(&c)
                    })
                    .unwrap_or(rest.len());
                let kept = without_trailing_punctuation(&rest[..run]);
                // A scheme with nothing after it ("http://", "mailto:") is not an address.
                if kept > scheme.len() {
                    return Some((at, at + kept));
                }
                at += scheme.len();
                continue;
            }
        }
        at += 1;
    }
    None
}

/// Whether byte `at` begins a word, so "xhttp://…" or "foo_mailto:…" never link. Only
/// ASCII letters, digits and `_` glue a scheme to what precedes it: text in other scripts
/// often runs straight into an address ("여기https://…"), and that address still links.
fn starts_word(text: &str, at: usize) -> bool {
    text.as_bytes()[..at]
        .last()
        .is_none_or(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
}

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Length of `candidate` once punctuation that belongs to the sentence is cut off the end.
/// A closing bracket stays when the address opened it, as in
/// `https://en.wikipedia.org/wiki/Rust_(programming_language)`.
fn without_trailing_punctuation(candidate: &str) -> usize {
    let mut end = candidate.len();
    while let Some(last) = candidate[..end].chars().next_back() {
        let kept = &candidate[..end];
        let cut = match last {
            ')' => unbalanced(kept, '(', ')'),
            ']' => unbalanced(kept, '[', ']'),
            '}' => unbalanced(kept, '{', '}'),
            '…' => true,
            c => TRAILING_PUNCTUATION.contains(&c),
        };
        if !cut {
            break;
        }
        end -= last.len_utf8();
    }
    end
}

/// Whether `text` closes `close` more often than it opens `open`.
fn unbalanced(text: &str, open: char, close: char) -> bool {
    text.matches(close).count() > text.matches(open).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn links_are_http_https_and_mailto_addresses_without_trailing_punctuation() {
        use Piece::{Link, Text};
        let cases: &[(&str, &[Piece])] = &[
            ("plain words", &[Text("plain words")]),
            (
                "see https://example.com/a?b=1&c=2#d.",
                &[
                    Text("see "),
                    Link("https://example.com/a?b=1&c=2#d"),
                    Text("."),
                ],
            ),
            (
                "(docs: http://en.wikipedia.org/wiki/Rust_(language)), ok",
                &[
                    Text("(docs: "),
                    Link("http://en.wikipedia.org/wiki/Rust_(language)"),
                    Text("), ok"),
                ],
            ),
            (
                "write mailto:bob@example.com, or HTTPS://EXAMPLE.COM!",
                &[
                    Text("write "),
                    Link("mailto:bob@example.com"),
                    Text(", or "),
                    Link("HTTPS://EXAMPLE.COM"),
                    Text("!"),
                ],
            ),
            (
                "<https://a.test/x> \"http://b.test\"",
                &[
                    Text("<"),
                    Link("https://a.test/x"),
                    Text("> \""),
                    Link("http://b.test"),
                    Text("\""),
                ],
            ),
            (
                "주소: https://예시.한국/경로。",
                &[Text("주소: "), Link("https://예시.한국/경로"), Text("。")],
            ),
            (
                "a\nhttps://x.test\nb",
                &[Text("a\n"), Link("https://x.test"), Text("\nb")],
            ),
            // Other scripts often run straight into an address.
            (
                "여기https://x.test 참고",
                &[Text("여기"), Link("https://x.test"), Text(" 참고")],
            ),
        ];
        for (text, expected) in cases {
            let pieces = split_links(text);
            assert_eq!(&pieces, expected, "{text:?}");
        }
    }

    #[test]
    fn other_schemes_and_bare_schemes_stay_text() {
        for text in [
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "xhttp://glued.test",
            "foo_mailto:x@y.test",
            "http://",
            "https://.",
            "mailto:",
            "http:// spaced.test",
            "ftp://old.test",
        ] {
            assert_eq!(split_links(text), [Piece::Text(text)], "{text:?}");
        }
    }

    #[test]
    fn the_pieces_always_add_up_to_the_text() {
        for text in [
            "",
            "https://a.test",
            "x https://a.test) y (http://b.test/(c)) mailto:d@e.test... é",
            "http://http://nested.test",
            "…https://after-ellipsis.test…",
        ] {
            let joined: String = split_links(text)
                .iter()
                .map(|p| match p {
                    Piece::Text(t) | Piece::Link(t) => *t,
                })
                .collect();
            assert_eq!(joined, text);
        }
    }

    proptest! {
        #[test]
        fn any_text_splits_into_pieces_that_add_up_to_it(text in any::<String>()) {
            let joined: String = split_links(&text)
                .iter()
                .map(|p| match p {
                    Piece::Text(t) | Piece::Link(t) => *t,
                })
                .collect();
            prop_assert_eq!(joined, text);
        }
    }
}
