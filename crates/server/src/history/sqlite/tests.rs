//! The SQLite store: the same rules as the memory store, and what survives reopening.

use tempfile::TempDir;

use super::*;

fn msg(id: &str) -> ChatMessage {
    ChatMessage {
        uid: None,
        id: id.into(),
        room: "lobby".into(),
        from: "alice".into(),
        text: format!("text of {id}"),
        ts: wirechat_protocol::Timestamp::EPOCH,
        seq: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    }
}

fn seqs(page: &Page) -> Vec<u64> {
    page.msgs.iter().filter_map(|m| m.seq).collect()
}

fn stored_seq(appended: Appended) -> u64 {
    match appended {
        Appended::Stored(m) => m.seq.expect("a stored message has a seq"),
        Appended::Duplicate(seq) => panic!("expected a new message, got a duplicate of {seq}"),
    }
}

/// A store in a fresh directory, holding `count` messages `m1`… in the lobby.
fn store_with(count: u64) -> (TempDir, SqliteHistory) {
    let dir = TempDir::new().unwrap();
    let mut store = SqliteHistory::open(dir.path()).unwrap();
    for i in 1..=count {
        store.append(msg(&format!("m{i}"))).unwrap();
    }
    (dir, store)
}

#[test]
fn seq_starts_at_one_and_counts_per_room() {
    let (_dir, mut store) = store_with(0);
    assert_eq!(stored_seq(store.append(msg("a")).unwrap()), 1);
    let other = ChatMessage {
        room: "other".into(),
        ..msg("b")
    };
    assert_eq!(stored_seq(store.append(other).unwrap()), 1);
    assert_eq!(stored_seq(store.append(msg("c")).unwrap()), 2);
}

#[test]
fn a_repeated_id_is_reported_with_its_first_seq() {
    let (_dir, mut store) = store_with(3);
    assert_eq!(store.append(msg("m2")).unwrap(), Appended::Duplicate(2));
    assert_eq!(seqs(&store.recent("lobby", 10).unwrap()), [1, 2, 3]);
    assert_eq!(
        store.find_by_id("lobby", "m2").unwrap().map(|m| m.text),
        Some("text of m2".to_owned())
    );
    assert_eq!(store.find_by_id("lobby", "m9").unwrap(), None);
    assert_eq!(store.find_by_id("nowhere", "m2").unwrap(), None);
    // Ids are per room: the same id elsewhere is another message.
    let elsewhere = ChatMessage {
        room: "other".into(),
        ..msg("m2")
    };
    assert_eq!(stored_seq(store.append(elsewhere).unwrap()), 1);
}

#[test]
fn nothing_is_trimmed_so_an_old_retry_is_still_a_duplicate() {
    // The memory store forgets ids older than its window and would store such a retry
    // again under a new seq; this store remembers every id.
    let (_dir, mut store) = store_with(1500);
    assert_eq!(store.append(msg("m1")).unwrap(), Appended::Duplicate(1));
    assert_eq!(store.recent("lobby", 2000).unwrap().msgs.len(), 1500);
    assert_eq!(stored_seq(store.append(msg("new")).unwrap()), 1501);
}

#[test]
fn messages_come_back_field_for_field() {
    let (_dir, mut store) = store_with(0);
    let sent = ChatMessage {
        uid: None,
        id: "odd".into(),
        room: "lobby".into(),
        from: "Zoë \"quoted\"".into(),
        text: "line one\nline two 🎉 '; DROP TABLE messages; --".into(),
        ts: wirechat_protocol::Timestamp::MAX,
        seq: None,
        reply_to: None,
        edited: None,
        deleted: None,
        reactions: Vec::new(),
    };
    let Appended::Stored(stored) = store.append(sent.clone()).unwrap() else {
        panic!("stored")
    };
    assert_eq!(
        stored,
        ChatMessage {
            seq: Some(1),
            ..sent
        }
    );
    assert_eq!(
        store.find_by_id("lobby", "odd").unwrap(),
        Some(stored.clone())
    );
    assert_eq!(store.recent("lobby", 1).unwrap().msgs, [stored]);
}

#[test]
fn pages_are_ascending_and_say_whether_older_exist() {
    let (_dir, store) = store_with(10);
    let recent = store.recent("lobby", 3).unwrap();
    assert_eq!((seqs(&recent), recent.more), (vec![8, 9, 10], true));
    let all = store.recent("lobby", 50).unwrap();
    assert_eq!((all.msgs.len(), all.more), (10, false));
    let none = store.recent("lobby", 0).unwrap();
    assert_eq!((seqs(&none), none.more), (vec![], true));

    let before = store.before("lobby", 5, 2).unwrap();
    assert_eq!((seqs(&before), before.more), (vec![3, 4], true));
    let oldest = store.before("lobby", 3, 5).unwrap();
    assert_eq!((seqs(&oldest), oldest.more), (vec![1, 2], false));
    let beyond = store.before("lobby", u64::MAX, 2).unwrap();
    assert_eq!((seqs(&beyond), beyond.more), (vec![9, 10], true));

    let after = store.after("lobby", 6, 2).unwrap();
    assert_eq!((seqs(&after), after.more), (vec![7, 8], true));
    let from_start = store.after("lobby", 0, 2).unwrap();
    assert_eq!((seqs(&from_start), from_start.more), (vec![1, 2], false));
    let none = store.after("lobby", 10, 5).unwrap();
    assert_eq!((seqs(&none), none.more), (vec![], true));
    assert_eq!(store.after("lobby", u64::MAX, 5).unwrap().msgs, vec![]);

    assert_eq!(store.recent("empty", 5).unwrap(), Page::default());
    assert_eq!(store.after("empty", 3, 5).unwrap(), Page::default());
}

