//! Generated frames for tests: valid in shape, extreme in value. Every field gets values of
//! its own type at and past its limits, values of every other JSON type, deep nesting, and
//! odd Unicode (bidirectional controls, zero width characters, combining marks, lone
//! surrogates written as JSON escapes). Ids come from a small pool, so duplicates and
//! reorderings are common.
//!
//! A seeded [`Rng`] drives it, so the native property tests, the browser test and the fuzz
//! targets share one generator and any run can be replayed from its seed.

use crate::{MAX_ID_BYTES, MAX_SEQ, MAX_TEXT_BYTES_LIMIT};

/// A small deterministic generator (SplitMix64): the same seed gives the same frames.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True once in `n` times.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One of `items`.
    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// The room generated frames mostly go to, so a client that joined it takes them in.
pub const ROOM: &str = "lobby";

/// Numbers at the edges of every numeric field, as JSON text.
const EDGE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "1.5",
    "-0",
    "1e300",
    "-1e300",
    "8640000000000000",
    "8640000000000001",
    "9007199254740991",
    "9007199254740992",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "100000000000000000000000000000",
    "1764000000000",
];

/// Strings that are hard to show, as JSON text (with its quotes).
const ODD_STRINGS: &[&str] = &[
    r#""""#,
    r#"" ""#,
    r#""alice""#,
    r#""\u202eecila""#,
    r#""ali\u200bce""#,
    r#""al\u200dice""#,
    r#""\u2066x\u2069""#,
    r#""\ufeff""#,
    r#""e\u0301\u0301\u0301\u0301\u0301\u0301""#,
    r#""\ud800""#,
    r#""\udc00x""#,
    r#""\ud83d\ude00""#,
    r#""<img src=x onerror=alert(1)>""#,
    r#""\u0000\u0007\u001b""#,
    r#""\n\r\t""#,
    r#""👨‍👩‍👧 می‌خواهم""#,
    r#""javascript:alert(1)""#,
];

/// Any JSON value other than a plain number or string, nested up to `depth`.
fn other_json(rng: &mut Rng, depth: usize) -> String {
    match rng.below(if depth == 0 { 4 } else { 6 }) {
        0 => "null".into(),
        1 => rng.pick(&["true", "false"]).into(),
        2 => "[]".into(),
        3 => "{}".into(),
        4 => format!("[{}]", any_json(rng, depth - 1)),
        _ => format!(r#"{{"k":{}}}"#, any_json(rng, depth - 1)),
    }
}

/// Any JSON value at all.
fn any_json(rng: &mut Rng, depth: usize) -> String {
    match rng.below(3) {
        0 => number(rng),
        1 => string(rng, 40),
        _ => other_json(rng, depth),
    }
}

/// Nesting deeper than any parser limit.
fn deep(rng: &mut Rng) -> String {
    let depth = 100 + rng.below(200);
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn number(rng: &mut Rng) -> String {
    if rng.one_in(2) {
        rng.pick(EDGE_NUMBERS).into()
    } else {
        (rng.next_u64() >> rng.below(64)).to_string()
    }
}

/// A JSON string of up to about `max` characters, mixing plain and odd pieces.
fn string(rng: &mut Rng, max: usize) -> String {
    if rng.one_in(3) {
        return rng.pick(ODD_STRINGS).into();
    }
    let len = rng.below(max + 1);
    let mut out = String::from("\"");
    for _ in 0..len {
        match rng.below(12) {
            0 => out.push_str(rng.pick(&["\\u202e", "\\u2066", "\\u200f", "\\u061c"])),
            1 => out.push_str(rng.pick(&["\\u200b", "\\u200c", "\\u200d", "\\u2060", "\\ufeff"])),
            2 => out.push_str(rng.pick(&["\\u0301", "\\u0336", "\\u20dd"])),
            3 => out.push_str(rng.pick(&["\\\"", "\\\\", "\\n", "\\u0000"])),
            4 => out.push_str(rng.pick(&["한", "ب", "🎉", "Z"])),
            _ => out.push(char::from(b'a' + rng.below(26) as u8)),
        }
    }
    out.push('"');
    out
}

/// A field of type `usual` (given as JSON text): mostly that, sometimes any other JSON.
fn field(rng: &mut Rng, usual: String) -> String {
    match rng.below(16) {
        0 => other_json(rng, 3),
        1 => number(rng),
        2 => string(rng, 8),
        3 if rng.one_in(8) => deep(rng),
        _ => usual,
    }
}

fn quoted(value: &str) -> String {
    format!("\"{value}\"")
}

/// An id from a small pool (duplicates are the point), or an extreme one.
fn id(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => quoted(&"i".repeat(MAX_ID_BYTES + rng.below(2))),
        1 => r#""""#.into(),
        _ => quoted(&format!("g{}", rng.below(40))),
    }
}

fn room(rng: &mut Rng) -> String {
    if rng.one_in(10) {
        string(rng, 70)
    } else {
        quoted(ROOM)
    }
}

fn name(rng: &mut Rng) -> String {
    if rng.one_in(3) {
        string(rng, 70)
    } else {
        quoted(rng.pick(&["bob", "carol", "dave", "mallory"]))
    }
}

fn text(rng: &mut Rng) -> String {
    match rng.below(20) {
        0 => quoted(&"x".repeat(MAX_TEXT_BYTES_LIMIT + rng.below(2))),
        1 => quoted(&"\\\"".repeat(2000)),
        _ => string(rng, 200),
    }
}

fn seq(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => number(rng),
        1 => MAX_SEQ.to_string(),
        _ => (1 + rng.below(60)).to_string(),
    }
}

