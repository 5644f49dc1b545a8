//! Message actions in SQLite: edits, tombstones, reactions, read positions and full-text
//! search over the FTS5 index `messages_fts`.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use wirechat_protocol::{ChatMessage, Timestamp, MAX_REACTION_KINDS};

use super::{from_sql, message, sql_bound, sql_count, to_sql, SqliteHistory};
use crate::history::actions::tally;
use crate::history::{fts_query, ActionRefused, Actor, StoreError};

/// The stored message an action is about.
struct Target {
    seq: i64,
    uid: Option<String>,
    deleted: bool,
    doc: Option<i64>,
}

impl Target {
    /// The message `id` of `room`, if it is stored.
    fn find(tx: &Transaction<'_>, room: &str, id: &str) -> Result<Self, ActionRefused> {
        tx.prepare_cached(
            "SELECT seq, uid, deleted IS NOT NULL, doc FROM messages WHERE room = ?1 AND id = ?2",
        )?
        .query_row(params![room, id], |row| {
            Ok(Target {
                seq: row.get(0)?,
                uid: row.get(1)?,
                deleted: row.get(2)?,
                doc: row.get(3)?,
            })
        })
        .optional()?
        .ok_or(ActionRefused::NotFound)
    }

    /// Only the author may change a message; one stored before users had ids has none.
    fn written_by(&self, uid: &str) -> Result<(), ActionRefused> {
        if self.uid.as_deref() == Some(uid) {
            Ok(())
        } else {
            Err(ActionRefused::NotAuthor)
        }
    }
}

