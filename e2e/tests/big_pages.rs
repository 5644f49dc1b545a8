//! History of the longest messages reaches the page whole: a room of 500 messages of the
//! longest text the server accepts, most of it text that JSON writes as two to six bytes a
//! character, is read back to its first message by scrolling, and a gap of such messages,
//! larger than one server frame, is filled after the link comes back.
//!
//! The page drops any frame over 512 KiB, so a server answering a join, a scroll-back or a
//! resume with one frame per page of messages would leave the reader stuck. Run with
//! `cargo test -p wirechat-e2e --test e2e big_pages:: -- --test-threads=1 --nocapture`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;
use wirechat_e2e::{bounded, wait_until, Browser, Harness, Proxy, ProxyMode, RoomBot};
use wirechat_server::{Config, FlowLimits};

/// Messages in the room before the page opens.
const SEEDED: usize = 500;

/// Messages posted while the reader's link is down.
const GAP: usize = 120;

/// The largest frame the reference server sends (`wirechat_protocol::MAX_SERVER_FRAME_BYTES`);
/// the gap must be larger, so filling it takes more than one page.
const SERVER_FRAME_BYTES: usize = 256 * 1024;

/// How long one step (a page of history loading, the link being noticed or coming back)
/// may take on a busy machine.
const STEP_LIMIT: Duration = Duration::from_secs(30);

/// How long the whole test may take.
const BOUND: Duration = Duration::from_secs(110);

const ROOM: &str = "archive";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_of_the_longest_escape_heavy_messages_scroll_back_and_fill_gaps_whole() {
    let harness = Harness::start_with(|config| {
        config.flow = FlowLimits {
            // The bot seeds faster than the rate limits let a person type, and its own
            // echoes of over 10 KB each may wait for it by the hundred.
            queue_bytes: 64 * 1024 * 1024,
            ..FlowLimits::unmetered()
        };
    })
    .await;
    let link = Proxy::start(server_addr(&harness.app().ws_url())).await;
    bounded(BOUND, async {
        let started = Instant::now();
        let mut bot = RoomBot::join(&harness.app().ws_url(), ROOM, "archivist").await;
        bot.say_all((1..=SEEDED).map(long_text)).await;
        println!(
            "seeded {SEEDED} messages of {} bytes ({} KB as JSON) in {:.1} s",
            max_text_bytes(),
            (1..=SEEDED).map(|n| json_len(&long_text(n))).sum::<usize>() / 1000,
            started.elapsed().as_secs_f64()
        );

        let reader = harness.join_on(&link.ws_url(), ROOM, "reader").await;
        let mut shown = Shown::default();
        let newest = wait_for_rows(&reader, &mut shown, "the newest message", |rows| {
            rows.last().is_some_and(|r| r.number == SEEDED)
        })
        .await;

        // Back to the first message, a page at a time, as a reader dragging to the top does.
        let scrolling = Instant::now();
        let mut oldest = newest[0].number;
        let mut pages = 0;
        while oldest > 1 {
            reader.set_log_scroll_top(0.0).await;
            let what = format!("messages older than #{oldest:04}");
            let rows =
                wait_for_rows(&reader, &mut shown, &what, |rows| rows[0].number < oldest).await;
            oldest = rows[0].number;
            pages += 1;
        }
        println!(
            "scrolled back to #0001 in {pages} pages and {:.1} s",
            scrolling.elapsed().as_secs_f64()
        );
        wait_until(
            "reader: the note that the conversation begins here",
            STEP_LIMIT,
            || async {
                let note = history_note(&reader).await;
                if note == "Beginning of the conversation" {
                    Ok(())
                } else {
                    Err(format!("note {note:?}"))
                }
            },
        )
        .await;
        shown.expect_exactly(1..=SEEDED);

        // Back at the bottom, the link goes down while a gap bigger than a frame builds up.
        reader.set_log_scroll_top(f64::INFINITY).await;
        wait_for_rows(&reader, &mut shown, "the newest message again", |rows| {
            rows.last().is_some_and(|r| r.number == SEEDED)
        })
        .await;
        link.set_mode(ProxyMode::Refuse);
        link.cut_all();
        wait_until(
            "reader: the status to leave \"Connected\"",
            STEP_LIMIT,
            || async {
                let status = reader.status_text().await;
                if status.is_empty() || status == "Connected" {
                    Err(format!("status {status:?}"))
                } else {
                    Ok(())
                }
            },
        )
        .await;
        let gap: Vec<String> = (SEEDED + 1..=SEEDED + GAP).map(escape_heavy_text).collect();
        let gap_bytes: usize = gap.iter().map(|text| json_len(text)).sum();
        assert!(
            gap_bytes > 2 * SERVER_FRAME_BYTES,
            "the gap is only {gap_bytes} bytes as JSON: it would fit one history page"
        );
        bot.say_all(gap).await;

        link.set_mode(ProxyMode::Forward);
        let healed = Instant::now();
        reader.wait_for_status("Connected").await;
        let what = "reader: the whole gap at the bottom of the log";
        let rows = wait_until(what, STEP_LIMIT, || async {
            // A reader who lost the bottom while the gap filled goes back to it.
            reader.set_log_scroll_top(f64::INFINITY).await;
            let rows = read_rows(&reader).await?;
            expect_consecutive(&rows);
            if rows.last().is_some_and(|r| r.number == SEEDED + GAP) {
                Ok(rows)
            } else {
                Err(format!(
                    "{}; dropped frames {:?}; status {:?}",
                    describe(&rows),
                    reader.dropped_frames().await,
                    reader.status_text().await
                ))
            }
        })
        .await;
        shown.record(&rows);
        println!(
            "filled a gap of {GAP} messages ({} KB as JSON) {:.1} s after the link came back",
            gap_bytes / 1000,
            healed.elapsed().as_secs_f64()
        );

        // Only the rows near the view are in the DOM: walk up from the bottom, a window at
        // a time, until the last message from before the gap shows.
        let mut first = rows[0].number;
        while first > SEEDED {
            let view = reader.log_view().await;
            let top = view
                .first_rendered
                .as_ref()
                .map_or(0.0, |row| view.scroll_top + row.offset);
            reader.set_log_scroll_top(top).await;
            let what = format!("messages above #{first:04}");
            let rows =
                wait_for_rows(&reader, &mut shown, &what, |rows| rows[0].number < first).await;
            first = rows[0].number;
        }
        shown.expect_exactly(1..=SEEDED + GAP);
        assert_eq!(
            reader.dropped_frames().await,
            Ok(0),
            "the page dropped frames from the server"
        );
    })
    .await;
    harness.shutdown().await;
}