fn ts(rng: &mut Rng) -> String {
    if rng.one_in(2) {
        number(rng)
    } else {
        (1_764_000_000_000 + rng.below(1 << 30) as u64).to_string()
    }
}

/// Appends `"key":value` pairs, each sometimes left out, to an object.
fn object(rng: &mut Rng, kind: Option<&str>, fields: Vec<(&str, String)>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(kind) = kind {
        parts.push(format!(r#""type":"{kind}""#));
    }
    for (key, value) in fields {
        if !rng.one_in(20) {
            let value = field(rng, value);
            parts.push(format!(r#""{key}":{value}"#));
        }
    }
    if rng.one_in(10) {
        parts.push(format!(r#""extra":{}"#, any_json(rng, 4)));
    }
    // Reordered keys are as valid as any order.
    if rng.one_in(4) {
        parts.reverse();
    }
    format!("{{{}}}", parts.join(","))
}

fn message(rng: &mut Rng, kind: Option<&str>) -> String {
    let fields = vec![
        ("id", id(rng)),
        ("room", room(rng)),
        ("from", name(rng)),
        ("text", text(rng)),
        ("ts", ts(rng)),
        ("seq", seq(rng)),
    ];
    object(rng, kind, fields)
}

/// One generated frame, as the JSON text of a WebSocket text frame.
pub fn frame(rng: &mut Rng) -> String {
    match rng.below(16) {
        0..=5 => message(rng, Some("msg")),
        6 | 7 => {
            let msgs: Vec<String> = (0..rng.below(12)).map(|_| message(rng, None)).collect();
            let fields = vec![
                ("room", room(rng)),
                ("msgs", format!("[{}]", msgs.join(","))),
                ("more", rng.pick(&["true", "false"]).into()),
                ("latest", seq(rng)),
                ("req", seq(rng)),
            ];
            object(rng, Some("history"), fields)
        }
        8 => {
            let fields = vec![("id", id(rng)), ("room", room(rng)), ("seq", seq(rng))];
            object(rng, Some("ack"), fields)
        }
        9 => {
            let users: Vec<String> = (0..rng.below(30)).map(|_| name(rng)).collect();
            let fields = vec![
                ("room", room(rng)),
                ("users", format!("[{}]", users.join(","))),
                ("count", number(rng)),
            ];
            object(rng, Some("presence"), fields)
        }
        10 => {
            let fields = vec![
                ("room", room(rng)),
                ("from", name(rng)),
                ("ttl", number(rng)),
            ];
            object(rng, Some("here"), fields)
        }
        11 => {
            let fields = vec![("room", room(rng)), ("from", name(rng))];
            object(rng, Some("typing"), fields)
        }
        12 => {
            let kind = rng.pick(&["joined", "left"]);
            let fields = vec![("room", room(rng)), ("user", name(rng))];
            object(rng, Some(kind), fields)
        }
        13 => {
            let fields = vec![
                ("code", string(rng, 20)),
                ("message", text(rng)),
                ("id", id(rng)),
                ("retry_after", number(rng)),
            ];
            object(rng, Some("error"), fields)
        }
        14 => {
            let kind = rng.pick(&["ping", "pong", "sparkle", "join", "fetch", "leave"]);
            let fields = vec![
                ("ts", number(rng)),
                ("room", room(rng)),
                ("after", seq(rng)),
                ("before", seq(rng)),
                ("limit", number(rng)),
                ("req", seq(rng)),
            ];
            object(rng, Some(kind), fields)
        }
        _ => {
            // A server announcing itself mid-stream, with extreme limits.
            let fields = vec![
                ("epoch", quoted(rng.pick(&["e1", "e2"]))),
                (
                    "features",
                    r#"["history","ack","presence","typing","ping"]"#.into(),
                ),
                ("max_text", number(rng)),
            ];
            object(rng, Some("hello"), fields)
        }
    }
}
