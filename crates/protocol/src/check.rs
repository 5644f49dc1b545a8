//! The limits a decoded frame is held to, so that code past decode only meets values it can
//! handle. PROTOCOL.md ("Limits") lists each rule and what breaking it costs: most rules
//! drop the frame; a few repair the value and let the rest of the frame through.

use crate::{
    check_emoji, validate_name, validate_room, validate_uid, ChatMessage, ErrorFrame, Frame, Hello,
    Presence, PresenceChange, Timestamp, MAX_CATCHUP_HAVE, MAX_CATCHUP_MSGS,
    MAX_ERROR_MESSAGE_BYTES, MAX_FEATURES, MAX_ID_BYTES, MAX_LABEL_BYTES, MAX_PRESENCE_USERS,
    MAX_RETRY_AFTER_MS, MAX_SEQ, MAX_TEXT_BYTES_LIMIT, MAX_TOKEN_BYTES,
};
use crate::{Reaction, MAX_REACTION_KINDS, MAX_REACTION_USERS};
#[cfg(feature = "actions")]
use crate::{MAX_QUERY_BYTES, MAX_SEARCH_RESULTS};

/// A frame within the limits, and whether reaching them meant changing a value.
pub(crate) struct Checked {
    pub(crate) frame: Frame,
    pub(crate) repaired: bool,
}

/// Holds `frame` to the limits: `Err` with the broken rule when it must be dropped.
pub(crate) fn check(frame: Frame) -> Result<Checked, String> {
    let mut repaired = false;
    let frame = match frame {
        Frame::Msg(msg) => {
            check_message(&msg)?;
            Frame::Msg(msg)
        }
        Frame::History(mut history) => {
            validate_room(&history.room)?;
            seq_within("latest", history.latest)?;
            seq_within("req", history.req)?;
            seq_within("read", history.read)?;
            if let Some(name) = &history.name {
                validate_name(name)?;
            }
            // One bad message must not cost the reader the whole page.
            let before = history.msgs.len();
            history.msgs.retain(|msg| check_message(msg).is_ok());
            repaired |= history.msgs.len() != before;
            Frame::History(history)
        }
        Frame::Ack(ack) => {
            check_id(&ack.id)?;
            validate_room(&ack.room)?;
            seq_within("seq", ack.seq)?;
            Frame::Ack(ack)
        }
        Frame::Auth(auth) => {
            if auth.token.is_empty() || auth.token.len() > MAX_TOKEN_BYTES {
                return Err(format!(
                    "token of {} bytes; tokens are 1 to {MAX_TOKEN_BYTES} bytes",
                    auth.token.len()
                ));
            }
            Frame::Auth(auth)
        }
        Frame::Authed(authed) => {
            validate_uid(&authed.uid)?;
            if !authed.name.is_empty() {
                validate_name(&authed.name)?;
            }
            if authed
                .exp
                .is_some_and(|exp| exp > Timestamp::MAX.as_millis())
            {
                return Err("exp beyond the range of times".to_owned());
            }
            Frame::Authed(authed)
        }
        Frame::Hello(mut hello) => {
            repaired |= check_hello(&mut hello)?;
            Frame::Hello(hello)
        }
        // Servers check the room and name of a `join` and `fetch` themselves and answer
        // `bad_name` with a reason a user can read; only the numbers are held here.
        Frame::Join(join) => {
            seq_within("after", join.after)?;
            seq_within("req", join.req)?;
            label_within("epoch", join.epoch.as_deref().unwrap_or_default())?;
            Frame::Join(join)
        }
        Frame::Fetch(fetch) => {
            seq_within("before", fetch.before)?;
            seq_within("after", fetch.after)?;
            seq_within("req", fetch.req)?;
            Frame::Fetch(fetch)
        }
        Frame::Presence(mut presence) => {
            repaired |= check_presence(&mut presence)?;
            Frame::Presence(presence)
        }
        Frame::Here(here) => {
            validate_room(&here.room)?;
            validate_name(&here.from)?;
            Frame::Here(here)
        }
        Frame::Typing(typing) => {
            validate_room(&typing.room)?;
            validate_name(&typing.from)?;
            Frame::Typing(typing)
        }
        Frame::Joined(change) => {
            check_change(&change)?;
            Frame::Joined(change)
        }
        Frame::Left(change) => {
            check_change(&change)?;
            Frame::Left(change)
        }
        Frame::Error(mut error) => {
            repaired |= check_error(&mut error)?;
            Frame::Error(error)
        }
        Frame::Catchup(mut request) => {
            validate_room(&request.room)?;
            label_within("nonce", &request.nonce)?;
            label_within("from", &request.from)?;
            if request
                .since
                .is_some_and(|since| since > Timestamp::MAX.as_millis())
            {
                return Err("since beyond the range of message times".to_owned());
            }
            // A longer list only means the answer may repeat what the asker has.
            repaired |= request.have.len() > MAX_CATCHUP_HAVE;
            request.have.truncate(MAX_CATCHUP_HAVE);
            let before = request.have.len();
            request.have.retain(|id| check_id(id).is_ok());
            repaired |= request.have.len() != before;
            Frame::Catchup(request)
        }
        Frame::Missed(mut answer) => {
            validate_room(&answer.room)?;
            label_within("to", &answer.to)?;
            label_within("from", &answer.from)?;
            let before = answer.msgs.len();
            answer.msgs.truncate(MAX_CATCHUP_MSGS);
            answer.msgs.retain(|msg| check_message(msg).is_ok());
            repaired |= answer.msgs.len() != before;
            Frame::Missed(answer)
        }
        #[cfg(feature = "actions")]
        frame @ (Frame::Edit(_)
        | Frame::Delete(_)
        | Frame::React(_)
        | Frame::Read(_)
        | Frame::Search(_)
        | Frame::Results(_)) => check_action(frame, &mut repaired)?,
        // `leave` names a room the server looks up; `ping` carries an opaque number that is
        // only echoed back.
        frame @ (Frame::Leave(_) | Frame::Ping(_) | Frame::Pong(_) | Frame::Unknown) => frame,
    };
    Ok(Checked { frame, repaired })
}

