//! What happens to a message after it is sent: its text edited, the message deleted (a
//! tombstone keeps its place), reactions added and taken back. [`Change`] is one such
//! event, [`Entry::apply`] makes it, and [`Entry::take_state`] takes a message's state as a
//! server reports it in history.

use crate::store::Entry;
use wirechat_protocol::{ChatMessage, Reaction, Timestamp, MAX_REACTION_KINDS, MAX_REACTION_USERS};

/// One change to a stored message, as a live `edit`, `delete` or `react` frame makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The text is now `text`, changed at `at`.
    Edit {
        /// The new text.
        text: String,
        /// When (the server's time, or the time of arrival on relays).
        at: Timestamp,
    },
    /// The message was taken back at `at`.
    Delete {
        /// When.
        at: Timestamp,
    },
    /// `who` added (`on`) or took back a reaction with `emoji`.
    React {
        /// The emoji.
        emoji: String,
        /// Added or taken back.
        on: bool,
        /// The display name of who reacted.
        who: String,
        /// Whether `who` is this user.
        mine: bool,
    },
}

impl Change {
    /// About how many bytes keeping this change costs, for bounding what waits.
    pub(crate) fn bytes(&self) -> usize {
        match self {
            Change::Edit { text, .. } => text.len(),
            Change::Delete { .. } => 0,
            Change::React { emoji, who, .. } => emoji.len() + who.len(),
        }
    }
}

impl Entry {
    /// Whether the message was deleted: it shows as a short tombstone line.
    pub fn is_deleted(&self) -> bool {
        self.msg.deleted.is_some()
    }

    /// Whether the text was edited since it was sent.
    pub fn is_edited(&self) -> bool {
        self.msg.edited.is_some()
    }

    /// The reactions, in the order first used: each emoji, how many, who (up to 100 names),
    /// and whether this user is among them.
    pub fn reactions(&self) -> impl Iterator<Item = (&Reaction, bool)> {
        self.msg
            .reactions
            .iter()
            .map(|r| (r, self.mine.contains(&r.emoji)))
    }

    /// Whether this user reacted with `emoji`.
    pub fn reacted(&self, emoji: &str) -> bool {
        self.mine.iter().any(|e| e == emoji)
    }

    /// Makes `change`; returns whether anything the list shows changed. A tombstone takes
    /// no change, and repeating a change is harmless.
    pub(crate) fn apply(&mut self, change: &Change) -> bool {
        if self.is_deleted() {
            return false;
        }
        match change {
            Change::Edit { text, at } => {
                if self.msg.text == *text && self.msg.edited.is_some() {
                    return false;
                }
                self.msg.text.clone_from(text);
                self.msg.edited = Some(*at);
                true
            }
            Change::Delete { at } => {
                // The text is dropped, not hidden: a tombstone keeps nothing of it.
                self.msg.text = String::new();
                self.msg.reactions = Vec::new();
                self.mine = Vec::new();
                self.msg.deleted = Some(*at);
                true
            }
            Change::React {
                emoji,
                on,
                who,
                mine,
            } => self.react(emoji, *on, who, *mine),
        }
    }

    fn react(&mut self, emoji: &str, on: bool, who: &str, mine: bool) -> bool {
        let reactions = &mut self.msg.reactions;
        let at = reactions.iter().position(|r| r.emoji == emoji);
        let changed = match (at, on) {
            (None, false) => false,
            (None, true) => {
                if reactions.len() >= MAX_REACTION_KINDS {
                    return false;
                }
                reactions.push(Reaction {
                    emoji: emoji.to_owned(),
                    count: 1,
                    users: vec![who.to_owned()],
                });
                true
            }
            (Some(at), true) => {
                let reaction = &mut reactions[at];
                // One reaction per user and emoji: a name already listed is a repeat.
                if reaction.users.iter().any(|u| u == who) {
                    false
                } else {
                    reaction.count += 1;
                    if reaction.users.len() < MAX_REACTION_USERS {
                        reaction.users.push(who.to_owned());
                    }
                    true
                }
            }
            (Some(at), false) => {
                let reaction = &mut reactions[at];
                let listed = reaction.users.iter().position(|u| u == who);
                // A name past the listed ones may still be counted.
                let counted = listed.is_some() || reaction.count > reaction.users.len() as u64;
                if let Some(listed) = listed {
                    reaction.users.remove(listed);
                }
                if counted {
                    reaction.count -= 1;
                }
                if reaction.count == 0 {
                    reactions.remove(at);
                }
                counted
            }
        };
        if mine {
            let had = self.mine.iter().position(|e| e == emoji);
            match (had, on) {
                (None, true) => self.mine.push(emoji.to_owned()),
                (Some(had), false) => {
                    self.mine.remove(had);
                }
                _ => {}
            }
        }
        changed
    }

    /// Notes which reactions are this user's, by the name `me` reacts under, for a message
    /// that arrived with reactions.
    pub(crate) fn count_mine(&mut self, me: &str) {
        self.mine = mine_in(&self.msg, me);
    }

    /// Takes the state `msg` (the same message, from a server's history) reports: text,
    /// edit and delete times and reactions, with `me` the name this user reacts under.
    /// Returns whether anything changed.
    pub(crate) fn take_state(&mut self, msg: &ChatMessage, me: &str) -> bool {
        let mine = mine_in(msg, me);
        let same = self.msg.text == msg.text
            && self.msg.edited == msg.edited
            && self.msg.deleted == msg.deleted
            && self.msg.reactions == msg.reactions
            && self.mine == mine;
        if same {
            return false;
        }
        self.msg.text.clone_from(&msg.text);
        self.msg.edited = msg.edited;
        self.msg.deleted = msg.deleted;
        self.msg.reactions.clone_from(&msg.reactions);
        self.mine = mine;
        true
    }
}

/// The emoji of `msg`'s reactions whose listed users include `me`.
fn mine_in(msg: &ChatMessage, me: &str) -> Vec<String> {
    msg.reactions
        .iter()
        .filter(|r| r.users.iter().any(|u| u == me))
        .map(|r| r.emoji.clone())
        .collect()
}