/// One message row: the number its marker shows, and the message id of its slot.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    number: usize,
    id: String,
}

/// Every message seen in any row so far, by number, with the id it was shown under.
#[derive(Default)]
struct Shown(BTreeMap<usize, String>);

impl Shown {
    /// Records `rows`; panics if one number was shown under two message ids, that is, the
    /// same message twice.
    fn record(&mut self, rows: &[Row]) {
        for row in rows {
            let id = self.0.entry(row.number).or_insert_with(|| row.id.clone());
            assert_eq!(*id, row.id, "#{:04} was shown as two messages", row.number);
        }
    }

    /// Panics unless exactly the messages `numbers` were shown.
    fn expect_exactly(&self, numbers: std::ops::RangeInclusive<usize>) {
        let missing: Vec<usize> = numbers
            .clone()
            .filter(|n| !self.0.contains_key(n))
            .collect();
        let extra: Vec<usize> = self
            .0
            .keys()
            .copied()
            .filter(|n| !numbers.contains(n))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "never shown: {missing:?}; shown though never sent: {extra:?}"
        );
    }
}

/// Waits until the log's rows satisfy `holds`, checking every look at them: the rows are
/// consecutive messages, in order, each once. Returns the rows.
async fn wait_for_rows(
    browser: &Browser,
    shown: &mut Shown,
    what: &str,
    holds: impl Fn(&[Row]) -> bool,
) -> Vec<Row> {
    let what = format!("{}: rows up to {what}", browser.label());
    let rows = wait_until(&what, STEP_LIMIT, || async {
        let rows = read_rows(browser).await?;
        expect_consecutive(&rows);
        if !rows.is_empty() && holds(&rows) {
            Ok(rows)
        } else {
            Err(describe(&rows))
        }
    })
    .await;
    shown.record(&rows);
    rows
}