/// Holds a message action, search or its results to the limits (clients built without the
/// `actions` feature read these frames as unknown ones and never get here).
#[cfg(feature = "actions")]
fn check_action(frame: Frame, repaired: &mut bool) -> Result<Frame, String> {
    Ok(match frame {
        Frame::Edit(edit) => {
            check_target(&edit.room, &edit.id)?;
            text_within(&edit.text)?;
            check_actor(edit.from.as_deref(), edit.uid.as_deref())?;
            Frame::Edit(edit)
        }
        Frame::Delete(delete) => {
            check_target(&delete.room, &delete.id)?;
            check_actor(delete.from.as_deref(), delete.uid.as_deref())?;
            Frame::Delete(delete)
        }
        Frame::React(react) => {
            check_target(&react.room, &react.id)?;
            check_emoji(&react.emoji)?;
            check_actor(react.from.as_deref(), react.uid.as_deref())?;
            Frame::React(react)
        }
        Frame::Read(read) => {
            validate_room(&read.room)?;
            seq_within("seq", Some(read.seq))?;
            Frame::Read(read)
        }
        Frame::Search(search) => {
            validate_room(&search.room)?;
            seq_within("req", search.req)?;
            if search.q.len() > MAX_QUERY_BYTES {
                return Err(format!(
                    "query of {} bytes over the {MAX_QUERY_BYTES} byte limit",
                    search.q.len()
                ));
            }
            Frame::Search(search)
        }
        Frame::Results(mut results) => {
            validate_room(&results.room)?;
            seq_within("req", results.req)?;
            let before = results.msgs.len();
            results.msgs.truncate(MAX_SEARCH_RESULTS);
            results.msgs.retain(|msg| check_message(msg).is_ok());
            *repaired |= results.msgs.len() != before;
            Frame::Results(results)
        }
        other => other,
    })
}

/// A chat message: its `ts` is in range by type; the rest is checked here.
pub(crate) fn check_message(msg: &ChatMessage) -> Result<(), String> {
    check_id(&msg.id)?;
    validate_room(&msg.room)?;
    validate_name(&msg.from)?;
    if let Some(uid) = &msg.uid {
        validate_uid(uid)?;
    }
    text_within(&msg.text)?;
    if let Some(original) = &msg.reply_to {
        check_id(original)?;
    }
    // A tombstone with text would be a message that is not gone.
    if msg.deleted.is_some() && !msg.text.is_empty() {
        return Err("a deleted message with text".to_owned());
    }
    check_reactions(&msg.reactions)?;
    seq_within("seq", msg.seq)
}

fn text_within(text: &str) -> Result<(), String> {
    if text.len() > MAX_TEXT_BYTES_LIMIT {
        return Err(format!(
            "text of {} bytes over the {MAX_TEXT_BYTES_LIMIT} byte limit",
            text.len()
        ));
    }
    Ok(())
}

/// The message an action is about.
#[cfg(feature = "actions")]
fn check_target(room: &str, id: &str) -> Result<(), String> {
    validate_room(room)?;
    check_id(id)
}

