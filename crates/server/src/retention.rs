//! Retention: how much history a data directory keeps.
//!
//! A background task deletes, every [`Retention::interval`], each room's messages beyond
//! [`Retention::max_messages`] (the oldest first) and those older than
//! [`Retention::max_age`] by their `ts`. The newest message of a room is never deleted, so
//! the next `seq` follows the last one and resume cursors stay valid; a fetch of a deleted
//! range answers with what is left.
//!
//! It uses its own connection to the database: WAL lets it delete while the server reads
//! and writes, and each step is one short transaction over the `(room, seq)` key, so an
//! append waits at most for one batch.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use tokio::task::JoinHandle;

use crate::config::Retention;
use crate::history::DATABASE_FILE;
use crate::metrics::Metrics;

/// Most rows one delete removes, so a first pass over a large room never holds the write
/// lock for long.
const BATCH: i64 = 1000;

/// How long a step waits for the server's own writes before it gives up for this pass.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Applies `retention` to the database in `data_dir` now and then every interval, until the
/// runtime ends or the returned task is aborted. A pass that fails is logged and tried
/// again at the next interval.
pub(crate) fn spawn(
    data_dir: PathBuf,
    retention: Retention,
    metrics: Arc<Metrics>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let file = data_dir.join(DATABASE_FILE);
        let mut ticks = tokio::time::interval(retention.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut conn = None;
        loop {
            ticks.tick().await;
            let policy = retention.clone();
            let file = file.clone();
            let reused = conn.take();
            let pass = tokio::task::spawn_blocking(move || {
                let result = match reused {
                    Some(conn) => Ok(conn),
                    None => open(&file),
                }
                .and_then(|c| apply(&c, &policy, now_ms()).map(|deleted| (c, deleted)));
                match result {
                    Ok((c, deleted)) => (Some(c), Ok(deleted)),
                    Err(err) => (None, Err(err)),
                }
            })
            .await;
            match pass {
                Ok((kept, Ok(deleted))) => {
                    conn = kept;
                    metrics.retention_deleted(deleted);
                    if deleted > 0 {
                        tracing::info!(deleted, "retention deleted old messages");
                    }
                }
                Ok((_, Err(err))) => tracing::warn!(%err, "retention pass failed"),
                Err(err) => tracing::warn!(%err, "retention pass stopped"),
            }
        }
    })
}

fn open(file: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(file)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Milliseconds since the Unix epoch, the unit of `ts`.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Deletes what `retention` does not keep, as of `now_ms`, and returns how many messages
/// were deleted.
pub fn apply(conn: &Connection, retention: &Retention, now_ms: i64) -> rusqlite::Result<u64> {
    let mut deleted = 0;
    for room in rooms(conn)? {
        let Some(newest) = conn
            .prepare_cached("SELECT MAX(seq) FROM messages WHERE room = ?1")?
            .query_row([&room], |row| row.get::<_, Option<i64>>(0))?
        else {
            continue;
        };
        if let Some(max) = retention.max_messages {
            let keep_from = newest.saturating_sub(i64::try_from(max).unwrap_or(i64::MAX));
            deleted += delete_up_to(conn, &room, keep_from)?;
        }
        if let Some(age) = retention.max_age {
            let age = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
            let cutoff = now_ms.saturating_sub(age);
            deleted += delete_older(conn, &room, newest, cutoff)?;
        }
    }
    Ok(deleted)
}

/// Every room with messages, found by jumping along the `(room, seq)` key from one room to
/// the next rather than reading every row.
fn rooms(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached(
        "WITH RECURSIVE r(room) AS (
             SELECT MIN(room) FROM messages
             UNION ALL
             SELECT (SELECT MIN(room) FROM messages WHERE room > r.room) FROM r
             WHERE r.room IS NOT NULL
         )
         SELECT room FROM r WHERE room IS NOT NULL",
    )?
    .query_map([], |row| row.get(0))?
    .collect()
}

/// Deletes the messages of `room` with a seq up to `last`, in batches.
fn delete_up_to(conn: &Connection, room: &str, last: i64) -> rusqlite::Result<u64> {
    let mut deleted = 0;
    loop {
        let oldest: Option<i64> = conn
            .prepare_cached("SELECT MIN(seq) FROM messages WHERE room = ?1")?
            .query_row([room], |row| row.get(0))?;
        let Some(oldest) = oldest.filter(|&oldest| oldest <= last) else {
            return Ok(deleted);
        };
        let upper = last.min(oldest.saturating_add(BATCH - 1));
        deleted += conn
            .prepare_cached("DELETE FROM messages WHERE room = ?1 AND seq BETWEEN ?2 AND ?3")?
            .execute(params![room, oldest, upper])? as u64;
    }
}

