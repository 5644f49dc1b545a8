//! Characters that change how a name looks without being seen themselves: bidirectional
//! controls, which reorder the text around them, and invisible format characters, which add
//! nothing visible. A name holding one can pass for another name, so names refuse them.

/// Bidirectional formatting characters: embeddings, overrides, isolates and marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing (or as blank space indistinguishable from none) in
/// most fonts: format characters, fillers and the line and paragraph separators.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'               // soft hyphen
            | '\u{034F}'         // combining grapheme joiner
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
            | '\u{17B4}' | '\u{17B5}' // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}' // Mongolian variation selectors and vowel separator
            | '\u{200B}'         // zero width space
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{2060}'..='\u{2065}' // word joiner, invisible operators
            | '\u{206A}'..='\u{206F}' // deprecated format characters
            | '\u{FEFF}'         // zero width no-break space (byte order mark)
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
            | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
            | '\u{1D173}'..='\u{1D17A}' // musical formatting
            | '\u{E0000}'..='\u{E007F}' // tags
    )
}

/// Zero width non-joiner and joiner.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// Scripts from Hebrew on (U+0590) shape letters by context, and emoji sequences are glued
/// with joiners: there a joiner has a visible effect. Latin, Greek, Cyrillic and Armenian,
/// below U+0590, never need one, so one between such letters is only a disguise.
fn needs_joiners(c: char) -> bool {
    c >= '\u{0590}' && !c.is_whitespace() && !is_joiner(c)
}

/// The first character of `value` that could make it look like something it is not, if any.
pub(crate) fn first_deceptive(value: &str) -> Option<char> {
    let chars: Vec<char> = value.chars().collect();
    chars.iter().enumerate().find_map(|(i, &c)| {
        let deceptive = is_bidi_control(c)
            || is_invisible(c)
            || (is_joiner(c) && {
                let before = i.checked_sub(1).and_then(|j| chars.get(j));
                let after = chars.get(i + 1);
                !(before.is_some_and(|&b| needs_joiners(b))
                    && after.is_some_and(|&a| needs_joiners(a)))
            });
        deceptive.then_some(c)
    })
}
