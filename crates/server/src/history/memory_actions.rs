//! Message actions in the memory store: the same rules as in SQLite, on the messages it
//! keeps. Search scans the room's kept messages for every word, ignoring case.

use wirechat_protocol::{ChatMessage, Timestamp, MAX_REACTION_KINDS};

use super::actions::{query_words, tally};
use super::{ActionRefused, Actor, MemoryHistory};

/// One user's reaction to a message.
#[derive(Debug, Clone)]
pub(super) struct Reacted {
    emoji: String,
    uid: String,
    name: String,
}

impl MemoryHistory {
    /// The kept message `id` of `room`, when the user `uid` wrote it.
    pub(super) fn authored(
        &mut self,
        room: &str,
        id: &str,
        uid: &str,
    ) -> Result<&mut ChatMessage, ActionRefused> {
        let msg = self.kept(room, id)?;
        if msg.uid.as_deref() != Some(uid) {
            return Err(ActionRefused::NotAuthor);
        }
        Ok(msg)
    }

    fn kept(&mut self, room: &str, id: &str) -> Result<&mut ChatMessage, ActionRefused> {
        let log = self.rooms.get_mut(room).ok_or(ActionRefused::NotFound)?;
        let seq = *log.ids.get(id).ok_or(ActionRefused::NotFound)?;
        let at = log.position(seq);
        log.msgs
            .get_mut(at)
            .filter(|m| m.seq == Some(seq))
            .ok_or(ActionRefused::NotFound)
    }

    pub(super) fn tombstone(
        &mut self,
        room: &str,
        id: &str,
        uid: &str,
        at: Timestamp,
    ) -> Result<(), ActionRefused> {
        let msg = self.authored(room, id, uid)?;
        if msg.deleted.is_some() {
            return Ok(());
        }
        msg.text = String::new();
        msg.edited = None;
        msg.deleted = Some(at);
        msg.reactions.clear();
        let seq = msg.seq.unwrap_or(0);
        if let Some(log) = self.rooms.get_mut(room) {
            log.reactors.remove(&seq);
        }
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
        let msg = self.kept(room, id)?;
        if msg.deleted.is_some() {
            return Err(ActionRefused::NotFound);
        }
        let seq = msg.seq.unwrap_or(0);
        let log = self.rooms.get_mut(room).ok_or(ActionRefused::NotFound)?;
        let reactions = log.reactors.entry(seq).or_default();
        let mine = |r: &Reacted| r.emoji == emoji && r.uid == reactor.uid;
        if on && !reactions.iter().any(mine) {
            let mut kinds: Vec<&str> = reactions.iter().map(|r| r.emoji.as_str()).collect();
            kinds.sort_unstable();
            kinds.dedup();
            if !kinds.contains(&emoji) && kinds.len() >= MAX_REACTION_KINDS {
                return Err(ActionRefused::TooManyReactions);
            }
            reactions.push(Reacted {
                emoji: emoji.to_owned(),
                uid: reactor.uid.to_owned(),
                name: reactor.name.to_owned(),
            });
        } else if !on {
            reactions.retain(|r| !mine(r));
        }
        let summary = tally(reactions.iter().map(|r| (r.emoji.clone(), r.name.clone())));
        let at = log.position(seq);
        if let Some(msg) = log.msgs.get_mut(at) {
            msg.reactions = summary;
        }
        Ok(())
    }

    pub(super) fn find_words(&self, room: &str, query: &str, limit: usize) -> Vec<ChatMessage> {
        let words: Vec<String> = query_words(query).map(str::to_lowercase).collect();
        let Some(log) = self.rooms.get(room).filter(|_| !words.is_empty()) else {
            return Vec::new();
        };
        let mut found: Vec<ChatMessage> = log
            .msgs
            .iter()
            .rev()
            .filter(|m| m.deleted.is_none())
            .filter(|m| {
                let text = m.text.to_lowercase();
                words.iter().all(|word| text.contains(word.as_str()))
            })
            .take(limit)
            .cloned()
            .collect();
        found.reverse();
        found
    }
}
