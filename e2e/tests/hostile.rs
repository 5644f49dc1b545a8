//! Hostile frames from a peer on a plain relay: every frame that is not a valid object of a
//! known type is dropped and counted, a message whose time no browser can show is shown
//! with its time of arrival and counted, markup is never run, and the chat goes on.
//! See the rules for receivers and the limits in PROTOCOL.md.

use std::time::Duration;

use serde_json::{json, Value};
use wirechat_e2e::{bounded, Harness, RawFrame, RawSocket, Relay, RelayMode, TEST_BOUND};

const ROOM: &str = "lobby";

/// The `data-testid` of the count under Connection details → Repaired frames.
const REPAIRED_FRAMES: &str = "repaired-frames";

/// The texts of the messages that must be dropped all start with this, so the test can
/// prove none of them was shown.
const DROPPED_MARK: &str = "dropped:";

const MARKUP_NAME: &str = r#"<img src=x onerror="window.__pwned=1">"#;
const MARKUP_TEXT: &str = "<script>window.__pwned=2</script><b>bold</b>";
const CONTROL_TEXT: &str = "a\u{7}b\u{1b}c";

/// What the page must do with a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    /// Not a valid object of a known type: dropped and counted.
    Dropped,
    /// A valid frame of a type this client does not know: ignored, not counted.
    Ignored,
    /// A valid message: shown, with exactly this sender and text.
    Shown { from: String, text: String },
    /// A message whose `ts` no `Date` can hold: shown, with the time it arrived, and
    /// counted as repaired.
    ShownAtArrival { id: String, text: String },
}

struct HostileFrame {
    what: &'static str,
    frame: RawFrame,
    verdict: Verdict,
}

fn dropped(what: &'static str, frame: RawFrame) -> HostileFrame {
    HostileFrame {
        what,
        frame,
        verdict: Verdict::Dropped,
    }
}

fn text(raw: impl Into<String>) -> RawFrame {
    RawFrame::Text(raw.into())
}

/// A valid chat message in [`ROOM`].
fn msg(id: &str, from: &str, text: &str) -> Value {
    json!({ "type": "msg", "id": id, "room": ROOM, "from": from, "text": text, "ts": 1_764_000_000_000u64 })
}

/// `msg` with `key` set to `value`, or removed when `value` is `None`.
fn msg_with(id: &str, key: &str, value: Option<Value>) -> RawFrame {
    let mut frame = msg(id, "mallory", &format!("{DROPPED_MARK} {id}"));
    match value {
        Some(value) => frame[key] = value,
        None => {
            frame
                .as_object_mut()
                .expect("a message is an object")
                .remove(key);
        }
    }
    text(frame.to_string())
}

fn shown(what: &'static str, id: &str, from: &str, body: &str) -> HostileFrame {
    HostileFrame {
        what,
        frame: text(msg(id, from, body).to_string()),
        verdict: Verdict::Shown {
            from: from.to_owned(),
            text: body.to_owned(),
        },
    }
}

/// A message from "clock" whose `ts` is the JSON number `ts`, written as is.
fn unrepresentable_time(what: &'static str, id: &str, ts: &str) -> HostileFrame {
    let body = format!("sent at {ts}");
    HostileFrame {
        what,
        frame: text(format!(
            r#"{{"type":"msg","id":"{id}","room":"{ROOM}","from":"clock","text":"{body}","ts":{ts}}}"#
        )),
        verdict: Verdict::ShownAtArrival {
            id: id.to_owned(),
            text: body,
        },
    }
}

