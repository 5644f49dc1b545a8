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

/// One or two letters for an avatar: the first letters of the first two words, upper-cased
/// ("Ada Lovelace" → "AL", "bob" → "B", "김민준" → "김").
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}
