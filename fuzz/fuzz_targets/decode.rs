//! Any bytes as a text frame: decoding never panics, and whatever decodes is within the
//! limits of PROTOCOL.md and encodes back to a frame that decodes to the same thing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wirechat_protocol::{decode, decode_received, encode, Frame, Timestamp, MAX_SEQ};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(frame) = decode(text) {
        assert_eq!(decode(&encode(&frame)).ok(), Some(frame.clone()), "{text}");
    }
    if let Ok(received) =
        decode_received(text, Timestamp::saturating_from_millis(1_764_000_000_000))
    {
        if let Frame::Msg(msg) = &received.frame {
            assert!(msg.ts <= Timestamp::MAX);
            assert!(msg.seq.is_none_or(|s| s <= MAX_SEQ));
        }
        assert_eq!(decode(&encode(&received.frame)).ok(), Some(received.frame));
    }
});