fn hostile_frames() -> Vec<HostileFrame> {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let nested = format!(
        r#"{{"type":"msg","id":"deep","room":"{ROOM}","from":"mallory","text":"{DROPPED_MARK} deep","ts":1,"extra":{deep}}}"#
    );
    // Escaped in the JSON source, so the frame itself is valid UTF-8 and only the decoded
    // string would hold the lone surrogate.
    let surrogate = format!(
        r#"{{"type":"msg","id":"surrogate","room":"{ROOM}","from":"mallory","text":"{DROPPED_MARK} \ud800","ts":1}}"#
    );
    // A perfectly good message, but in a binary frame, which the protocol never uses.
    let binary = msg("binary", "mallory", &format!("{DROPPED_MARK} binary")).to_string();
    let huge = msg(
        "huge",
        "mallory",
        &format!("{DROPPED_MARK} {}", "x".repeat(1 << 20)),
    );
    vec![
        dropped("not JSON", text("this is { not json")),
        dropped("an array", text("[1,2]")),
        dropped("a number", text("42")),
        dropped("a string", text(r#""str""#)),
        dropped("null", text("null")),
        dropped("an empty object", text("{}")),
        dropped("a null type", text(r#"{"type":null}"#)),
        dropped("no type", text(r#"{"id":"x"}"#)),
        dropped(
            "a numeric text",
            msg_with("numeric-text", "text", Some(json!(7))),
        ),
        dropped("no sender", msg_with("no-from", "from", None)),
        dropped(
            "a string ts",
            msg_with("string-ts", "ts", Some(json!("1764000000000"))),
        ),
        HostileFrame {
            what: "an unknown type",
            frame: text(r#"{"type":"sparkle","x":1}"#),
            verdict: Verdict::Ignored,
        },
        dropped("a 1 MiB text", text(huge.to_string())),
        dropped("JSON nested 5000 deep", text(nested)),
        shown("control characters", "control", "ctrl", CONTROL_TEXT),
        // Finding: a `ts` past what `Date` holds threw a RangeError while rendering, the wasm
        // aborted and the page was dead for everyone in the room.
        unrepresentable_time("ts 2^64-1", "ts-u64-max", "18446744073709551615"),
        unrepresentable_time("ts 8.64e15+1", "ts-past-date", "8640000000000001"),
        unrepresentable_time("ts 1e300", "ts-1e300", "1e300"),
        unrepresentable_time("ts -1", "ts-negative", "-1"),
        unrepresentable_time("ts 1.5", "ts-fraction", "1.5"),
        dropped("a lone surrogate", text(surrogate)),
        dropped("a binary frame", RawFrame::Binary(binary.into_bytes())),
        shown("markup", "markup", MARKUP_NAME, MARKUP_TEXT),
        shown(
            "a javascript: text",
            "js-text",
            "mallory",
            "javascript:window.__pwned=3",
        ),
        shown(
            "a javascript: link",
            "js-link",
            "mallory",
            "[click](javascript:alert(1))",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_frames_are_dropped_or_shown_as_text_and_the_chat_goes_on() {
    let harness = Harness::start().await;
    let relay = Relay::start(RelayMode::Broadcast).await;
    bounded(TEST_BOUND, async {
        let alice = harness.join_on(&relay.ws_url(), ROOM, "alice").await;
        // Frames before the relay verdict would race the wait for `hello`.
        alice.wait_for_note("History is unavailable").await;
        let mut bob = RawSocket::connect(&relay.ws_url(), "bob's raw client").await;

        let frames = hostile_frames();
        for hostile in &frames {
            bob.send(&hostile.frame).await;
        }
        bob.send_json(&msg("final", "bob", "bob is still here"))
            .await;

        // The relay keeps order, so once this shows, every hostile frame has been handled.
        let rows = alice.wait_for_message("bob", "bob is still here").await;
        assert!(
            alice.status_text().await.contains("Connected"),
            "status {:?} after the hostile frames",
            alice.status_text().await
        );
        for hostile in &frames {
            if let Verdict::Shown { from, text } = &hostile.verdict {
                let count = rows.iter().filter(|row| row.shows(from, text)).count();
                assert_eq!(count, 1, "{}: shown {count} times: {rows:?}", hostile.what);
            }
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_millis() as f64;
        let mut repaired = 0;
        for hostile in &frames {
            let Verdict::ShownAtArrival { id, text } = &hostile.verdict else {
                continue;
            };
            repaired += 1;
            let count = rows.iter().filter(|row| row.shows("clock", text)).count();
            assert_eq!(count, 1, "{}: shown {count} times: {rows:?}", hostile.what);
            let shown_ms = alice
                .evaluate(
                    "const slot = findByRole('log', 'Messages')
                       .querySelector(`[data-id=\"${arguments[0]}\"]`);
                     return Date.parse(slot.querySelector('time').getAttribute('datetime'));",
                    vec![json!(id)],
                )
                .await;
            let shown_ms = shown_ms.as_f64().unwrap_or(f64::NAN);
            assert!(
                (shown_ms - now_ms).abs() < 10.0 * 60_000.0,
                "{}: shown with time {shown_ms}, not its arrival near {now_ms}",
                hostile.what
            );
        }
        alice
            .wait_for_test_id_text(REPAIRED_FRAMES, &repaired.to_string())
            .await;
        let leaked: Vec<_> = rows
            .iter()
            .filter(|row| row.text.contains(DROPPED_MARK))
            .collect();
        assert!(leaked.is_empty(), "invalid frames were shown: {leaked:?}");

        let invalid = frames
            .iter()
            .filter(|hostile| hostile.verdict == Verdict::Dropped)
            .count();
        alice.wait_for_dropped_frames(invalid as u64).await;

        let census = alice
            .evaluate(
                "const log = findByRole('log', 'Messages');
                 return {
                   img: log.querySelectorAll('img').length,
                   script: log.querySelectorAll('script').length,
                   b: log.querySelectorAll('b').length,
                   javascriptLinks: log.querySelectorAll('a[href^=\"javascript:\"]').length,
                   pwned: typeof window.__pwned,
                 };",
                vec![],
            )
            .await;
        assert_eq!(
            census,
            json!({ "img": 0, "script": 0, "b": 0, "javascriptLinks": 0, "pwned": "undefined" }),
            "markup from the wire became elements or ran"
        );

        alice.send("alice can still send").await;
        bob.wait_for_json(Duration::from_secs(15), |frame| {
            frame["type"] == "msg"
                && frame["from"] == "alice"
                && frame["text"] == "alice can still send"
        })
        .await;
    })
    .await;
    harness.shutdown().await;
}
