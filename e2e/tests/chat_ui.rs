//! The chat UI as people use it: rooms in the sidebar on one socket, unread counts, the room
//! in the address bar, presence and typing, scrolling long rooms, links, languages, and the
//! screenshots in `docs/screenshots/`.
//!
//! Every test holds the harness's browser slot, so tests take turns. Run them with
//! `cargo test -p wirechat-e2e --test e2e chat_ui:: -- --test-threads=1 --nocapture`.

use std::future::Future;
use std::time::Duration;

use fantoccini::key::Key;
use tokio::time::Instant;
use wirechat_e2e::{
    bounded, png_size, wait_until, workspace_root, Browser, Harness, LogView, RoomBot, RowPlace,
    ServedApp, DEFAULT_WAIT, PHONE_VIEWPORT, TEST_BOUND, VIEWPORT,
};
use wirechat_protocol::{ChatMessage, Timestamp};
use wirechat_server::{FlowLimits, HistoryStore, MemoryHistory};

/// How far (px) a row may move when it is supposed to stay where the reader sees it.
const STEADY_PX: f64 = 2.0;

/// How close (px) to the end of the log counts as being at the bottom.
const BOTTOM_PX: f64 = 2.0;

/// The most message rows the windowed list may hold in the DOM.
const RENDER_WINDOW: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_joined_from_the_sidebar_share_one_socket() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("r1", "alice").await;
        let bob = harness.join("r1", "bob").await;
        let carol = harness.join("r2", "carol").await;
        let app = harness.app();
        // One socket per page: the baseline every later count is compared with.
        let pages = wait_for_connections(app, 3).await;

        let ((), most) = most_connections_during(app, async {
            alice.join_room_from_sidebar("r2").await;
            // Alice is in r2 on the server, not only in her sidebar: r2's members see her.
            wait_until(
                "carol: alice in #r2's Online list",
                DEFAULT_WAIT,
                || async {
                    let online = carol.online_people().await;
                    if online.iter().any(|n| n == "alice") {
                        Ok(())
                    } else {
                        Err(format!("online {online:?}"))
                    }
                },
            )
            .await;
            alice
                .expect_status_throughout("Connected", Duration::from_millis(500))
                .await;

            bob.send("bob says hi in r1").await;
            carol.send("carol says hi in r2").await;
            // Alice shows r2: carol's message appears, bob's only counts as unread in r1.
            let rows = alice.wait_for_message("carol", "carol says hi in r2").await;
            alice
                .wait_for_rooms("with one unread in #r1", |rooms| {
                    unread_of(rooms, "r1") == Some("1")
                })
                .await;
            assert!(
                !rows.iter().any(|r| r.text.contains("bob says hi in r1")),
                "alice shows r1's message while r2 is open: {rows:?}"
            );

            alice.switch_to_room("r1").await;
            let rows = alice.wait_for_message("bob", "bob says hi in r1").await;
            assert!(
                !rows.iter().any(|r| r.text.contains("carol says hi in r2")),
                "alice shows r2's message in r1: {rows:?}"
            );
            alice.switch_to_room("r2").await;
            alice.wait_for_message("carol", "carol says hi in r2").await;
            alice
                .expect_status_throughout("Connected", Duration::from_millis(300))
                .await;
        })
        .await;

        assert_eq!(
            (most, app.open_connections()),
            (pages, pages),
            "joining and switching rooms opened another socket (most seen, now) instead of \
             reusing alice's"
        );
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_counts_show_on_the_badge_and_in_the_title_until_the_room_is_opened() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("r1", "alice").await;
        alice.join_room_from_sidebar("r2").await;
        alice.switch_to_room("r1").await;
        let carol = harness.join("r2", "carol").await;
        alice
            .wait_for_title("for #r1 without unread", |t| t == "#r1 · wirechat")
            .await;

        carol.send("first while alice is away").await;
        carol.send("second while alice is away").await;
        let rooms = alice
            .wait_for_rooms("with two unread in #r2", |rooms| {
                unread_of(rooms, "r2") == Some("2")
            })
            .await;
        let r2 = rooms.iter().find(|r| r.name == "r2").expect("r2 is listed");
        assert_eq!(
            r2.unread_label.as_deref(),
            Some("2 unread messages"),
            "the badge's accessible name: {rooms:?}"
        );
        assert_eq!(unread_of(&rooms, "r1"), None, "r1 is open: {rooms:?}");
        let title = alice
            .wait_for_title("starting with (2)", |t| t.starts_with("(2)"))
            .await;
        assert_eq!(title, "(2) #r1 · wirechat");

        alice.switch_to_room("r2").await;
        alice
            .wait_for_messages(&[
                ("carol", "first while alice is away"),
                ("carol", "second while alice is away"),
            ])
            .await;
        let rooms = alice
            .wait_for_rooms("with no unread badge", |rooms| {
                rooms.iter().all(|r| r.unread.is_none())
            })
            .await;
        assert!(
            rooms.iter().any(|r| r.name == "r2" && r.current),
            "{rooms:?}"
        );
        alice
            .wait_for_title("for #r2 without unread", |t| t == "#r2 · wirechat")
            .await;
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_in_the_address_bar_survives_a_reload() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("r1", "alice").await;
        alice.join_room_from_sidebar("r2").await;
        alice.send("written in r2 before the reload").await;
        alice
            .wait_for_delivery("alice", "written in r2 before the reload", "Delivered")
            .await;

        let url = alice.current_url().await;
        assert_eq!(
            query_param(&url, "room").as_deref(),
            Some("r2"),
            "URL {url}"
        );

        alice.reload().await;
        alice.find_by_role("log", "Messages").await;
        alice.wait_for_status("Connected").await;
        let rooms = alice.wait_for_current_room("r2").await;
        assert!(
            rooms.iter().any(|r| r.name == "r1" && !r.current),
            "r1 is no longer in the list after the reload: {rooms:?}"
        );
        // The server's history of r2, so she is really back in r2, not only its label.
        alice
            .wait_for_message("alice", "written in r2 before the reload")
            .await;
        let url = alice.current_url().await;
        assert_eq!(
            query_param(&url, "room").as_deref(),
            Some("r2"),
            "URL {url}"
        );
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_lists_who_joined_and_typing_shows_then_expires() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("lobby", "alice").await;
        let bob = harness.join("lobby", "bob").await;
        wait_until("alice: bob in the Online list", DEFAULT_WAIT, || async {
            let online = alice.online_people().await;
            if online.iter().any(|n| n == "bob") {
                Ok(online)
            } else {
                Err(format!("online {online:?}"))
            }
        })
        .await;

        bob.find_by_role("textbox", "Message")
            .await
            .send_keys("I think we should")
            .await
            .expect("bob types");
        let stopped = Instant::now();
        wait_until(
            "alice: \"bob is typing…\"",
            Duration::from_secs(5),
            || async {
                let text = alice.typing_text().await;
                if text == "bob is typing…" {
                    Ok(())
                } else {
                    Err(format!("typing indicator {text:?}"))
                }
            },
        )
        .await;
        assert_eq!(
            bob.typing_text().await,
            "",
            "bob is told about his own typing"
        );

        let limit = Duration::from_secs(8).saturating_sub(stopped.elapsed());
        wait_until("alice: the typing indicator to clear", limit, || async {
            let text = alice.typing_text().await;
            if text.is_empty() {
                Ok(())
            } else {
                Err(format!("typing indicator {text:?}"))
            }
        })
        .await;
        println!(
            "the typing indicator cleared {:.1} s after bob stopped typing",
            stopped.elapsed().as_secs_f64()
        );
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrolling_up_loads_history_in_place_and_new_messages_wait_below() {
    // The bot seeds the backlog faster than the rate limit lets a person type.
    let harness = Harness::start_with(|config| config.flow = FlowLimits::unmetered()).await;
    bounded(Duration::from_secs(90), async {
        let mut bot = RoomBot::join(&harness.app().ws_url(), "backlog", "archivist").await;
        bot.say_all((1..=1000).map(backlog_text)).await;

        let alice = harness.join("backlog", "alice").await;
        alice
            .wait_for_message("archivist", &backlog_text(1000))
            .await;
        let view = wait_for_log(&alice, "at the bottom, showing message 1000", |v| {
            v.gap_to_bottom() <= BOTTOM_PX && visible_number(v, Last) == Some(1000)
        })
        .await;
        let oldest = number_of(view.first_rendered.as_ref()).expect("a numbered first row");
        assert!(oldest > 1, "the whole backlog came at once: {view:?}");

        // To the top: older history loads above without moving what the reader looks at.
        let before = alice.set_log_scroll_top(0.0).await;
        let anchor = before.first_visible.clone().expect("a row on screen");
        let loaded = wait_for_log(&alice, "older history above the first row", |v| {
            number_of(v.first_rendered.as_ref()).is_some_and(|n| n < oldest)
        })
        .await;
        assert!(
            loaded.rendered > view.rendered,
            "no more rows after loading history: before {view:?}, after {loaded:?}"
        );
        println!(
            "scrolled to the top at message {oldest} ({} rows), then loaded back to {:?} \
             ({} rows); {:?} stayed at {:.1} px",
            view.rendered,
            number_of(loaded.first_rendered.as_ref()),
            loaded.rendered,
            anchor.text,
            anchor.offset
        );
        expect_in_place(&alice, &anchor, "right after older history loaded").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        expect_in_place(&alice, &anchor, "half a second after older history loaded").await;

        // Scrolled up, news does not move the view; a button offers it instead.
        let reading = alice.log_view().await;
        let anchor = reading.first_visible.clone().expect("a row on screen");
        bot.say("breaking news while alice reads old messages")
            .await;
        let button = alice.find_by_role("button", "new message").await;
        expect_in_place(&alice, &anchor, "after a message arrived below").await;
        let after = alice.log_view().await;
        assert!(
            after.gap_to_bottom() > BOTTOM_PX,
            "the new message scrolled the list to the bottom: {after:?}"
        );

        button.click().await.expect("click the new-messages button");
        wait_for_log(&alice, "at the bottom, showing the news", |v| {
            v.gap_to_bottom() <= BOTTOM_PX
                && v.last_visible.as_ref().map(|r| r.text.as_str())
                    == Some("breaking news while alice reads old messages")
        })
        .await;
        wait_until(
            "alice: the new-messages button to go",
            DEFAULT_WAIT,
            || async {
                match alice.query_by_role("button", "new message").await {
                    Ok(_) => Err("still shown"),
                    Err(_) => Ok(()),
                }
            },
        )
        .await;
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_of_100k_messages_never_puts_more_than_400_rows_in_the_dom() {
    const SEEDED: usize = 100_000;
    // The room is in the server's store from the start: sent message by message it would
    // take half a minute, and sending is not what this test is about.
    let started = Instant::now();
    let mut store = MemoryHistory::new(SEEDED);
    for n in 1..=SEEDED {
        store
            .append(backlog_message("big", "archivist", n))
            .expect("a memory store takes every message");
    }
    println!(
        "stored {SEEDED} messages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let harness = Harness::start_with_history(
        |config| {
            config.history_per_room = SEEDED;
            config.flow = FlowLimits::unmetered();
        },
        store,
    )
    .await;
    bounded(Duration::from_secs(180), async {
        let alice = harness.join("big", "alice").await;
        alice
            .wait_for_message("archivist", &backlog_text(SEEDED))
            .await;
        alice.watch_row_count().await;
        wait_for_log(&alice, "at the bottom", |v| {
            v.gap_to_bottom() <= BOTTOM_PX && visible_number(v, Last) == Some(SEEDED)
        })
        .await;

        // Read back through the history until well past one window's worth of rows.
        let loading = Instant::now();
        let mut oldest = SEEDED;
        while SEEDED - oldest < 5_000 {
            alice.set_log_scroll_top(0.0).await;
            let view = wait_for_log(&alice, "older history at the top", |v| {
                assert_window(v);
                number_of(v.first_rendered.as_ref()).is_some_and(|n| n < oldest)
            })
            .await;
            oldest = number_of(view.first_rendered.as_ref()).unwrap_or(oldest);
        }
        println!(
            "loaded {} messages by scrolling up in {:.1} s",
            SEEDED + 1 - oldest,
            loading.elapsed().as_secs_f64()
        );

        // Jump around the loaded history: rows are always on screen, never too many.
        for fraction in [0.5, 0.05, 0.95, 0.3, 0.7, 1.0] {
            alice.scroll_log_to_fraction(fraction).await;
            let view = wait_for_log(&alice, &format!("rows on screen at {fraction}"), |v| {
                assert_window(v);
                v.first_visible.is_some() && v.last_visible.is_some()
            })
            .await;
            println!(
                "at {fraction}: {} rows in the DOM, messages {:?}–{:?} on screen",
                view.rendered,
                visible_number(&view, First),
                visible_number(&view, Last)
            );
        }
        let most = alice.most_rows_seen().await;
        println!("the DOM held at most {most} message rows");
        assert!(
            most <= RENDER_WINDOW,
            "the DOM held {most} rows at once, more than {RENDER_WINDOW}"
        );
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_and_mail_addresses_become_safe_links_and_nothing_else_does() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("links", "alice").await;
        let bob = harness.join("links", "bob").await;
        let text = "see https://example.com/a?b=1, and mailto:x@example.com or javascript:alert(1)";
        bob.send(text).await;
        for browser in [&alice, &bob] {
            browser.wait_for_message("bob", text).await;
            let links = browser
                .message_links(text)
                .await
                .unwrap_or_else(|| panic!("{}: no row shows {text:?}", browser.label()));
            let hrefs: Vec<&str> = links.iter().map(|l| l.href.as_str()).collect();
            assert_eq!(
                hrefs,
                ["https://example.com/a?b=1", "mailto:x@example.com"],
                "{}: {links:?}",
                browser.label()
            );
            for link in &links {
                assert_eq!(link.text, link.href, "{}: {link:?}", browser.label());
                assert_eq!(
                    link.rel.as_deref(),
                    Some("noopener noreferrer"),
                    "{}: {link:?}",
                    browser.label()
                );
                assert_eq!(
                    link.target.as_deref(),
                    Some("_blank"),
                    "{}: {link:?}",
                    browser.label()
                );
            }
        }
    })
    .await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_translates_the_interface_and_english_comes_back() {
    let harness = Harness::start().await;
    bounded(TEST_BOUND, async {
        let alice = harness.join("i18n", "alice").await;
        assert_eq!(alice.root_attribute("lang").await.as_deref(), Some("en"));

        alice.choose_language("ko").await;
        alice.find_by_role("button", "보내기").await;
        alice.wait_for_status("연결됨").await;
        alice.find_by_role("log", "메시지").await;
        assert_eq!(alice.root_attribute("lang").await.as_deref(), Some("ko"));
        assert!(
            alice.query_by_role("button", "Send").await.is_err(),
            "an English Send button is left"
        );
        // The composer still works in Korean.
        alice
            .find_by_role("textbox", "메시지")
            .await
            .send_keys(&format!("안녕하세요{}", Key::Enter))
            .await
            .expect("type into the Korean composer");
        wait_for_log(&alice, "showing the Korean message", |v| {
            v.last_rendered
                .as_ref()
                .is_some_and(|r| r.text == "안녕하세요")
        })
        .await;

        alice.choose_language("en").await;
        alice.find_by_role("button", "Send").await;
        alice.wait_for_status("Connected").await;
        alice.find_by_role("log", "Messages").await;
        assert_eq!(alice.root_attribute("lang").await.as_deref(), Some("en"));
    })
    .await;
    harness.shutdown().await;
}

/// Writes `docs/screenshots/{desktop,phone}-{light,dark}.png`: a conversation in several
/// rooms, as the README and reviewers see the product.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_a_conversation_in_both_themes_on_desktop_and_phone() {
    let harness = Harness::start().await;
    let shots = bounded(Duration::from_secs(120), async {
        let ws = harness.app().ws_url();
        let maya = harness.join("general", "maya").await;
        maya.join_room_from_sidebar("design").await;
        maya.join_room_from_sidebar("releases").await;
        maya.switch_to_room("general").await;
        let theo = harness.join("general", "theo").await;
        let mut priya = RoomBot::join(&ws, "general", "priya").await;
        let mut sam = RoomBot::join(&ws, "general", "sam").await;

        theo.send("Morning! The 0.4 build is on staging.").await;
        maya.wait_for_message("theo", "Morning! The 0.4 build is on staging.").await;
        maya.send("Great, I'll run through the checklist after standup.").await;
        priya
            .say("Design review notes are up in #design, mostly spacing tweaks.")
            .await;
        theo.send_lines(&[
            "Release plan for today:",
            "1. Freeze at 14:00",
            "2. Smoke tests on staging",
            "3. Ship at 16:00",
        ])
        .await;
        maya.wait_for_message(
            "theo",
            "Release plan for today:\n1. Freeze at 14:00\n2. Smoke tests on staging\n3. Ship at 16:00",
        )
        .await;
        sam.say("Changelog draft: https://example.com/wirechat/changelog").await;
        maya.send("Looks good. Can someone review the reconnect fix before the freeze?").await;
        theo.send("On it, after lunch.").await;
        maya.wait_for_message("theo", "On it, after lunch.").await;

        let mut designer = RoomBot::join(&ws, "design", "priya").await;
        designer.say("New spacing scale is in Figma.").await;
        designer.say("Buttons get 8px more padding.").await;
        designer.say("Dark theme contrast checked too.").await;
        let mut releaser = RoomBot::join(&ws, "releases", "sam").await;
        releaser.say("0.4.0-rc.1 tagged.").await;
        maya.wait_for_rooms("with unread badges on #design and #releases", |rooms| {
            unread_of(rooms, "design") == Some("3") && unread_of(rooms, "releases") == Some("1")
        })
        .await;

        let mut shots = Vec::new();
        // One theme switch per size: on the phone it sits in the drawer.
        for (size, prefix, themes) in [
            (VIEWPORT, "desktop", [false, true]),
            (PHONE_VIEWPORT, "phone", [true, false]),
        ] {
            maya.set_viewport(size.0, size.1).await;
            for dark in themes {
                maya.set_dark_theme(dark).await;
                maya.wait_for_status("Connected").await;
                // The indicator expires after a few seconds; this keeps it in every picture.
                priya.typing().await;
                wait_until("maya: priya typing", DEFAULT_WAIT, || async {
                    let text = maya.typing_text().await;
                    if text.contains("priya") {
                        Ok(())
                    } else {
                        Err(text)
                    }
                })
                .await;
                // Lets theme transitions and the scroll to the newest message settle.
                tokio::time::sleep(Duration::from_millis(600)).await;
                let theme = if dark { "dark" } else { "light" };
                shots.push((format!("{prefix}-{theme}.png"), size, maya.screenshot_png().await));
            }
        }
        // Not a documented picture: the phone's room drawer, for looking at its layout.
        maya.open_room_drawer().await;
        let drawer = maya.screenshot_png().await;
        let path = std::env::temp_dir().join("wirechat-e2e/phone-light-drawer.png");
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the directory");
        std::fs::write(&path, drawer).expect("write the drawer screenshot");
        println!("the drawer: {}", path.display());
        shots
    })
    .await;
    harness.shutdown().await;

    let dir = workspace_root().join("docs/screenshots");
    std::fs::create_dir_all(&dir).expect("create docs/screenshots");
    for (name, size, png) in shots {
        assert_eq!(png_size(&png), Some(size), "{name}: size");
        let path = dir.join(&name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        println!("wrote {}", path.display());
    }
}

/// The text the backlog bots send as message `n`.
fn backlog_text(n: usize) -> String {
    format!("backlog message {n:06}")
}

/// Backlog message `n` of `room`, from `from`, written a second after the one before.
fn backlog_message(room: &str, from: &str, n: usize) -> ChatMessage {
    const START_MS: u64 = 1_764_000_000_000;
    ChatMessage {
        id: format!("{from}-{n}"),
        room: room.to_owned(),
        from: from.to_owned(),
        text: backlog_text(n),
        ts: Timestamp::from_millis(START_MS + n as u64 * 1_000).expect("a time in range"),
        seq: None,
        uid: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

/// The number of a backlog message's row.
fn number_of(row: Option<&RowPlace>) -> Option<usize> {
    row?.text.strip_prefix("backlog message ")?.parse().ok()
}

#[derive(Clone, Copy)]
enum Edge {
    First,
    Last,
}
use Edge::{First, Last};

/// The number of the first or last backlog message on screen.
fn visible_number(view: &LogView, edge: Edge) -> Option<usize> {
    number_of(match edge {
        First => view.first_visible.as_ref(),
        Last => view.last_visible.as_ref(),
    })
}

/// Panics if the log holds more rows than the window allows.
fn assert_window(view: &LogView) {
    assert!(
        view.rendered <= RENDER_WINDOW,
        "the DOM holds {} message rows, more than {RENDER_WINDOW}: {view:?}",
        view.rendered
    );
}

/// Waits until the log satisfies `holds`, and returns it.
async fn wait_for_log(browser: &Browser, what: &str, holds: impl Fn(&LogView) -> bool) -> LogView {
    let what = format!("{}: the log {what}", browser.label());
    wait_until(&what, DEFAULT_WAIT, || async {
        let view = browser.log_view().await;
        if holds(&view) {
            Ok(view)
        } else {
            Err(format!("{view:?}"))
        }
    })
    .await
}

/// Panics unless `anchor`'s row is where it was, give or take [`STEADY_PX`].
async fn expect_in_place(browser: &Browser, anchor: &RowPlace, when: &str) {
    let now = browser.row_place(&anchor.id).await;
    let moved = now.as_ref().map(|n| n.offset - anchor.offset);
    assert!(
        moved.is_some_and(|m| m.abs() <= STEADY_PX),
        "{}: the row the reader was looking at moved {moved:?} px {when}: it was {anchor:?}, \
         now {now:?}; the log: {:?}",
        browser.label(),
        browser.log_view().await
    );
}

/// The unread badge of `room`.
fn unread_of<'a>(rooms: &'a [wirechat_e2e::RoomEntry], room: &str) -> Option<&'a str> {
    rooms
        .iter()
        .find(|r| r.name == room)
        .and_then(|r| r.unread.as_deref())
}

/// A query parameter of `url`, percent-decoding left out (the tests' values need none).
fn query_param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_owned())
}

/// Waits until the server serves exactly `count` sockets, and returns it.
async fn wait_for_connections(app: &ServedApp, count: usize) -> usize {
    wait_until(
        &format!("the server to serve {count} sockets"),
        DEFAULT_WAIT,
        || async {
            let open = app.open_connections();
            if open == count {
                Ok(open)
            } else {
                Err(format!("{open} sockets"))
            }
        },
    )
    .await
}

/// Runs `body` while sampling the server's socket count, and returns its output and the
/// largest count seen.
async fn most_connections_during<T>(app: &ServedApp, body: impl Future<Output = T>) -> (T, usize) {
    tokio::pin!(body);
    let mut most = app.open_connections();
    loop {
        tokio::select! {
            out = &mut body => return (out, most.max(app.open_connections())),
            () = tokio::time::sleep(Duration::from_millis(5)) => {
                most = most.max(app.open_connections());
            }
        }
    }
}
