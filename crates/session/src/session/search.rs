//! Search (PROTOCOL.md, `search` / `results`): one search at a time, of the current room,
//! answered by the server. Results are kept apart from the room's messages: they are a list
//! to choose from, not part of the conversation.

use super::actions::ActionRefusal;
use super::{Command, ServerMode, Session};
use wirechat_protocol::{encode, feature, ChatMessage, Frame, Results, Search};

/// The search asked last, and its answer once it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchState {
    /// The room searched.
    pub room: String,
    /// The words searched for.
    pub q: String,
    /// The messages found, oldest first; `None` while waiting for the answer.
    pub found: Option<Vec<ChatMessage>>,
    req: u64,
}

impl Session {
    /// Whether the server answers searches.
    pub fn can_search(&self) -> bool {
        matches!(&self.mode, ServerMode::Full(hello) if hello.has(feature::SEARCH))
    }

    /// The last search and its results.
    pub fn search(&self) -> Option<&SearchState> {
        self.search.as_ref()
    }

    /// The user searches the current room for `q`.
    pub(super) fn start_search(&mut self, q: String, out: &mut Vec<Command>) {
        self.action_error = None;
        if !self.can_search() {
            return self.refuse_action(None, ActionRefusal::Unsupported);
        }
        if !self.can_chat() {
            return self.refuse_action(None, ActionRefusal::Offline);
        }
        let req = self.sync.take_req();
        let room = self.current_room.clone();
        out.push(Command::Send(encode(&Frame::Search(Search {
            room: room.clone(),
            q: q.clone(),
            req: Some(req),
        }))));
        self.search = Some(SearchState {
            room,
            q,
            found: None,
            req,
        });
        self.touch();
    }

    /// A `results` frame: the answer to the last search, or a late one to ignore.
    pub(super) fn on_results(&mut self, results: Results) {
        let Some(search) = self.search.as_mut() else {
            return;
        };
        if results.req == Some(search.req) && results.room == search.room {
            search.found = Some(results.msgs);
            self.touch();
        }
    }
}
