//! History in one SQLite database, kept across restarts together with its epoch.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use wirechat_protocol::{ChatMessage, Timestamp};

use super::{
    fresh_epoch, ActionRefused, Actor, Appended, Capabilities, HistoryStore, Page, StoreError,
};

/// Name of the database file inside the data directory.
pub const DATABASE_FILE: &str = "wirechat.sqlite3";

/// How long a call waits for another process that holds the database's write lock (such as
/// the `sqlite3` shell) before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// The schema, one step per version: a database at `PRAGMA user_version` N has had the
/// first N steps. A later version adds a step and never edits an earlier one.
const MIGRATIONS: &[&str] = &[
    // 1: the messages, and `meta` for the epoch. `(room, seq)` is the key, so a room's
    // messages are stored together in seq order; `UNIQUE (room, id)` both refuses a second
    // copy of a message and indexes the duplicate lookup.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE messages (
        room   TEXT    NOT NULL,
        seq    INTEGER NOT NULL,
        id     TEXT    NOT NULL,
        "from" TEXT    NOT NULL,
        text   TEXT    NOT NULL,
        ts     INTEGER NOT NULL,
        PRIMARY KEY (room, seq),
        UNIQUE (room, id)
    ) WITHOUT ROWID;
    "#,
    // 2: the sender's user id; NULL for messages stored before identities.
    r#"
    ALTER TABLE messages ADD COLUMN uid TEXT;
    "#,
    // 3: message actions. `doc` is the message's row in the full-text index (NULL for a
    // tombstone); the triggers keep the index and the reactions in step when retention
    // deletes messages and when a text changes. Existing messages are indexed here.
    r#"
    ALTER TABLE messages ADD COLUMN reply_to TEXT;
    ALTER TABLE messages ADD COLUMN edited INTEGER;
    ALTER TABLE messages ADD COLUMN deleted INTEGER;
    ALTER TABLE messages ADD COLUMN doc INTEGER;
    CREATE INDEX messages_by_doc ON messages (doc) WHERE doc IS NOT NULL;
    CREATE TABLE reactions (
        room  TEXT    NOT NULL,
        seq   INTEGER NOT NULL,
        emoji TEXT    NOT NULL,
        uid   TEXT    NOT NULL,
        name  TEXT    NOT NULL,
        at    INTEGER NOT NULL,
        PRIMARY KEY (room, seq, emoji, uid)
    ) WITHOUT ROWID;
    CREATE TABLE reads (
        uid  TEXT    NOT NULL,
        room TEXT    NOT NULL,
        seq  INTEGER NOT NULL,
        PRIMARY KEY (uid, room)
    ) WITHOUT ROWID;
    CREATE VIRTUAL TABLE messages_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');
    INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
    UPDATE messages SET doc = numbered.n
      FROM (SELECT room, seq, row_number() OVER (ORDER BY room, seq) AS n FROM messages) AS numbered
     WHERE messages.room = numbered.room AND messages.seq = numbered.seq;
    INSERT INTO messages_fts (rowid, text) SELECT doc, text FROM messages;
    CREATE TRIGGER messages_gone AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.doc;
        DELETE FROM reactions WHERE room = old.room AND seq = old.seq;
    END;
    CREATE TRIGGER messages_text AFTER UPDATE OF text ON messages WHEN new.doc IS NOT NULL BEGIN
        UPDATE messages_fts SET text = new.text WHERE rowid = new.doc;
    END;
    "#,
];

/// `SELECT` of every column of `messages`, in the order [`message`] reads them, followed by
/// the rest of the query.
macro_rules! select_messages {
    ($rest:literal) => {
        concat!(
            r#"SELECT room, seq, id, "from", text, ts, uid, reply_to, edited, deleted FROM messages "#,
            $rest
        )
    };
}

/// Keeps every message of every room in `<data_dir>/wirechat.sqlite3`.
///
/// Nothing is trimmed: [`Config::history_per_room`](crate::Config::history_per_room) only
/// bounds what a resuming `join` replays. The epoch is made once, when the database is
/// created, and read back at every open, so a restart keeps `seq` numbering and clients
/// resume where they were.
///
/// Each call is one short transaction over cached prepared statements, on an index.
#[derive(Debug)]
pub struct SqliteHistory {
    conn: Connection,
    epoch: String,
}

