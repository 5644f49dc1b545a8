//! Every string the UI shows, in English and Korean.
//!
//! Components read the language from context ([`use_lang`]) and ask [`Tr`] for text, so a
//! language switch re-renders exactly the text that depends on it. Adding a language means
//! adding a [`Lang`] variant and one arm per string here, and nowhere else.

use crate::config::ConfigError;
use leptos::prelude::*;
use wirechat_protocol::LabelProblem;
use wirechat_session::{
    ActionRefusal, ClosedReason, SignInProblem, TransportKind, TransportReason,
};

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Korean.
    Ko,
}

impl Lang {
    /// Every supported language, in the order the switch offers them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The language for a BCP 47 tag such as `navigator.language` ("ko-KR" → Korean);
    /// anything unsupported is English.
    pub fn from_tag(tag: &str) -> Self {
        match tag
            .split(['-', '_'])
            .next()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("ko") => Lang::Ko,
            _ => Lang::En,
        }
    }

    /// The BCP 47 tag, for `<html lang>` and `Intl`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ko => "한국어",
        }
    }
}

/// The language in force, from context; English when none was provided (embedded use).
pub fn use_lang() -> Signal<Lang> {
    use_context::<Signal<Lang>>().unwrap_or_else(|| Signal::stored(Lang::En))
}

/// `text` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: inside a sentence
/// of plain text, what a peer chose (a name, a host) keeps its bidi controls to itself.
pub fn isolated(text: &str) -> String {
    format!("\u{2068}{text}\u{2069}")
}

/// A piece of a sentence that mentions people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Words of the sentence.
    Text(String),
    /// A display name, as its owner chose it.
    Name(String),
}

/// Translations. Each method returns the text in the given language.
pub struct Tr;

impl Tr {
    /// Name of the menu item that reacts with `emoji`.
    pub fn react_with(lang: Lang, emoji: &str) -> String {
        match lang {
            Lang::En => ["React with ", emoji].concat(),
            Lang::Ko => [emoji, " 반응"].concat(),
        }
    }

    /// Why an action on a message did not happen.
    pub fn action_refused(lang: Lang, refusal: ActionRefusal) -> &'static str {
        match (lang, refusal) {
            (Lang::En, ActionRefusal::Forbidden) => "Only the author can edit or delete a message.",
            (Lang::Ko, ActionRefusal::Forbidden) => {
                "메시지는 작성자만 수정하거나 삭제할 수 있습니다."
            }
            (Lang::En, ActionRefusal::NotFound) => "That message is no longer there.",
            (Lang::Ko, ActionRefusal::NotFound) => "그 메시지는 더 이상 없습니다.",
            (Lang::En, ActionRefusal::Unsupported) => "This server does not support that.",
            (Lang::Ko, ActionRefusal::Unsupported) => "이 서버는 그 기능을 지원하지 않습니다.",
            (Lang::En, ActionRefusal::Offline) => "Not connected: nothing was changed.",
            (Lang::Ko, ActionRefusal::Offline) => "연결되어 있지 않아 아무것도 바뀌지 않았습니다.",
        }
    }
}

