//! The configured servers and which one the next attempt uses (failover).
//!
//! Every address in the list is meant to serve the same rooms (nodes of one cluster sharing
//! one engine), so a client may resume on any of them by `seq` and epoch. The rules:
//!
//! - the first attempt goes to the first address;
//! - an attempt that ends before the server proved itself (a `hello`, or the relay
//!   fallback) is a failure of that address; after [`MOVE_ON_AFTER`] failures in a row the
//!   next address is used, with the usual backoff between attempts;
//! - a connection that worked and was then lost is not a failure: the same address is tried
//!   again first, as a node that restarted or a dropped link comes back there;
//! - the client stays on an address that works rather than going back to the first one (a
//!   working connection is never dropped to rebalance); it comes back to the first address
//!   when every later one has failed in turn (the list wraps), and on the next page load.

/// Failed attempts in a row on one address before the next one is tried. Two, so that one
/// refused attempt (a node restarting, a blip) does not move a client off its server, and a
/// dead node costs two short backoff waits.
pub const MOVE_ON_AFTER: u32 = 2;

/// The servers a session may connect to, in order of preference, and the one in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerList {
    urls: Vec<String>,
    current: usize,
    /// Failed attempts in a row on the current address.
    failures: u32,
}

impl ServerList {
    /// A list starting at its first address. An empty list gives `""` as its address: the
    /// glue then knows where to connect by itself.
    pub fn new(urls: Vec<String>) -> Self {
        Self {
            urls,
            current: 0,
            failures: 0,
        }
    }

    /// The address the next attempt uses.
    pub fn current(&self) -> &str {
        self.urls.get(self.current).map_or("", String::as_str)
    }

    /// The position of [`ServerList::current`] in the list.
    pub fn index(&self) -> usize {
        self.current
    }

    /// An attempt on the current address ended before the server proved itself. Returns
    /// whether the next attempt moves on to another address.
    pub fn attempt_failed(&mut self) -> bool {
        self.failures = self.failures.saturating_add(1);
        if self.failures < MOVE_ON_AFTER || self.urls.len() < 2 {
            return false;
        }
        self.current = (self.current + 1) % self.urls.len();
        self.failures = 0;
        true
    }

    /// The current address answered: its failures are forgotten, and it stays in use.
    pub fn reached(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> ServerList {
        ServerList::new(vec![
            "ws://a/ws".into(),
            "ws://b/ws".into(),
            "ws://c/ws".into(),
        ])
    }

    #[test]
    fn starts_at_the_first_address() {
        assert_eq!(three().current(), "ws://a/ws");
        assert_eq!(ServerList::new(Vec::new()).current(), "");
    }

    #[test]
    fn moves_on_only_after_failures_in_a_row() {
        let mut list = three();
        for _ in 1..MOVE_ON_AFTER {
            assert!(!list.attempt_failed());
            assert_eq!(list.current(), "ws://a/ws");
        }
        assert!(list.attempt_failed());
        assert_eq!(list.current(), "ws://b/ws");
    }

    #[test]
    fn an_answer_in_between_resets_the_count() {
        let mut list = three();
        for _ in 0..5 {
            for _ in 1..MOVE_ON_AFTER {
                list.attempt_failed();
            }
            list.reached();
        }
        assert_eq!(list.current(), "ws://a/ws");
    }

    #[test]
    fn stays_on_a_working_address_and_wraps_back_to_the_first() {
        let mut list = three();
        let fail_round = |list: &mut ServerList| {
            for _ in 0..MOVE_ON_AFTER {
                list.attempt_failed();
            }
        };
        fail_round(&mut list);
        list.reached();
        assert_eq!(list.current(), "ws://b/ws");
        fail_round(&mut list);
        assert_eq!(list.current(), "ws://c/ws");
        fail_round(&mut list);
        assert_eq!(list.current(), "ws://a/ws");
        assert_eq!(list.index(), 0);
    }

    #[test]
    fn one_address_is_always_the_one() {
        let mut list = ServerList::new(vec!["ws://a/ws".into()]);
        for _ in 0..10 {
            assert!(!list.attempt_failed());
        }
        assert_eq!(list.current(), "ws://a/ws");
    }
}
