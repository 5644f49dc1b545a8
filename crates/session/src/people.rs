//! Who is in a room and who is typing, from the server's `presence` lists where it has
//! them (a snapshot, and then `joined`/`left` changes on servers that send them), otherwise
//! from the peers' own `here` and `typing` frames, each with an expiry so nobody is shown
//! forever.

use litemap::LiteMap;
use wirechat_protocol::MAX_PRESENCE_USERS;

/// The most names a room keeps from each source (the server's list, `here`, `typing`): the
/// bound the wire format puts on one `presence` list. A peer that floods a room with new
/// names then costs bounded memory, and each new name a bounded sorted insert; past the
/// bound the server's list only counts, and new `here` and `typing` names wait until others
/// expire.
pub const MAX_NAMES_PER_SOURCE: usize = MAX_PRESENCE_USERS;

/// The people of one room.
#[derive(Debug, Default, Clone)]
pub struct RoomPeople {
    /// The server's list, when the server has presence: its last snapshot with the changes
    /// since applied. A name is listed once per `joined` the server reported.
    server_list: Option<Vec<String>>,
    /// How many are in the room, when the server's snapshot was cut short.
    server_count: Option<u64>,
    /// Peers announced by `here`, with the time their announcement expires.
    peers: LiteMap<String, u64>,
    /// Typists, with the time their indicator expires.
    typists: LiteMap<String, u64>,
}

impl RoomPeople {
    /// Replaces the list with the server's snapshot; `count` is the room's total when the
    /// snapshot was cut short.
    pub fn set_snapshot(&mut self, users: Vec<String>, count: Option<u64>) {
        self.server_list = Some(users);
        self.server_count = count;
    }

    /// The server reported that `name` entered. Changes before the first snapshot are left
    /// out: the snapshot that follows the join already counts them.
    pub fn joined(&mut self, name: &str) -> bool {
        let Some(list) = &mut self.server_list else {
            return false;
        };
        if list.len() >= MAX_NAMES_PER_SOURCE {
            // Listed no more, but still counted, as in a snapshot cut short.
            let count = self.server_count.unwrap_or(list.len() as u64);
            self.server_count = Some(count.saturating_add(1));
            return true;
        }
        list.push(name.to_owned());
        if let Some(count) = &mut self.server_count {
            *count = count.saturating_add(1);
        }
        true
    }

    /// The server reported that `name` left.
    pub fn left(&mut self, name: &str) -> bool {
        let Some(list) = &mut self.server_list else {
            return false;
        };
        if let Some(at) = list.iter().position(|n| n == name) {
            list.remove(at);
        }
        if let Some(count) = &mut self.server_count {
            *count = count.saturating_sub(1);
        }
        true
    }

    /// Records a peer's `here`, valid until `expires`.
    pub fn saw_peer(&mut self, name: &str, expires: u64) {
        remember(&mut self.peers, name, expires);
    }

    /// Records a `typing` frame, shown until `expires`.
    pub fn saw_typing(&mut self, name: &str, expires: u64) {
        remember(&mut self.typists, name, expires);
    }

    /// Someone's message arrived: they are done typing it.
    pub fn stopped_typing(&mut self, name: &str) -> bool {
        self.typists.remove(name).is_some()
    }

    /// Drops what expired by `now`; returns whether anything did.
    pub fn expire(&mut self, now: u64) -> bool {
        let before = self.peers.len() + self.typists.len();
        self.peers.retain(|_, until| *until > now);
        self.typists.retain(|_, until| *until > now);
        before != self.peers.len() + self.typists.len()
    }

    /// The earliest time something here expires.
    pub fn next_expiry(&self) -> Option<u64> {
        self.peers
            .values()
            .chain(self.typists.values())
            .min()
            .copied()
    }

    /// Everyone online, sorted, `me` included.
    pub fn online(&self, me: &str) -> Vec<String> {
        let mut names: Vec<String> = match &self.server_list {
            Some(list) => list.clone(),
            None => self.peers.keys().cloned().collect(),
        };
        names.push(me.to_owned());
        names.sort();
        names.dedup();
        names
    }

    /// How many are online, `me` included: the server's total when its list was cut short,
    /// otherwise the length of [`RoomPeople::online`].
    pub fn online_count(&self, me: &str) -> u64 {
        let listed = self.online(me).len() as u64;
        self.server_count.map_or(listed, |count| count.max(listed))
    }