impl SqliteHistory {
    /// Opens the history in `data_dir`, creating the directory, the database file
    /// [`DATABASE_FILE`] and its epoch when missing, and bringing an older schema up to date.
    ///
    /// Fails with a message naming the path when the directory or the database cannot be
    /// created or opened, or when the database was written by a newer server.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|err| {
            format!(
                "cannot create the data directory {}: {err}",
                data_dir.display()
            )
        })?;
        let file = data_dir.join(DATABASE_FILE);
        Self::open_file(&file).map_err(|err| {
            format!("cannot open the history database {}: {err}", file.display()).into()
        })
    }

    fn open_file(file: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(file)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: a commit appends to the log instead of rewriting pages in place, and readers
        // never wait for the writer.
        conn.pragma_update_and_check(None, "journal_mode", "wal", |_| Ok(()))?;
        // NORMAL trades the durability of the newest messages for speed: a commit does not
        // wait for the disk, the log is synced only at checkpoints. A crash of the server
        // loses nothing, but a power cut or an operating-system crash may lose the messages
        // of the last moments (never corrupting the database). Their seqs are then handed
        // out again under the same epoch, so clients that had them skip the new ones.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A deleted message's text is overwritten on disk, not only unlinked from the tree.
        conn.pragma_update(None, "secure_delete", "ON")?;
        let setup = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        migrate(&setup)?;
        let epoch = load_epoch(&setup)?;
        setup.commit()?;
        Ok(Self { conn, epoch })
    }

    /// The newest `limit` messages of `room` with a seq below `below`.
    fn newest_below(&self, room: &str, below: i64, limit: usize) -> Result<Page, StoreError> {
        // One row more than asked for tells whether older ones exist.
        let mut msgs = self
            .conn
            .prepare_cached(select_messages!(
                "WHERE room = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
            ))?
            .query_map(
                params![room, below, sql_count(limit).saturating_add(1)],
                message,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        let more = msgs.len() > limit;
        msgs.truncate(limit);
        msgs.reverse();
        self.attach_reactions(room, &mut msgs)?;
        Ok(Page { msgs, more })
    }
}

/// Brings the schema to the newest version this server knows, inside the caller's
/// transaction, so two servers starting on one database cannot both migrate it.
fn migrate(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let done = usize::try_from(version)
        .map_err(|_| format!("its schema version {version} is not valid"))?;
    let Some(steps) = MIGRATIONS.get(done..) else {
        return Err(format!(
            "its schema version {done} is newer than this server knows ({}); \
             run a newer wirechat-server",
            MIGRATIONS.len()
        )
        .into());
    };
    for step in steps {
        tx.execute_batch(step)?;
    }
    // `user_version` lives in the database header and is part of the transaction.
    tx.pragma_update(None, "user_version", sql_count(MIGRATIONS.len()))?;
    Ok(())
}

/// The database's epoch, made and stored the first time.
fn load_epoch(tx: &Transaction<'_>) -> Result<String, StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?1)",
        [fresh_epoch()],
    )?;
    Ok(
        tx.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |row| {
            row.get(0)
        })?,
    )
}

impl HistoryStore for SqliteHistory {
    fn epoch(&self) -> &str {
        &self.epoch
    }

    fn append(&mut self, mut msg: ChatMessage) -> Result<Appended, StoreError> {
        // The duplicate check, the next seq and the insert in one transaction: one commit
        // per message, and nothing can come between them. IMMEDIATE takes the write lock at
        // the start rather than upgrading to it midway, which could fail with "busy".
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored: Option<i64> = tx
            .prepare_cached("SELECT seq FROM messages WHERE room = ?1 AND id = ?2")?
            .query_row(params![msg.room, msg.id], |row| row.get(0))
            .optional()?;
        if let Some(seq) = stored {
            return Ok(Appended::Duplicate(from_sql(seq)));
        }
        let last: i64 = tx
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE room = ?1")?
            .query_row([&msg.room], |row| row.get(0))?;
        let seq = last + 1;
        tx.prepare_cached("INSERT INTO messages_fts (text) VALUES (?1)")?
            .execute([&msg.text])?;
        let doc = tx.last_insert_rowid();
        tx.prepare_cached(
            r#"INSERT INTO messages (room, seq, id, "from", text, ts, uid, reply_to, doc)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#,
        )?
        .execute(params![
            msg.room,
            seq,
            msg.id,
            msg.from,
            msg.text,
            to_sql(msg.ts.as_millis()),
            msg.uid,
            msg.reply_to,
            doc
        ])?;
        tx.commit()?;
        msg.seq = Some(from_sql(seq));
        Ok(Appended::Stored(msg))
    }