/// Deletes the run of oldest messages of `room` whose `ts` is before `cutoff`, never
/// `newest`. It stops at the first message that is not old, so a pass over a room with
/// nothing to delete reads one row.
fn delete_older(conn: &Connection, room: &str, newest: i64, cutoff: i64) -> rusqlite::Result<u64> {
    let mut deleted = 0;
    loop {
        let oldest: Option<(i64, i64)> = conn
            .prepare_cached(
                "SELECT seq, ts FROM messages WHERE room = ?1 AND seq < ?2 ORDER BY seq LIMIT 1",
            )?
            .query_row(params![room, newest], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        match oldest {
            Some((_, ts)) if ts < cutoff => {}
            _ => return Ok(deleted),
        }
        let batch: Vec<(i64, i64)> = conn
            .prepare_cached(
                "SELECT seq, ts FROM messages WHERE room = ?1 AND seq < ?2 ORDER BY seq LIMIT ?3",
            )?
            .query_map(params![room, newest, BATCH], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let old = batch.iter().take_while(|&&(_, ts)| ts < cutoff).count();
        let Some(&(last, _)) = batch[..old].last() else {
            return Ok(deleted);
        };
        deleted += delete_up_to(conn, room, last)?;
        if old < batch.len() || batch.len() < BATCH as usize {
            return Ok(deleted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{HistoryStore, SqliteHistory};
    use wirechat_protocol::ChatMessage;

    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    const NOW: i64 = 100 * DAY_MS;

    fn message(room: &str, n: u64, ts: i64) -> ChatMessage {
        ChatMessage {
            uid: None,
            room: room.into(),
            seq: None,
            id: format!("{room}-{n}"),
            from: "ann".into(),
            text: format!("message {n}"),
            ts: wirechat_protocol::Timestamp::saturating_from_millis(ts as u64),
            reply_to: None,
            edited: None,
            deleted: None,
            reactions: Vec::new(),
        }
    }

    /// A database with `count` messages in each of `rooms`, the n-th written `n` days ago
    /// counted from the newest.
    fn database(rooms: &[&str], count: u64) -> (tempfile::TempDir, SqliteHistory, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteHistory::open(dir.path()).unwrap();
        for room in rooms {
            for n in 1..=count {
                let age_days = (count - n) as i64;
                store
                    .append(message(room, n, NOW - age_days * DAY_MS))
                    .unwrap();
            }
        }
        let conn = open(&dir.path().join(DATABASE_FILE)).unwrap();
        (dir, store, conn)
    }

    fn seqs(store: &SqliteHistory, room: &str) -> Vec<u64> {
        let page = store.after(room, 0, 10_000).unwrap();
        page.msgs.iter().map(|m| m.seq.unwrap()).collect()
    }

    fn policy(max_messages: Option<u64>, max_age_days: Option<u64>) -> Retention {
        Retention {
            max_messages,
            max_age: max_age_days.map(|d| Duration::from_secs(d * 24 * 60 * 60)),
            interval: Duration::from_secs(60),
        }
    }

    #[test]
    fn each_room_keeps_its_newest_messages_and_numbering_goes_on() {
        let (_dir, mut store, conn) = database(&["a", "b"], 2500);
        let deleted = apply(&conn, &policy(Some(100), None), NOW).unwrap();
        assert_eq!(deleted, 2 * 2400);
        assert_eq!(seqs(&store, "a"), (2401..=2500).collect::<Vec<_>>());
        assert_eq!(seqs(&store, "b").len(), 100);
        match store.append(message("a", 9999, NOW)).unwrap() {
            crate::history::Appended::Stored(msg) => assert_eq!(msg.seq, Some(2501)),
            other => panic!("{other:?}"),
        }
        // Fetching a deleted range answers with what is left.
        let page = store.before("a", 50, 10).unwrap();
        assert!(page.msgs.is_empty());
        assert_eq!(store.after("a", 10, 1).unwrap().msgs[0].seq, Some(2401));
    }

    #[test]
    fn messages_older_than_the_age_go_but_the_newest_stays() {
        let (_dir, mut store, conn) = database(&["a"], 40);
        apply(&conn, &policy(None, Some(30)), NOW).unwrap();
        // Ages 0..=39 days; those of 30 days and less stay.
        assert_eq!(seqs(&store, "a"), (10..=40).collect::<Vec<_>>());

        // A room whose every message is old keeps its newest, so seqs continue.
        apply(&conn, &policy(None, Some(30)), NOW + 365 * DAY_MS).unwrap();
        assert_eq!(seqs(&store, "a"), [40]);
        match store.append(message("a", 41, NOW)).unwrap() {
            crate::history::Appended::Stored(msg) => assert_eq!(msg.seq, Some(41)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_limits_keep_everything() {
        let (_dir, store, conn) = database(&["a"], 20);
        assert_eq!(apply(&conn, &policy(None, None), NOW * 2).unwrap(), 0);
        assert_eq!(seqs(&store, "a").len(), 20);
    }
}