macro_rules! texts {
    ($($(#[$doc:meta])* $name:ident => $en:literal, $ko:literal;)*) => {
        impl Tr {
            $(
                $(#[$doc])*
                pub fn $name(lang: Lang) -> &'static str {
                    match lang {
                        Lang::En => $en,
                        Lang::Ko => $ko,
                    }
                }
            )*
        }
    };
}

texts! {
    // Connection
    /// Status while the socket is open.
    connected => "Connected", "연결됨";
    /// Status while opening a socket.
    connecting => "Connecting…", "연결 중…";
    /// Status while the browser is offline or the server said not to retry.
    offline => "Offline", "오프라인";
    /// Button that reconnects without waiting.
    retry_now => "Retry now", "지금 다시 연결";
    /// Notice on servers that keep no history.
    relay_note => "History is unavailable: this server does not announce itself, so it is treated as a plain relay. You see the messages sent while you are here.",
        "기록을 불러올 수 없습니다: 이 서버는 자신을 알리지 않아 단순 중계 서버로 취급됩니다. 접속해 있는 동안 보낸 메시지만 보입니다.";
    /// Heading of the developer details.
    connection_details => "Connection details", "연결 정보";
    /// Label of the negotiated subprotocol.
    subprotocol => "Subprotocol negotiated", "협상된 서브프로토콜";
    /// Label of the subprotocols offered in the handshake.
    subprotocols_requested => "Subprotocols requested", "요청한 서브프로토콜";
    /// Label of the check of the opening handshake the server reported.
    handshake => "Handshake", "핸드셰이크";
    /// The reported accept value is the one RFC 6455 derives from the key.
    handshake_verified => "handshake verified", "핸드셰이크 확인됨";
    /// The reported accept value is not the one RFC 6455 derives from the key.
    handshake_mismatch => "handshake does not match", "핸드셰이크가 일치하지 않음";
    /// The server's hello carried no handshake (relays, other servers, HTTP transports).
    handshake_not_reported => "not reported by the server", "서버가 알리지 않음";
    /// The page cannot compute SHA-1 (no SubtleCrypto outside secure pages).
    handshake_unavailable => "cannot be checked on this page", "이 페이지에서는 확인할 수 없음";
    /// While the accept value is being computed.
    handshake_checking => "checking…", "확인 중…";
    /// Label of the transport in use.
    transport => "Transport", "전송 방식";
    /// Label of the server kind.
    server_kind => "Server", "서버";
    /// Server kind: announced itself.
    announced_server => "announced server", "기능을 알린 서버";
    /// Server kind: plain relay.
    plain_relay => "plain relay (no history)", "단순 중계 (기록 없음)";
    /// Server kind: not known yet.
    unknown_yet => "unknown yet", "아직 모름";
    /// Label of the dropped-frame counter.
    dropped_frames => "Dropped frames", "버린 프레임";
    /// Label of the counter of frames kept with a repaired value.
    repaired_frames => "Repaired frames", "고친 프레임";
    /// Label of the last and smoothed ping round trips.
    round_trip => "Round trip (last / smoothed)", "왕복 시간 (최근 / 평균)";
    /// Label of the frames received and sent.
    frames_in_out => "Frames in / out", "프레임 받음 / 보냄";
    /// Label of the bytes received and sent.
    bytes_in_out => "Bytes in / out", "바이트 받음 / 보냄";
    /// Label of the count of connections opened after the first.
    reconnects => "Reconnects", "재연결";
    /// Label of the recent close codes.
    recent_closes => "Recent closes", "최근 연결 종료";
    /// Label of the last server error.
    last_server_error => "Last server error", "마지막 서버 오류";
    /// No value.
    none => "none", "없음";
    /// Shown instead of a room's messages when the server refused this user the room.
    room_forbidden => "You are not allowed in this room. Your other rooms keep working.",
        "이 방에 들어갈 권한이 없습니다. 다른 방은 그대로 쓸 수 있습니다.";

    // Messages
    /// Accessible name of the message list.
    messages => "Messages", "메시지";
    /// Shown in an empty room.
    no_messages => "No messages yet. Say hello!", "아직 메시지가 없습니다. 인사해 보세요!";
    /// Delivery state: not yet confirmed.
    sending => "Sending", "보내는 중";
    /// Delivery state: written to a relay.
    sent => "Sent", "보냄";
    /// Delivery state: confirmed by the server.
    delivered => "Delivered", "전달됨";
    /// Delivery state: not confirmed in time.
    not_delivered => "Not delivered", "전달 안 됨";
    /// Button that resends a failed message.
    retry => "Retry", "다시 보내기";
    /// Button that deletes a failed message.
    delete => "Delete", "삭제";
    /// What is left of a deleted message.
    message_deleted => "message deleted", "삭제된 메시지";
    /// After the text of an edited message.
    edited => "(edited)", "(수정됨)";
    /// Before a reply's quote, for assistive technology.
    in_reply_to => "In reply to", "답장 대상:";
    /// A reply's quote when the original is not loaded; a click fetches it.
    original_not_loaded => "Original message not loaded: show it", "원본 메시지를 불러오지 않았습니다: 보기";
    /// Name of a message's menu button and menu.
    message_actions => "Message actions", "메시지 작업";
    /// Menu item: answer the message.
    reply => "Reply", "답장";
    /// Menu item: change the text of the user's message.
    edit => "Edit", "수정";
    /// Menu item: copy a link to the message.
    copy_link => "Copy link", "링크 복사";
    /// A linked (or quoted) message that the room does not hold, even from its beginning.
    message_not_found => "Message not found in this room", "이 방에서 메시지를 찾을 수 없습니다";
    /// The confirmation before deleting a message.
    delete_this_message => "Delete this message for everyone?", "모든 사람에게서 이 메시지를 삭제할까요?";
    /// Above the composer while writing a reply.
    replying_to => "Replying to", "답장:";
    /// Above the composer while editing.
    editing_message => "Editing your message (Esc to cancel)", "메시지 수정 중 (Esc로 취소)";

    // Composer
    /// Accessible name of the composer.
    message => "Message", "메시지";
    /// Placeholder of the composer.
    write_a_message => "Write a message…", "메시지를 입력하세요…";
    /// The send button.
    send => "Send", "보내기";

    // People
    /// Label of the presence list.
    online => "Online", "접속 중";

    // Name prompt and settings
    /// Name prompt heading.
    welcome => "Welcome to wirechat", "wirechat에 오신 것을 환영합니다";
    /// Name field label.
    your_name => "Your name", "이름";
    /// Under the settings' read-only name field of a signed-in user.
    name_from_sign_in => "Your name comes from your sign-in and cannot be changed here.",
        "이름은 로그인한 계정에서 오므로 여기서 바꿀 수 없습니다.";
    /// Name prompt button.
    start_chatting => "Start chatting", "채팅 시작";
    /// Settings heading and button label.
    settings => "Settings", "설정";
    /// Server field label.
    server_field => "Server", "서버";
    /// Room field label.
    room_field => "Room", "방";
    /// Subprotocols field label.
    subprotocols_field => "Subprotocols (comma-separated, empty for none)", "서브프로토콜 (쉼표로 구분, 없으면 비움)";
    /// Cancel button.
    cancel => "Cancel", "취소";
    /// Save button.
    save => "Save", "저장";
    /// Heading when the configuration is unusable.
    cannot_start => "This chat cannot start", "채팅을 시작할 수 없습니다";
    /// Button that clears saved settings.
    reset_settings => "Reset settings", "설정 초기화";

    // Message list
    /// Top of the list while older messages are fetched.
    loading_older => "Loading older messages…", "이전 메시지를 불러오는 중…";
    /// Top of the list once nothing older exists.
    beginning_of_conversation => "Beginning of the conversation", "대화의 시작";
    /// Day separator above today's messages.
    today => "Today", "오늘";
    /// Day separator above yesterday's messages.
    yesterday => "Yesterday", "어제";

    // When the app stops
    /// Heading of the notice shown after a panic.
    something_went_wrong => "Something went wrong", "문제가 발생했습니다";
    /// What the panic notice explains.
    crash_detail => "The chat stopped working. Messages you had not sent yet are kept and go out after reloading.", "채팅이 멈췄습니다. 아직 보내지 않은 메시지는 남아 있으며 새로 고침하면 전송됩니다.";
    /// Button that reloads the page after a panic.
    reload => "Reload", "새로 고침";

    // A link that names another server
    /// Button that accepts the server a link names.
    connect => "Connect", "연결";
    /// What asking about a linked server explains.
    other_server_detail => "This link names a chat server other than this site's. Your name and everything you write go to that server.", "이 링크는 이 사이트가 아닌 다른 채팅 서버를 가리킵니다. 이름과 입력하는 모든 내용이 그 서버로 전송됩니다.";
}

impl Tr {
    /// The transport in use and why, e.g. "long polling (the WebSocket could not open)".
    pub fn transport_in_use(lang: Lang, kind: TransportKind, reason: TransportReason) -> String {
        let name = match (lang, kind) {
            (Lang::En, TransportKind::WebSocket) => "WebSocket",
            (Lang::En, TransportKind::Sse) => "server-sent events",
            (Lang::En, TransportKind::LongPolling) => "long polling",
            (Lang::Ko, TransportKind::WebSocket) => "웹소켓",
            (Lang::Ko, TransportKind::Sse) => "서버 전송 이벤트",
            (Lang::Ko, TransportKind::LongPolling) => "롱 폴링",
        };
        let failed = |kind: TransportKind| match (lang, kind) {
            (Lang::En, TransportKind::WebSocket) => "the WebSocket",
            (Lang::En, TransportKind::Sse) => "the event stream",
            (Lang::En, TransportKind::LongPolling) => "long polling",
            (Lang::Ko, TransportKind::WebSocket) => "웹소켓",
            (Lang::Ko, TransportKind::Sse) => "이벤트 스트림",
            (Lang::Ko, TransportKind::LongPolling) => "롱 폴링",
        };
        let why = match (lang, reason) {
            (Lang::En, TransportReason::FirstChoice) => "the first choice".to_owned(),
            (Lang::Ko, TransportReason::FirstChoice) => "첫 번째 선택".to_owned(),
            (Lang::En, TransportReason::Remembered) => {
                "it worked with this server a short while ago".to_owned()
            }
            (Lang::Ko, TransportReason::Remembered) => "얼마 전 이 서버에서 잘 됐습니다".to_owned(),
            (Lang::En, TransportReason::CouldNotOpen(k)) => [failed(k), " could not open"].concat(),
            (Lang::Ko, TransportReason::CouldNotOpen(k)) => {
                [failed(k), "을(를) 열 수 없었습니다"].concat()
            }
            (Lang::En, TransportReason::DiedEarly(k)) => {
                [failed(k), " closed before the server's first frame"].concat()
            }
            (Lang::Ko, TransportReason::DiedEarly(k)) => {
                [failed(k), "이(가) 서버의 첫 프레임 전에 끊겼습니다"].concat()
            }
            (Lang::En, TransportReason::Upgraded) => "a WebSocket gets through again".to_owned(),
            (Lang::Ko, TransportReason::Upgraded) => "웹소켓이 다시 연결됩니다".to_owned(),
        };
        [name, " (", &why, ")"].concat()
    }

    /// "Connect to chat.example?", asked before following a link to another server.
    /// The host is isolated, so bidi controls in it cannot reorder the words around it.
    pub fn connect_to(lang: Lang, host: &str) -> String {
        match lang {
            Lang::En => format!("Connect to {}?", isolated(host)),
            Lang::Ko => format!("{}에 연결할까요?", isolated(host)),
        }
    }

    /// "Reconnecting in 3 s".
    pub fn reconnecting_in(lang: Lang, secs: u64) -> String {
        match lang {
            Lang::En => format!("Reconnecting in {secs} s"),
            Lang::Ko => format!("{secs}초 후 다시 연결"),
        }
    }

    /// Notice while the server holds this client back for sending too fast.
    pub fn rate_limited_wait(lang: Lang, secs: u64) -> String {
        match lang {
            Lang::En => format!("Sending too fast: your messages wait {secs} s, then go out"),
            Lang::Ko => {
                format!("너무 빨리 보내고 있습니다: 메시지는 {secs}초 기다린 뒤 전송됩니다")
            }
        }
    }

    /// Status after a failed sign-in: why, and when the next attempt starts.
    pub fn sign_in_failed(lang: Lang, problem: &SignInProblem, secs: u64) -> String {
        // One sentence built in place: the reason, then the app's own words when it gave any.
        let (why, detail) = match (lang, problem) {
            (Lang::En, SignInProblem::NoToken(why)) => {
                ("could not get a sign-in token", why.as_str())
            }
            (Lang::Ko, SignInProblem::NoToken(why)) => {
                ("로그인 토큰을 받지 못했습니다", why.as_str())
            }
            (Lang::En, SignInProblem::NoAnswer) => ("no sign-in token came in time", ""),
            (Lang::Ko, SignInProblem::NoAnswer) => ("로그인 토큰이 제때 오지 않았습니다", ""),
            (Lang::En, SignInProblem::Refused) => ("the server refused the sign-in token", ""),
            (Lang::Ko, SignInProblem::Refused) => ("서버가 로그인 토큰을 거부했습니다", ""),
            (Lang::En, SignInProblem::SameToken) => (
                "the sign-in token was refused before and was not sent again",
                "",
            ),
            (Lang::Ko, SignInProblem::SameToken) => {
                ("이미 거부된 로그인 토큰이라 다시 보내지 않았습니다", "")
            }
        };
        let (before, after) = match lang {
            Lang::En => ("Not signed in: ", ". Retrying in "),
            Lang::Ko => ("로그인하지 못했습니다: ", ". "),
        };
        let mut text = String::from(before);
        text.push_str(why);
        if !detail.is_empty() {
            text.push_str(" (\u{2068}");
            text.push_str(detail);
            text.push_str("\u{2069})");
        }
        text.push_str(after);
        text.push_str(&secs.to_string());
        text.push_str(match lang {
            Lang::En => " s",
            Lang::Ko => "초 후 다시 시도",
        });
        text
    }

    /// Who this user is signed in as.
    pub fn signed_in_as(lang: Lang, name: &str) -> String {
        match lang {
            Lang::En => format!("Signed in as {}", isolated(name)),
            Lang::Ko => format!("{}(으)로 로그인됨", isolated(name)),
        }
    }

    /// "Offline: <reason>" for a connection closed for good.
    pub fn offline_because(lang: Lang, reason: &ClosedReason) -> String {
        format!("{}: {}", Tr::offline(lang), Tr::closed_reason(lang, reason))
    }

    /// Why the connection closed for good. A reason the server gave is its own words,
    /// isolated so its bidi controls stay inside it.
    pub fn closed_reason(lang: Lang, reason: &ClosedReason) -> String {
        match (lang, reason) {
            (Lang::En, ClosedReason::Deliberate) => "Disconnected".into(),
            (Lang::Ko, ClosedReason::Deliberate) => "연결을 끊었습니다".into(),
            (Lang::En, ClosedReason::ServerRefused { code }) => {
                format!("The server closed the connection (code {code}) and asked not to retry.")
            }
            (Lang::Ko, ClosedReason::ServerRefused { code }) => {
                format!("서버가 연결을 닫고(코드 {code}) 다시 연결하지 말라고 했습니다.")
            }
            (Lang::En, ClosedReason::ServerSaid(why)) => {
                format!("The server closed the connection: {}", isolated(why))
            }
            (Lang::Ko, ClosedReason::ServerSaid(why)) => {
                format!("서버가 연결을 닫았습니다: {}", isolated(why))
            }
            (Lang::En, ClosedReason::SignInRequired) => {
                "This server requires signing in, and no sign-in token is configured.".into()
            }
            (Lang::Ko, ClosedReason::SignInRequired) => {
                "이 서버는 로그인이 필요한데 로그인 토큰이 설정되어 있지 않습니다.".into()
            }
        }
    }

    /// What a WebSocket close code means (wirechat_protocol::close_code); "unknown code" for
    /// codes it does not name, whose number is shown beside it already.
    pub fn close_meaning(lang: Lang, code: u16) -> &'static str {
        use wirechat_protocol::close_code::*;
        let (en, ko) = match code {
            NORMAL => ("normal closure", "정상 종료"),
            GOING_AWAY => ("server going away", "서버 종료 또는 재시작"),
            PROTOCOL_ERROR => ("protocol error", "프로토콜 오류"),
            UNSUPPORTED_DATA => ("unsupported data", "지원하지 않는 데이터"),
            ABNORMAL => ("lost without a close frame", "종료 프레임 없이 끊김"),
            INVALID_DATA => ("invalid data", "잘못된 데이터"),
            POLICY => ("policy violation", "정책 위반"),
            TOO_BIG => ("frame too big", "프레임이 너무 큼"),
            INTERNAL_ERROR => ("server error", "서버 오류"),
            SLOW_CONSUMER => ("read too slowly", "너무 느리게 읽음"),
            UNAUTHORIZED => ("token refused", "토큰 거부됨"),
            FORBIDDEN => ("not allowed here", "이 서버 사용 권한 없음"),
            _ => ("unknown code", "알 수 없는 코드"),
        };
        match lang {
            Lang::En => en,
            Lang::Ko => ko,
        }
    }

    /// The typing indicator for a list of typists (empty when nobody types).
    pub fn typing(lang: Lang, names: &[String]) -> String {
        Tr::typing_parts(lang, names)
            .into_iter()
            .map(|part| match part {
                Part::Text(text) | Part::Name(text) => text,
            })
            .collect()
    }

    /// [`Tr::typing`] in pieces, so the names can be rendered isolated (`<bdi>`).
    pub fn typing_parts(lang: Lang, names: &[String]) -> Vec<Part> {
        let name = |n: &String| Part::Name(n.clone());
        let text = |t: &str| Part::Text(t.to_owned());
        match (lang, names) {
            (_, []) => Vec::new(),
            (Lang::En, [one]) => vec![name(one), text(" is typing…")],
            (Lang::En, [a, b]) => vec![name(a), text(" and "), name(b), text(" are typing…")],
            (Lang::En, [a, b, rest @ ..]) => vec![
                name(a),
                text(", "),
                name(b),
                Part::Text(format!(" and {} others are typing…", rest.len())),
            ],
            (Lang::Ko, [one]) => vec![name(one), text(" 님이 입력 중…")],
            (Lang::Ko, [a, b]) => vec![name(a), text(" 님과 "), name(b), text(" 님이 입력 중…")],
            (Lang::Ko, [a, b, rest @ ..]) => vec![
                name(a),
                text(" 님, "),
                name(b),
                Part::Text(format!(" 님 외 {}명이 입력 중…", rest.len())),
            ],
        }
    }

    /// Why Send is disabled for an over-long message.
    pub fn too_long(lang: Lang, len: usize, max: usize) -> String {
        match lang {
            Lang::En => format!("The message is {len} bytes; this server accepts at most {max}."),
            Lang::Ko => {
                format!("메시지가 {len}바이트입니다. 이 서버는 최대 {max}바이트까지 받습니다.")
            }
        }
    }
}

texts! {
    // Rooms and preferences
    /// Heading and label of the room list.
    rooms => "Rooms", "방 목록";
    /// Placeholder and label of the join field.
    room_to_join => "Room to join", "참여할 방";
    /// Join button.
    join => "Join", "참여";
    /// Language switch label.
    language => "Language", "언어";
    /// Theme switch.
    dark_theme => "Dark theme", "어두운 테마";
    /// Button that asks for notification permission.
    enable_notifications => "Enable notifications", "알림 켜기";
    /// Button that opens the room drawer on small screens.
    show_rooms => "Show rooms", "방 목록 보기";
    /// Button that closes the room drawer.
    hide_rooms => "Hide rooms", "방 목록 닫기";

    // Mentions
    /// Said with a message that mentions the reader.
    mentions_you => "mentions you", "나를 언급함";
    /// Label of the list of members the composer offers to mention.
    members_to_mention => "Members to mention", "언급할 멤버";
    /// Switch for desktop notifications of mentions.
    notify_mentions => "Notify me of mentions", "나를 언급하면 알림";
}

// Mentions
impl Tr {
    /// Accessible label of a room's mark for unread mentions of the reader.
    pub fn unread_mentions(lang: Lang, count: u32) -> String {
        match lang {
            Lang::En if count == 1 => "1 mention of you".to_owned(),
            Lang::En => format!("{count} mentions of you"),
            Lang::Ko => format!("나를 언급한 메시지 {count}개"),
        }
    }

    /// Title of a desktop notification of a mention.
    pub fn mentioned_by(lang: Lang, from: &str, room: &str) -> String {
        let from = isolated(from);
        match lang {
            Lang::En => format!("{from} mentioned you in #{room}"),
            Lang::Ko => format!("#{room}에서 {from} 님이 나를 언급함"),
        }
    }
}

impl Tr {
    /// Accessible label of a room's leave button.
    pub fn leave_room(lang: Lang, room: &str) -> String {
        match lang {
            Lang::En => format!("Leave #{room}"),
            Lang::Ko => format!("#{room} 나가기"),
        }
    }

    /// Accessible label of an unread count.
    pub fn unread(lang: Lang, count: u32) -> String {
        match lang {
            Lang::En if count == 1 => "1 unread message".to_owned(),
            Lang::En => format!("{count} unread messages"),
            Lang::Ko => format!("읽지 않은 메시지 {count}개"),
        }
    }

    /// Title of a desktop notification.
    pub fn new_message_from(lang: Lang, from: &str, room: &str) -> String {
        let from = isolated(from);
        match lang {
            Lang::En => format!("{from} in #{room}"),
            Lang::Ko => format!("#{room}의 {from}"),
        }
    }
}

// Message list
impl Tr {
    /// The button that jumps to messages that arrived below the screen.
    pub fn new_messages(lang: Lang, count: usize) -> String {
        match lang {
            Lang::En if count == 1 => "1 new message".to_owned(),
            Lang::En => format!("{count} new messages"),
            Lang::Ko => format!("새 메시지 {count}개"),
        }
    }
}

// Refused settings, names and rooms
impl Tr {
    /// Why a room name was refused.
    pub fn room_problem(lang: Lang, problem: LabelProblem) -> String {
        label_problem(lang, problem, "room name", "방 이름")
    }

    /// Why a display name was refused.
    pub fn name_problem(lang: Lang, problem: LabelProblem) -> String {
        label_problem(lang, problem, "name", "이름")
    }

    /// Why the configuration or the settings cannot be used.
    pub fn config_error(lang: Lang, error: &ConfigError) -> String {
        match (lang, error) {
            (_, ConfigError::BadRoom(problem)) => Tr::room_problem(lang, *problem),
            (_, ConfigError::BadName(problem)) => Tr::name_problem(lang, *problem),
            (Lang::En, ConfigError::InsecureServer(url)) => format!(
                "The server {url} uses ws://, but this page was loaded over https. Browsers block \
                 unencrypted sockets from secure pages (mixed content): use a wss:// address."
            ),
            (Lang::Ko, ConfigError::InsecureServer(url)) => format!(
                "서버 {url}은(는) ws://를 쓰지만 이 페이지는 https로 열렸습니다. 브라우저는 보안 \
                 페이지에서 암호화되지 않은 소켓을 막습니다(혼합 콘텐츠): wss:// 주소를 쓰세요."
            ),
            (Lang::En, ConfigError::NotWebSocket(url)) => format!(
                "The server address \"{url}\" is not a WebSocket URL: it must start with ws:// or wss://."
            ),
            (Lang::Ko, ConfigError::NotWebSocket(url)) => format!(
                "서버 주소 \"{url}\"은(는) WebSocket URL이 아닙니다: ws:// 또는 wss://로 시작해야 합니다."
            ),
            (Lang::En, ConfigError::NoHost(url)) => {
                format!("The server address \"{url}\" has no valid host.")
            }
            (Lang::Ko, ConfigError::NoHost(url)) => {
                format!("서버 주소 \"{url}\"에 올바른 호스트가 없습니다.")
            }
            (Lang::En, ConfigError::BadProtocol(protocol)) => format!(
                "The subprotocol \"{protocol}\" is not valid: use letters, digits and - . _ only."
            ),
            (Lang::Ko, ConfigError::BadProtocol(protocol)) => format!(
                "서브프로토콜 \"{protocol}\"은(는) 올바르지 않습니다: 영문자, 숫자와 - . _만 쓰세요."
            ),
            (Lang::En, ConfigError::BadTransport(name)) => format!(
                "The transport \"{name}\" is unknown: use \"websocket\", \"sse\" or \"long-polling\"."
            ),
            (Lang::Ko, ConfigError::BadTransport(name)) => format!(
                "전송 방식 \"{name}\"은(는) 알 수 없습니다: \"websocket\", \"sse\", \"long-polling\" 중에서 쓰세요."
            ),
            (Lang::En, ConfigError::TransportList) => {
                "transports must list at least one transport, each at most once.".to_owned()
            }
            (Lang::Ko, ConfigError::TransportList) => {
                "transports에는 전송 방식이 하나 이상, 각각 한 번씩만 있어야 합니다.".to_owned()
            }
            (Lang::En, ConfigError::FileUnavailable(detail)) => {
                format!("config.json could not be loaded: {detail}")
            }
            (Lang::Ko, ConfigError::FileUnavailable(detail)) => {
                format!("config.json을 불러올 수 없습니다: {detail}")
            }
            (Lang::En, ConfigError::FileStatus(status)) => {
                format!("config.json could not be loaded: HTTP {status}")
            }
            (Lang::Ko, ConfigError::FileStatus(status)) => {
                format!("config.json을 불러올 수 없습니다: HTTP {status}")
            }
            (Lang::En, ConfigError::FileInvalid(detail)) => {
                format!("config.json is not valid: {detail}")
            }
            (Lang::Ko, ConfigError::FileInvalid(detail)) => {
                format!("config.json이 올바르지 않습니다: {detail}")
            }
        }
    }
}

/// `problem` as a sentence about the room name or the display name (`en`/`ko` name it).
fn label_problem(lang: Lang, problem: LabelProblem, en: &str, ko: &str) -> String {
    match lang {
        Lang::En => problem.sentence(en),
        // Both names end in a final consonant, so they take 이.
        Lang::Ko => match problem {
            LabelProblem::Empty => format!("{ko}이 비어 있습니다."),
            LabelProblem::TooLong { max } => format!("{ko}이 {max}바이트보다 깁니다."),
            LabelProblem::EdgeSpace => format!("{ko}의 앞이나 뒤에 공백이 있습니다."),
            LabelProblem::Control => format!("{ko}에 제어 문자가 들어 있습니다."),
            LabelProblem::Invisible(c) => format!(
                "{ko}에 보이지 않는 문자(U+{:04X})가 들어 있습니다.",
                u32::from(c)
            ),
        },
    }
}

// Where the reader left off, and search
texts! {
    /// The line above the first message that came since the reader last read the room.
    unread_line => "New messages", "새 메시지";
    /// The room header's button that opens the search panel.
    search_messages => "Search messages", "메시지 검색";
    /// Label of the search field.
    search_field => "Search this room", "이 방에서 검색";
    /// The button that sends the search.
    search_go => "Search", "검색";
    /// The button that closes the search panel.
    close_search => "Close search", "검색 닫기";
    /// While the server looks for messages.
    searching => "Searching…", "검색 중…";
    /// When nothing matched.
    no_results => "No messages found", "찾은 메시지가 없습니다";
    /// On servers that cannot search.
    search_unavailable => "This server cannot search messages", "이 서버는 메시지를 검색할 수 없습니다";
    /// While older messages are loaded to show the one chosen.
    finding_message => "Loading the message…", "메시지를 불러오는 중…";
}

impl Tr {
    /// How many messages a search found.
    pub fn results_found(lang: Lang, count: usize) -> String {
        match lang {
            Lang::En if count == 1 => "1 message found".to_owned(),
            Lang::En => format!("{count} messages found"),
            Lang::Ko => format!("메시지 {count}개를 찾았습니다"),
        }
    }
}