/// Who did an action, when the frame says so.
#[cfg(feature = "actions")]
fn check_actor(from: Option<&str>, uid: Option<&str>) -> Result<(), String> {
    if let Some(from) = from {
        validate_name(from)?;
    }
    if let Some(uid) = uid {
        validate_uid(uid)?;
    }
    Ok(())
}

fn check_reactions(reactions: &[Reaction]) -> Result<(), String> {
    if reactions.len() > MAX_REACTION_KINDS {
        return Err(format!(
            "{} kinds of reaction, more than {MAX_REACTION_KINDS}",
            reactions.len()
        ));
    }
    for reaction in reactions {
        check_emoji(&reaction.emoji)?;
        seq_within("count", Some(reaction.count))?;
        if reaction.users.len() > MAX_REACTION_USERS || reaction.count < reaction.users.len() as u64
        {
            return Err(format!(
                "a reaction listing {} users with a count of {}",
                reaction.users.len(),
                reaction.count
            ));
        }
        for user in &reaction.users {
            validate_name(user)?;
        }
    }
    Ok(())
}

fn check_change(change: &PresenceChange) -> Result<(), String> {
    validate_room(&change.room)?;
    validate_name(&change.user)
}

fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        return Err(format!(
            "id of {} bytes; ids are 1 to {MAX_ID_BYTES} bytes",
            id.len()
        ));
    }
    Ok(())
}

fn seq_within(what: &str, seq: Option<u64>) -> Result<(), String> {
    match seq {
        Some(seq) if seq > MAX_SEQ => Err(format!("{what} {seq} over the limit {MAX_SEQ}")),
        _ => Ok(()),
    }
}

fn label_within(what: &str, label: &str) -> Result<(), String> {
    if label.len() > MAX_LABEL_BYTES {
        return Err(format!(
            "{what} of {} bytes over the {MAX_LABEL_BYTES} byte limit",
            label.len()
        ));
    }
    Ok(())
}

/// Returns whether `max_text` was lowered to the limit or an oversized handshake left out.
fn check_hello(hello: &mut Hello) -> Result<bool, String> {
    label_within("server", &hello.server)?;
    label_within("epoch", &hello.epoch)?;
    if hello.features.len() > MAX_FEATURES {
        return Err(format!(
            "{} features, more than {MAX_FEATURES}",
            hello.features.len()
        ));
    }
    for feature in &hello.features {
        label_within("feature", feature)?;
    }
    let over = hello.max_text.filter(|&max| max > MAX_TEXT_BYTES_LIMIT);
    if over.is_some() {
        hello.max_text = Some(MAX_TEXT_BYTES_LIMIT);
    }
    // The handshake is informative only: a bad one is left out, and the hello still counts.
    let bad_handshake = hello.handshake.as_ref().is_some_and(|h| {
        label_within("handshake key", &h.key).is_err()
            || label_within("handshake accept", &h.accept).is_err()
    });
    if bad_handshake {
        hello.handshake = None;
    }
    Ok(over.is_some() || bad_handshake)
}

/// Returns whether names were left out or the list was cut.
fn check_presence(presence: &mut Presence) -> Result<bool, String> {
    validate_room(&presence.room)?;
    seq_within("count", presence.count)?;
    let listed = presence.users.len();
    presence.users.retain(|user| validate_name(user).is_ok());
    let refused = presence.users.len() != listed;
    let cut = presence.users.len() > MAX_PRESENCE_USERS;
    if cut {
        presence.users.truncate(MAX_PRESENCE_USERS);
        presence.count = Some(presence.count.unwrap_or(listed as u64).max(listed as u64));
    }
    Ok(refused || cut)
}

/// Returns whether the message was shortened or `retry_after` lowered.
fn check_error(error: &mut ErrorFrame) -> Result<bool, String> {
    label_within("code", &error.code)?;
    seq_within("req", error.req)?;
    if let Some(id) = &error.id {
        check_id(id)?;
    }
    let mut repaired = false;
    if error.message.len() > MAX_ERROR_MESSAGE_BYTES {
        let mut end = MAX_ERROR_MESSAGE_BYTES;
        while !error.message.is_char_boundary(end) {
            end -= 1;
        }
        error.message.truncate(end);
        repaired = true;
    }
    if let Some(wait) = error.retry_after.filter(|&w| w > MAX_RETRY_AFTER_MS) {
        error.retry_after = Some(wait.min(MAX_RETRY_AFTER_MS));
        repaired = true;
    }
    Ok(repaired)
}