#[test]
fn history_epoch_and_seq_survive_reopening() {
    let (dir, store) = store_with(3);
    let epoch = store.epoch().to_owned();
    assert_eq!(epoch.len(), 16);
    assert!(epoch.chars().all(|c| c.is_ascii_hexdigit()));
    drop(store);

    let mut reopened = SqliteHistory::open(dir.path()).unwrap();
    assert_eq!(reopened.epoch(), epoch);
    assert_eq!(seqs(&reopened.recent("lobby", 10).unwrap()), [1, 2, 3]);
    assert_eq!(reopened.append(msg("m3")).unwrap(), Appended::Duplicate(3));
    assert_eq!(stored_seq(reopened.append(msg("m4")).unwrap()), 4);
}

#[test]
fn every_database_has_its_own_epoch() {
    let (_a_dir, a) = store_with(0);
    let (_b_dir, b) = store_with(0);
    assert_ne!(a.epoch(), b.epoch());
}

#[test]
fn the_database_is_in_wal_mode_with_a_schema_version() {
    let (dir, store) = store_with(0);
    assert!(dir.path().join(DATABASE_FILE).is_file());
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // 1 is NORMAL.
    let synchronous: i64 = store
        .conn
        .pragma_query_value(None, "synchronous", |row| row.get(0))
        .unwrap();
    assert_eq!(synchronous, 1);
    let version: i64 = store
        .conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, MIGRATIONS.len() as i64);
}

#[test]
fn a_missing_data_directory_is_created() {
    let dir = TempDir::new().unwrap();
    let nested = dir.path().join("a").join("b");
    SqliteHistory::open(&nested).unwrap();
    assert!(nested.join(DATABASE_FILE).is_file());
}

#[test]
fn a_data_directory_that_cannot_be_created_is_explained() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let err = SqliteHistory::open(&file.join("data"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot create the data directory"), "{err}");
    assert!(err.contains("a-file"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_explained() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join(DATABASE_FILE), "x".repeat(4096)).unwrap();
    let err = SqliteHistory::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("cannot open the history database"), "{err}");
    assert!(err.contains(DATABASE_FILE), "{err}");
}

#[test]
fn a_database_from_a_newer_server_is_refused_untouched() {
    let (dir, store) = store_with(2);
    let newer = MIGRATIONS.len() as i64 + 1;
    store
        .conn
        .pragma_update(None, "user_version", newer)
        .unwrap();
    drop(store);
    let err = SqliteHistory::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("newer than this server knows"), "{err}");

    let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, newer);
}

#[test]
fn the_senders_uid_survives_reopening() {
    let dir = TempDir::new().unwrap();
    let mut store = SqliteHistory::open(dir.path()).unwrap();
    store
        .append(ChatMessage {
            uid: Some("u42".into()),
            ..msg("m1")
        })
        .unwrap();
    store.append(msg("m2")).unwrap();
    drop(store);
    let page = SqliteHistory::open(dir.path())
        .unwrap()
        .recent("lobby", 10)
        .unwrap();
    let uids: Vec<_> = page.msgs.iter().map(|m| m.uid.as_deref()).collect();
    assert_eq!(uids, [Some("u42"), None]);
}

#[test]
fn messages_of_an_older_database_are_searchable_after_the_upgrade() {
    let dir = TempDir::new().unwrap();
    {
        // A database as the previous version left it: two steps of the schema.
        let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        for (seq, text) in [(1, "old lunch plan"), (2, "something else")] {
            conn.execute(
                r#"INSERT INTO messages (room, seq, id, "from", text, ts, uid)
                   VALUES ('lobby', ?1, ?2, 'alice', ?3, 0, 'u1')"#,
                params![seq, format!("m{seq}"), text],
            )
            .unwrap();
        }
    }
    let mut store = SqliteHistory::open(dir.path()).unwrap();
    let found = store.search("lobby", "lunch", 10).unwrap();
    assert_eq!(
        found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["m1"]
    );
    store.append(msg("m3")).unwrap();
    store
        .edit(
            "lobby",
            "m2",
            crate::history::Actor {
                uid: "u1",
                name: "alice",
            },
            "now about lunch",
            Timestamp::EPOCH,
        )
        .unwrap();
    let found = store.search("lobby", "lunch", 10).unwrap();
    assert_eq!(
        found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["m1", "m2"]
    );
    // What retention deletes leaves nothing behind in the index.
    store
        .conn
        .execute("DELETE FROM messages WHERE room = 'lobby' AND seq = 1", [])
        .unwrap();
    let indexed: i64 = store
        .conn
        .query_row("SELECT COUNT(*) FROM messages_fts", [], |row| row.get(0))
        .unwrap();
    assert_eq!(indexed, 2);
}