/// The message rows in the DOM, top to bottom.
async fn read_rows(browser: &Browser) -> Result<Vec<Row>, String> {
    let rows = browser
        .evaluate(
            "const log = findByRole('log', 'Messages');
             if (!log) return null;
             return Array.from(log.querySelectorAll('*'))
               .filter((el) => roleOf(el) === 'article')
               .map((row) => {
                 const slot = row.closest('[data-id]');
                 const text = row.querySelector('.msg-text');
                 return [slot ? slot.getAttribute('data-id') : '',
                         text ? text.textContent.slice(0, 6) : ''];
               });",
            vec![],
        )
        .await;
    let rows = rows.as_array().ok_or("no message log")?;
    rows.iter()
        .map(|row| {
            let marker = row[1].as_str().unwrap_or_default();
            let number = number_of(marker).ok_or_else(|| format!("a row starting {marker:?}"))?;
            let id = row[0].as_str().unwrap_or_default().to_owned();
            Ok(Row { number, id })
        })
        .collect()
}

/// Panics unless `rows` are consecutive messages in order: none missing between two, none
/// twice, none out of place.
fn expect_consecutive(rows: &[Row]) {
    for pair in rows.windows(2) {
        assert_eq!(
            pair[1].number,
            pair[0].number + 1,
            "#{:04} follows #{:04} in the log, which shows {}",
            pair[1].number,
            pair[0].number,
            describe(rows)
        );
    }
}

fn describe(rows: &[Row]) -> String {
    match (rows.first(), rows.last()) {
        (Some(first), Some(last)) => format!(
            "{} rows, #{:04} to #{:04}",
            rows.len(),
            first.number,
            last.number
        ),
        _ => "no rows".to_owned(),
    }
}

/// The note at the top of the log ("" when there is none).
async fn history_note(browser: &Browser) -> String {
    let note = browser
        .evaluate(
            "const log = findByRole('log', 'Messages');
             const note = log && log.querySelector('.history-edge');
             return note ? note.textContent.trim() : '';",
            vec![],
        )
        .await;
    note.as_str().unwrap_or_default().to_owned()
}

/// The longest text the server accepts, in bytes.
fn max_text_bytes() -> usize {
    Config::default().max_text_bytes
}

/// Message `n` of the seeded room: two of every three are escape-heavy, the others plain
/// text of two- and three-byte characters.
fn long_text(n: usize) -> String {
    if n.is_multiple_of(3) {
        text_of(n, &['é', ' ', '한', '글', ' ', 'ü'])
    } else {
        escape_heavy_text(n)
    }
}

/// Message `n` as the longest text the server accepts, made of what JSON escapes: quotes
/// and backslashes (two bytes each) and control characters (`\u0001`, six bytes each).
fn escape_heavy_text(n: usize) -> String {
    text_of(n, &['"', '\\', '"', '\u{1}', '\\', '"'])
}

/// `#NNNN ` and then `filler` over and over, to exactly the longest text the server accepts.
fn text_of(n: usize, filler: &[char]) -> String {
    let limit = max_text_bytes();
    let mut text = format!("#{n:04} ");
    for c in filler.iter().cycle() {
        if text.len() + c.len_utf8() > limit {
            break;
        }
        text.push(*c);
    }
    // A three-byte character that does not fit leaves room for single bytes.
    while text.len() < limit {
        text.push('.');
    }
    text
}

/// The number in a row's `#NNNN ` marker.
fn number_of(marker: &str) -> Option<usize> {
    marker.strip_prefix('#')?.strip_suffix(' ')?.parse().ok()
}

/// How many bytes `text` takes as a JSON string.
fn json_len(text: &str) -> usize {
    Value::from(text).to_string().len()
}

/// The server's address in a `ws://HOST:PORT/ws` URL.
fn server_addr(ws_url: &str) -> SocketAddr {
    ws_url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {ws_url:?}"))
}
