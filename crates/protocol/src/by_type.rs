//! Decoding a frame's text by its `type` key: first the key alone, then the one frame type it
//! names, each read straight from the text.
//!
//! This is what `#[serde(tag = "type")]` on [`Frame`] accepts, to the frame, without its way of
//! getting there: serde buffers the whole object into a generic tree before it knows the type,
//! and that tree's decoders for every frame type were a large share of the client's wasm. The
//! text is read twice instead, once skipping every key but `type`.

use crate::Frame;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// The `type` key's names, in [`Frame`]'s order. Derived like the tag of the `Frame` enum, so
/// a key is read exactly as there: a known name, the index of a variant, or anything else as
/// [`FrameType::Unknown`].
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FrameType {
    Hello,
    Auth,
    Authed,
    Join,
    Leave,
    Msg,
    Ack,
    Fetch,
    History,
    Presence,
    Here,
    Typing,
    Ping,
    Pong,
    Error,
    Joined,
    Left,
    Catchup,
    Missed,
    #[cfg(feature = "actions")]
    Edit,
    #[cfg(feature = "actions")]
    Delete,
    #[cfg(feature = "actions")]
    React,
    #[cfg(feature = "actions")]
    Read,
    #[cfg(feature = "actions")]
    Search,
    #[cfg(feature = "actions")]
    Results,
    #[serde(other)]
    Unknown,
}

/// The `type` of a frame, read with every other value skipped. Like `Frame`'s derived
/// decoder it takes an object (a missing or repeated `type` is an error) or an array whose
/// first element is the type.
struct TypeOf(FrameType);

impl<'de> Deserialize<'de> for TypeOf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TypeOfVisitor)
    }
}

struct TypeOfVisitor;

impl<'de> Visitor<'de> for TypeOfVisitor {
    type Value = TypeOf;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a frame")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TypeOf, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key != TYPE {
                map.next_value::<IgnoredAny>()?;
            } else if found.is_some() {
                return Err(de::Error::duplicate_field(TYPE));
            } else {
                found = Some(map.next_value()?);
            }
        }
        found
            .map(TypeOf)
            .ok_or_else(|| de::Error::missing_field(TYPE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TypeOf, A::Error> {
        let frame_type = seq
            .next_element()?
            .ok_or_else(|| de::Error::missing_field(TYPE))?;
        let mut rest = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            rest += 1;
        }
        // An unknown type has no body to read the rest as, so an array must end with it.
        if matches!(frame_type, FrameType::Unknown) && rest > 0 {
            return Err(de::Error::invalid_length(
                rest,
                &"an unknown frame type alone",
            ));
        }
        Ok(TypeOf(frame_type))
    }
}

/// The body of a frame whose type is known, read as that type's struct: the object (whose
/// `type` key is ignored like any unknown key), or the array's elements after the type.
///
/// One visitor for every frame type, so serde_json's value dispatch is built once for all of
/// them rather than once per frame type (a generic `Body<T>` cost about 20 KB of wasm).
struct BodyOf(FrameType);

