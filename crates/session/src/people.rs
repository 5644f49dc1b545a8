//! Who is in a room and who is typing, from the server's `presence` lists where it has
//! them, otherwise from the peers' own `here` and `typing` frames, each with an expiry so
//! nobody is shown forever.

use std::collections::BTreeMap;

/// The people of one room.
#[derive(Debug, Default, Clone)]
pub struct RoomPeople {
    /// The server's complete list, when the server has presence.
    server_list: Option<Vec<String>>,
    /// Peers announced by `here`, with the time their announcement expires.
    peers: BTreeMap<String, u64>,
    /// Typists, with the time their indicator expires.
    typists: BTreeMap<String, u64>,
}

impl RoomPeople {
    /// Replaces the list with the server's.
    pub fn set_server_list(&mut self, users: Vec<String>) {
        self.server_list = Some(users);
    }

    /// Records a peer's `here`, valid until `expires`.
    pub fn saw_peer(&mut self, name: &str, expires: u64) {
        self.peers.insert(name.to_owned(), expires);
    }

    /// Records a `typing` frame, shown until `expires`.
    pub fn saw_typing(&mut self, name: &str, expires: u64) {
        self.typists.insert(name.to_owned(), expires);
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

    /// Everyone typing, sorted, `me` excluded.
    pub fn typing(&self, me: &str) -> Vec<String> {
        self.typists.keys().filter(|n| *n != me).cloned().collect()
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
        p.set_server_list(vec!["carol".into(), "alice".into()]);
        assert_eq!(p.online("alice"), ["alice", "carol"]);
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
}