impl SqliteHistory {
    fn write(&mut self) -> Result<Transaction<'_>, ActionRefused> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    pub(super) fn edit_message(
        &mut self,
        room: &str,
        id: &str,
        uid: &str,
        text: &str,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        let tx = self.write()?;
        let target = Target::find(&tx, room, id)?;
        target.written_by(uid)?;
        if target.deleted {
            return Err(ActionRefused::NotFound);
        }
        // The `messages_text` trigger updates the full-text index.
        tx.prepare_cached(
            "UPDATE messages SET text = ?3, edited = ?4 WHERE room = ?1 AND seq = ?2",
        )?
        .execute(params![room, target.seq, text, to_sql(at.as_millis())])?;
        tx.commit()?;
        Ok(())
    }

    pub(super) fn delete_message(
        &mut self,
        room: &str,
        id: &str,
        uid: &str,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        let tx = self.write()?;
        let target = Target::find(&tx, room, id)?;
        target.written_by(uid)?;
        if target.deleted {
            return Ok(());
        }
        if let Some(doc) = target.doc {
            tx.prepare_cached("DELETE FROM messages_fts WHERE rowid = ?1")?
                .execute([doc])?;
        }
        tx.prepare_cached("DELETE FROM reactions WHERE room = ?1 AND seq = ?2")?
            .execute(params![room, target.seq])?;
        // `doc` goes first to NULL in the same statement, so the text trigger does not
        // index the empty text.
        tx.prepare_cached(
            "UPDATE messages SET doc = NULL, text = '', edited = NULL, deleted = ?3
              WHERE room = ?1 AND seq = ?2",
        )?
        .execute(params![room, target.seq, to_sql(at.as_millis())])?;
        tx.commit()?;
        // The log still holds the page as it was before; moving it into the database
        // (whose freed space `secure_delete` zeroes) and emptying the log leaves the text
        // nowhere on disk. Deletes are rare, so the cost is paid seldom.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    pub(super) fn set_reaction(
        &mut self,
        room: &str,
        id: &str,
        reactor: Actor<'_>,
        emoji: &str,
        on: bool,
    ) -> Result<(), ActionRefused> {
        let tx = self.write()?;
        let target = Target::find(&tx, room, id)?;
        if target.deleted {
            return Err(ActionRefused::NotFound);
        }
        if on {
            let kinds: i64 = tx
                .prepare_cached(
                    "SELECT COUNT(DISTINCT emoji) FROM reactions WHERE room = ?1 AND seq = ?2 AND emoji <> ?3",
                )?
                .query_row(params![room, target.seq, emoji], |row| row.get(0))?;
            if kinds >= sql_count(MAX_REACTION_KINDS) {
                return Err(ActionRefused::TooManyReactions);
            }
            let at = crate::clock::now_ms();
            tx.prepare_cached(
                "INSERT INTO reactions (room, seq, emoji, uid, name, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![room, target.seq, emoji, reactor.uid, reactor.name, to_sql(at)])?;
        } else {
            tx.prepare_cached(
                "DELETE FROM reactions WHERE room = ?1 AND seq = ?2 AND emoji = ?3 AND uid = ?4",
            )?
            .execute(params![room, target.seq, emoji, reactor.uid])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub(super) fn set_read(
        &mut self,
        room: &str,
        uid: &str,
        seq: u64,
    ) -> Result<u64, ActionRefused> {
        let tx = self.write()?;
        // Never past the newest message: a position beyond it would hide the next ones.
        let newest: Option<i64> = tx
            .prepare_cached("SELECT MAX(seq) FROM messages WHERE room = ?1")?
            .query_row([room], |row| row.get(0))?;
        let seq = sql_bound(seq).min(newest.unwrap_or(0));
        let kept: i64 = tx
            .prepare_cached(
                "INSERT INTO reads (uid, room, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (uid, room) DO UPDATE SET seq = max(seq, excluded.seq)
                 RETURNING seq",
            )?
            .query_row(params![uid, room, seq], |row| row.get(0))?;
        tx.commit()?;
        Ok(from_sql(kept))
    }

    pub(super) fn get_read(&self, room: &str, uid: &str) -> Result<Option<u64>, StoreError> {
        let seq: Option<i64> = self
            .conn
            .prepare_cached("SELECT seq FROM reads WHERE uid = ?1 AND room = ?2")?
            .query_row(params![uid, room], |row| row.get(0))
            .optional()?;
        Ok(seq.map(from_sql))
    }

    pub(super) fn find_words(
        &self,
        room: &str,
        words: &str,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, ActionRefused> {
        let Some(query) = fts_query(words) else {
            return Ok(Vec::new());
        };
        let mut msgs = self
            .conn
            .prepare_cached(
                r#"SELECT m.room, m.seq, m.id, m."from", m.text, m.ts, m.uid, m.reply_to, m.edited, m.deleted
                     FROM messages_fts AS f JOIN messages AS m ON m.doc = f.rowid
                    WHERE messages_fts MATCH ?1 AND m.room = ?2
                    ORDER BY m.seq DESC LIMIT ?3"#,
            )?
            .query_map(params![query, room, sql_count(limit)], message)?
            .collect::<Result<Vec<_>, _>>()?;
        msgs.reverse();
        self.attach_reactions(room, &mut msgs)?;
        Ok(msgs)
    }

    /// Fills in the reactions of `msgs`, messages of `room` in ascending `seq` order.
    pub(super) fn attach_reactions(
        &self,
        room: &str,
        msgs: &mut [ChatMessage],
    ) -> rusqlite::Result<()> {
        let (Some(first), Some(last)) = (
            msgs.first().and_then(|m| m.seq),
            msgs.last().and_then(|m| m.seq),
        ) else {
            return Ok(());
        };
        let mut statement = self.conn.prepare_cached(
            "SELECT seq, emoji, name FROM reactions
              WHERE room = ?1 AND seq BETWEEN ?2 AND ?3
              ORDER BY seq, at, emoji",
        )?;
        let mut rows = statement.query(params![room, to_sql(first), to_sql(last)])?;
        // seq -> (emoji, name) in the order users reacted.
        let mut found: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
        while let Some(row) = rows.next()? {
            let seq = from_sql(row.get(0)?);
            found
                .entry(seq)
                .or_default()
                .push((row.get(1)?, row.get(2)?));
        }
        for msg in msgs {
            if let Some(reacted) = msg.seq.and_then(|seq| found.remove(&seq)) {
                msg.reactions = tally(reacted);
            }
        }
        Ok(())
    }
}
