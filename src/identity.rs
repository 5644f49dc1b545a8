//! How a display name looks: a colour and initials, the same for a name everywhere.

/// How many colours names are spread over (`.c0` … `.c11` in the stylesheet).
pub const COLOURS: u32 = 12;

/// The colour slot of `name`, stable across sessions and browsers (FNV-1a of its bytes).
pub fn colour_slot(name: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.as_bytes() {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % COLOURS
}

/// One or two letters for an avatar: the first letter or digit of each of the first two
/// words, upper-cased ("Ada Lovelace" → "AL", "bob" → "B", "김민준" → "김", "(eve)" → "E").
///
/// Which characters are letters, and their upper case, come from the browser's Unicode
/// tables (a regular expression and `toUpperCase`): Rust's own tables would add about 7 KiB
/// to the compressed download for two letters per avatar.
pub fn initials(name: &str) -> String {
    let letters: String = LETTER_OR_DIGIT.with(|pattern| {
        name.split_whitespace()
            .filter_map(|word| pattern.exec(word)?.get(0).as_string())
            .take(2)
            .collect()
    });
    String::from(js_sys::JsString::from(letters).to_upper_case())
}

thread_local! {
    static LETTER_OR_DIGIT: js_sys::RegExp = js_sys::RegExp::new(r"[\p{L}\p{N}]", "u");
}