    fn recent(&self, room: &str, limit: usize) -> Result<Page, StoreError> {
        self.newest_below(room, i64::MAX, limit)
    }

    fn after(&self, room: &str, after: u64, limit: usize) -> Result<Page, StoreError> {
        let after = sql_bound(after);
        let mut msgs = self
            .conn
            .prepare_cached(select_messages!(
                "WHERE room = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
            ))?
            .query_map(params![room, after, sql_count(limit)], message)?
            .collect::<Result<Vec<_>, _>>()?;
        self.attach_reactions(room, &mut msgs)?;
        let start = msgs
            .first()
            .and_then(|m| m.seq)
            .map_or(after.saturating_add(1), to_sql);
        let more = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM messages WHERE room = ?1 AND seq < ?2)")?
            .query_row(params![room, start], |row| row.get(0))?;
        Ok(Page { msgs, more })
    }

    fn before(&self, room: &str, before: u64, limit: usize) -> Result<Page, StoreError> {
        self.newest_below(room, sql_bound(before), limit)
    }

    fn find_by_id(&self, room: &str, id: &str) -> Result<Option<ChatMessage>, StoreError> {
        let found = self
            .conn
            .prepare_cached(select_messages!("WHERE room = ?1 AND id = ?2"))?
            .query_row(params![room, id], message)
            .optional()?;
        let mut msgs: Vec<ChatMessage> = found.into_iter().collect();
        self.attach_reactions(room, &mut msgs)?;
        Ok(msgs.pop())
    }

    fn latest(&self, room: &str) -> Result<Option<u64>, StoreError> {
        let newest: Option<i64> = self
            .conn
            .prepare_cached("SELECT MAX(seq) FROM messages WHERE room = ?1")?
            .query_row(params![room], |row| row.get(0))?;
        Ok(newest.map(from_sql))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            actions: true,
            search: true,
        }
    }

    fn edit(
        &mut self,
        room: &str,
        id: &str,
        author: Actor<'_>,
        text: &str,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        self.edit_message(room, id, author.uid, text, at)
    }

    fn delete(
        &mut self,
        room: &str,
        id: &str,
        author: Actor<'_>,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        self.delete_message(room, id, author.uid, at)
    }

    fn react(
        &mut self,
        room: &str,
        id: &str,
        reactor: Actor<'_>,
        emoji: &str,
        on: bool,
    ) -> Result<(), ActionRefused> {
        self.set_reaction(room, id, reactor, emoji, on)
    }

    fn mark_read(&mut self, room: &str, uid: &str, seq: u64) -> Result<u64, ActionRefused> {
        self.set_read(room, uid, seq)
    }

    fn read_position(&self, room: &str, uid: &str) -> Result<Option<u64>, StoreError> {
        self.get_read(room, uid)
    }

    fn search(
        &self,
        room: &str,
        query: &str,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, ActionRefused> {
        self.find_words(room, query, limit)
    }
}

/// Reads a row of [`select_messages!`].
fn message(row: &Row<'_>) -> rusqlite::Result<ChatMessage> {
    Ok(ChatMessage {
        uid: row.get(6)?,
        room: row.get(0)?,
        seq: Some(from_sql(row.get(1)?)),
        id: row.get(2)?,
        from: row.get(3)?,
        text: row.get(4)?,
        // Rows written before times were checked may hold any u64; they read as the latest
        // time a reader can show.
        ts: Timestamp::saturating_from_millis(from_sql(row.get(5)?)),
        reply_to: row.get(7)?,
        edited: row.get::<_, Option<i64>>(8)?.map(time_from_sql),
        deleted: row.get::<_, Option<i64>>(9)?.map(time_from_sql),
        // Filled in by `attach_reactions`, one query per page.
        reactions: Vec::new(),
    })
}

// SQLite integers are i64. Stored values (`seq`, `ts`) cross bit for bit, so every `ts` a
// client sends comes back unchanged; seqs never come near i64::MAX.
fn to_sql(value: u64) -> i64 {
    value as i64
}

fn from_sql(value: i64) -> u64 {
    value as u64
}

/// A stored time; the server wrote it from its own clock, so it is in range.
fn time_from_sql(value: i64) -> Timestamp {
    Timestamp::saturating_from_millis(from_sql(value))
}

/// A seq bound from a client; anything beyond i64 is beyond every stored seq.
fn sql_bound(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// A row count for `LIMIT`.
fn sql_count(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

mod actions;
#[cfg(test)]
mod tests;