impl<'de> DeserializeSeed<'de> for BodyOf {
    type Value = Frame;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Frame, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BodyOf {
    type Value = Frame;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a frame")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Frame, A::Error> {
        self.0.read(MapAccessDeserializer::new(map))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Frame, A::Error> {
        seq.next_element::<IgnoredAny>()?;
        self.0.read(SeqAccessDeserializer::new(seq))
    }
}

impl FrameType {
    /// The frame of this type that `body` holds.
    fn read<'de, D: Deserializer<'de>>(self, body: D) -> Result<Frame, D::Error> {
        Ok(match self {
            FrameType::Hello => Frame::Hello(Deserialize::deserialize(body)?),
            FrameType::Auth => Frame::Auth(Deserialize::deserialize(body)?),
            FrameType::Authed => Frame::Authed(Deserialize::deserialize(body)?),
            FrameType::Join => Frame::Join(Deserialize::deserialize(body)?),
            FrameType::Leave => Frame::Leave(Deserialize::deserialize(body)?),
            FrameType::Msg => Frame::Msg(Deserialize::deserialize(body)?),
            FrameType::Ack => Frame::Ack(Deserialize::deserialize(body)?),
            FrameType::Fetch => Frame::Fetch(Deserialize::deserialize(body)?),
            FrameType::History => Frame::History(Deserialize::deserialize(body)?),
            FrameType::Presence => Frame::Presence(Deserialize::deserialize(body)?),
            FrameType::Here => Frame::Here(Deserialize::deserialize(body)?),
            FrameType::Typing => Frame::Typing(Deserialize::deserialize(body)?),
            FrameType::Ping => Frame::Ping(Deserialize::deserialize(body)?),
            FrameType::Pong => Frame::Pong(Deserialize::deserialize(body)?),
            FrameType::Error => Frame::Error(Deserialize::deserialize(body)?),
            FrameType::Joined => Frame::Joined(Deserialize::deserialize(body)?),
            FrameType::Left => Frame::Left(Deserialize::deserialize(body)?),
            FrameType::Catchup => Frame::Catchup(Deserialize::deserialize(body)?),
            FrameType::Missed => Frame::Missed(Deserialize::deserialize(body)?),
            #[cfg(feature = "actions")]
            FrameType::Edit => Frame::Edit(Deserialize::deserialize(body)?),
            #[cfg(feature = "actions")]
            FrameType::Delete => Frame::Delete(Deserialize::deserialize(body)?),
            #[cfg(feature = "actions")]
            FrameType::React => Frame::React(Deserialize::deserialize(body)?),
            #[cfg(feature = "actions")]
            FrameType::Read => Frame::Read(Deserialize::deserialize(body)?),
            #[cfg(feature = "actions")]
            FrameType::Search => Frame::Search(Deserialize::deserialize(body)?),
            #[cfg(feature = "actions")]
            FrameType::Results => Frame::Results(Deserialize::deserialize(body)?),
            FrameType::Unknown => Frame::Unknown,
        })
    }
}

const TYPE: &str = "type";

/// `text` as the frame its `type` names, with [`Frame`]'s own decoding rules.
pub(crate) fn from_text(text: &str) -> serde_json::Result<Frame> {
    let TypeOf(frame_type) = serde_json::from_str(text)?;
    if matches!(frame_type, FrameType::Unknown) {
        return Ok(Frame::Unknown);
    }
    let mut body = serde_json::Deserializer::from_str(text);
    let frame = BodyOf(frame_type).deserialize(&mut body)?;
    // As `serde_json::from_str`: nothing but whitespace may follow the frame.
    body.end()?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::from_text;
    use crate::Frame;

    /// Frames of every type, and shapes that are not frames.
    const SEEDS: &[&str] = &[
        r#"{"type":"hello","server":"s/1","epoch":"e1","features":["history","ack"],"max_text":4000}"#,
        r#"{"type":"auth","token":"a.b.c"}"#,
        r#"{"type":"authed","uid":"u-1","name":"alice","exp":1764000000000}"#,
        r#"{"type":"join","room":"lobby","name":"alice","after":41,"epoch":"e1","deltas":true,"req":7}"#,
        r#"{"type":"leave","room":"lobby"}"#,
        r#"{"type":"msg","id":"m-1","room":"lobby","from":"alice","text":"Hello","ts":1764000000000,"seq":3}"#,
        r#"{"type":"ack","id":"m-1","room":"lobby","seq":3}"#,
        r#"{"type":"fetch","room":"lobby","before":40,"limit":50,"req":2}"#,
        r#"{"type":"history","room":"lobby","msgs":[{"id":"a","room":"lobby","from":"b","text":"c","ts":1,"seq":1}],"more":true,"latest":9,"req":2}"#,
        r#"{"type":"presence","room":"lobby","users":["alice","bob"],"count":2}"#,
        r#"{"type":"here","room":"lobby","from":"alice","ttl":30}"#,
        r#"{"type":"typing","room":"lobby","from":"alice"}"#,
        r#"{"type":"ping","ts":12}"#,
        r#"{"type":"pong","ts":12}"#,
        r#"{"type":"error","code":"rate_limited","message":"slow down","id":"m-1","retry_after":500,"req":3}"#,
        r#"{"type":"joined","room":"lobby","user":"bob"}"#,
        r#"{"type":"left","room":"lobby","user":"bob"}"#,
        r#"{"type":"catchup","room":"lobby","from":"alice","since":5}"#,
        r#"{"type":"missed","room":"lobby","to":"alice","msgs":[]}"#,
        r#"{"type":"msg","id":"m-2","room":"lobby","from":"bob","text":"yes","ts":1,"reply_to":"m-1","edited":2,"deleted":3,"reactions":[{"emoji":"👍","count":2,"users":["a","b"]}]}"#,
        r#"{"type":"edit","room":"lobby","id":"m-1","text":"fixed","from":"alice","uid":"u1","ts":5}"#,
        r#"{"type":"delete","room":"lobby","id":"m-1","from":"alice","ts":5}"#,
        r#"{"type":"react","room":"lobby","id":"m-1","emoji":"👍","on":true,"from":"bob"}"#,
        r#"{"type":"read","room":"lobby","seq":57}"#,
        r#"{"type":"search","room":"lobby","q":"lunch "friday" NEAR(a b)","req":1}"#,
        r#"{"type":"results","room":"lobby","msgs":[{"id":"a","room":"lobby","from":"b","text":"c","ts":1,"seq":1}],"req":1}"#,
        r#"{"type":"history","room":"lobby","msgs":[],"read":4}"#,
        r#"{"type":"sparkle","x":[1,{"y":null}]}"#,
        r#"{"room":"lobby","type":"leave","extra":{"type":"msg"}}"#,
        r#"{"type":"leave","type":"leave","room":"lobby"}"#,
        r#"{"type":2,"room":"lobby"}"#,
        r#"{"type":99,"room":"lobby"}"#,
        r#"{"type":null,"room":"lobby"}"#,
        r#"{"type":["leave"],"room":"lobby"}"#,
        r#"{"room":"lobby"}"#,
        r#"["leave","lobby"]"#,
        r#"["sparkle"]"#,
        r#"[]"#,
        r#"{}"#,
        r#""leave""#,
        r#"{"type":"leave","room":"lobby"} x"#,
        r#"{"type":"ping","ts":-1}"#,
        r#"{"type":"ping","ts":1.5}"#,
        r#"{"type":"ping","ts":"1"}"#,
    ];

    fn serde_tagged(text: &str) -> Option<Frame> {
        serde_json::from_str(text).ok()
    }

    // The hand-written decoder must take exactly the frames the derived `Frame` decoder takes,
    // and read them to the same values: the wire format is what peers already speak.
    #[test]
    fn decodes_exactly_what_the_tagged_enum_decodes() {
        let mut inputs: Vec<String> = Vec::new();
        for seed in SEEDS {
            inputs.push((*seed).to_string());
            // Every prefix, and every single-byte replacement with a few telling bytes.
            for end in 0..seed.len() {
                if seed.is_char_boundary(end) {
                    inputs.push(seed[..end].to_string());
                }
            }
            for at in 0..seed.len() {
                for byte in [b'"', b'1', b'}', b',', b' '] {
                    let mut bytes = seed.as_bytes().to_vec();
                    bytes[at] = byte;
                    if let Ok(text) = String::from_utf8(bytes) {
                        inputs.push(text);
                    }
                }
            }
        }
        let mut accepted = 0;
        for text in &inputs {
            let ours = from_text(text).ok();
            assert_eq!(ours, serde_tagged(text), "{text}");
            accepted += usize::from(ours.is_some());
        }
        // The mutations must leave plenty of frames that decode, or this compares only errors.
        assert!(accepted > SEEDS.len(), "{accepted} accepted");
    }
}