    /// Everyone typing, sorted, `me` excluded.
    pub fn typing(&self, me: &str) -> Vec<String> {
        self.typists.keys().filter(|n| *n != me).cloned().collect()
    }
}

/// Records `name` until `expires`: a name already known is renewed, a new one is kept only
/// while fewer than [`MAX_NAMES_PER_SOURCE`] are.
fn remember(names: &mut LiteMap<String, u64>, name: &str, expires: u64) {
    if let Some(until) = names.get_mut(name) {
        *until = expires;
    } else if names.len() < MAX_NAMES_PER_SOURCE {
        names.insert(name.to_owned(), expires);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_expire_and_the_server_list_wins() {
        let mut p = RoomPeople::default();
        p.saw_peer("bob", 100);
        assert_eq!(p.online("alice"), ["alice", "bob"]);
        assert!(p.expire(100));
        assert_eq!(p.online("alice"), ["alice"]);
        p.set_snapshot(vec!["carol".into(), "alice".into()], None);
        assert_eq!(p.online("alice"), ["alice", "carol"]);
    }

    #[test]
    fn changes_apply_on_top_of_the_last_snapshot() {
        let mut p = RoomPeople::default();
        assert!(!p.joined("early"), "no snapshot yet");
        p.set_snapshot(vec!["alice".into(), "bob".into()], None);
        assert!(p.joined("carol"));
        assert!(p.left("bob"));
        assert_eq!(p.online("alice"), ["alice", "carol"]);
        // Two connections under one name: the name stays until both have left.
        p.joined("carol");
        p.left("carol");
        assert_eq!(p.online("alice"), ["alice", "carol"]);
        p.left("carol");
        p.left("nobody");
        assert_eq!(p.online("alice"), ["alice"]);
        // A new snapshot replaces whatever the changes built.
        p.set_snapshot(vec!["dan".into()], None);
        assert_eq!(p.online("alice"), ["alice", "dan"]);
        assert_eq!(p.online_count("alice"), 2);
    }

    #[test]
    fn a_snapshot_cut_short_counts_the_whole_room() {
        let mut p = RoomPeople::default();
        p.set_snapshot(vec!["alice".into(), "bob".into()], Some(5_000));
        assert_eq!(p.online_count("alice"), 5_000);
        p.joined("carol");
        p.left("zed");
        p.left("bob");
        assert_eq!(p.online_count("alice"), 4_999);
        assert_eq!(p.online("alice"), ["alice", "carol"]);
        p.set_snapshot(vec!["alice".into()], None);
        assert_eq!(p.online_count("alice"), 1);
    }

    #[test]
    fn typing_ends_with_a_message_or_the_timeout() {
        let mut p = RoomPeople::default();
        p.saw_typing("bob", 50);
        p.saw_typing("alice", 50);
        assert_eq!(p.typing("alice"), ["bob"]);
        assert_eq!(p.next_expiry(), Some(50));
        assert!(p.stopped_typing("bob"));
        assert!(p.typing("alice").is_empty());
        p.saw_typing("dan", 10);
        assert!(p.expire(10));
        assert_eq!(p.next_expiry(), Some(50));
    }

    #[test]
    fn a_flood_of_new_names_is_bounded_and_still_counted() {
        let mut p = RoomPeople::default();
        for i in 0..3 * MAX_NAMES_PER_SOURCE {
            p.saw_peer(&format!("peer{i}"), 100);
            p.saw_typing(&format!("typist{i}"), 100);
        }
        assert_eq!(p.online("me").len(), MAX_NAMES_PER_SOURCE + 1);
        assert_eq!(p.typing("me").len(), MAX_NAMES_PER_SOURCE);
        // A known name is still renewed when the room is full.
        p.saw_peer("peer0", 500);
        assert!(p.expire(100));
        assert_eq!(p.online("me"), vec!["me".to_owned(), "peer0".to_owned()]);

        p.set_snapshot(vec!["bob".into()], None);
        for i in 0..2 * MAX_NAMES_PER_SOURCE {
            p.joined(&format!("guest{i}"));
        }
        assert_eq!(p.online("me").len(), MAX_NAMES_PER_SOURCE + 1);
        assert_eq!(p.online_count("me"), 2 * MAX_NAMES_PER_SOURCE as u64 + 1);
    }
}
