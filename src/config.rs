//! Runtime configuration: one build serves every deployment.
//!
//! Sources, later ones winning: built-in defaults, `config.json` next to `index.html`, the
//! settings saved in the app (localStorage), then the URL query
//! (`?server=ws://…&room=…&name=…`), because a link someone followed states what they want
//! for this visit. Saving settings in the app removes those keys from the URL, so the saved
//! values hold from then on.
//!
//! Sign-in (`token`, `token_url`) comes from `config.json` only, never from the URL: a link
//! that carried a token could sign the visitor in as someone else, and a token in a URL
//! ends up in the browser's history and in server logs.

use serde::{Deserialize, Serialize};
use wirechat_protocol::{check_display_name, check_room_name, LabelProblem, DEFAULT_ROOM};
use wirechat_session::TransportKind;

/// Settings the app starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// WebSocket URL of the chat server (`ws://` or `wss://`): the first of the configured
    /// list. Saved guest tokens and unsent messages are kept under it.
    pub server: String,
    /// Further servers of the same cluster, tried in order when `server` fails (failover).
    /// Empty unless `config.json` lists several.
    pub fallback_servers: Vec<String>,
    /// Room to open.
    pub room: String,
    /// Display name; `None` until the user has chosen one.
    pub name: Option<String>,
    /// Subprotocols to offer in the handshake; empty offers none.
    pub protocols: Vec<String>,
    /// Where a sign-in token comes from; `None` for guests.
    pub sign_in: Option<SignInSource>,
    /// The transports to try, in order (`transports`).
    pub transports: Vec<TransportKind>,
    /// While on a fallback, how often to see whether a WebSocket gets through, in seconds
    /// (`upgrade_check_seconds`); `None` for the session's default.
    pub upgrade_check_seconds: Option<u64>,
}

/// Where the app gets its sign-in token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInSource {
    /// A fixed token (`token`).
    Token(String),
    /// The site's token endpoint (`token_url`), fetched with the page's cookies; it answers
    /// `{"token":"…"}`.
    Url(String),
}

/// The shape of `config.json`, and of the settings saved in the app. Every key is optional.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ConfigFile {
    /// Absolute `ws://`/`wss://` URL, or a path such as `/ws` on the page's own host; or a
    /// list of them, nodes serving the same rooms, tried in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerSetting>,
    /// Default room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Default display name (normally left out of `config.json`, so each user picks one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Subprotocols to offer, e.g. `["chat"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocols: Option<Vec<String>>,
    /// A fixed sign-in token, for servers that require one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The site's token endpoint (absolute, or relative to the page), fetched with the page's
    /// cookies; it answers `{"token":"…"}`. Wins over `token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// The transports to try, in order: `"websocket"`, `"sse"`, `"long-polling"`. Default all
    /// three in that order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transports: Option<Vec<String>>,
    /// While on a fallback, how often to see whether a WebSocket gets through, in seconds.
    /// Default 180.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_check_seconds: Option<u64>,
}

/// The `server` setting: one address, or a list of addresses of nodes that serve the same
/// rooms (one Redis cluster, say), in order of preference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ServerSetting {
    /// One address.
    One(String),
    /// Several addresses; the first is preferred, the others are fallbacks.
    List(Vec<String>),
}

impl ServerSetting {
    /// The preferred address ("" for an empty list).
    pub fn first(&self) -> &str {
        match self {
            Self::One(url) => url,
            Self::List(urls) => urls.first().map_or("", String::as_str),
        }
    }

    /// Every address, in order.
    pub fn urls(&self) -> Vec<&str> {
        match self {
            Self::One(url) => vec![url.as_str()],
            Self::List(urls) => urls.iter().map(String::as_str).collect(),
        }
    }
}

// By hand rather than `#[serde(untagged)]`, which buffers the value and tries each variant
// in turn: a visitor that takes a string or a sequence is smaller in the bundle.
impl<'de> Deserialize<'de> for ServerSetting {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrList;

        impl<'de> serde::de::Visitor<'de> for OneOrList {
            type Value = ServerSetting;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a server address or a list of them")
            }

            fn visit_str<E: serde::de::Error>(self, url: &str) -> Result<Self::Value, E> {
                Ok(ServerSetting::One(url.to_owned()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut urls = Vec::new();
                while let Some(url) = seq.next_element()? {
                    urls.push(url);
                }
                Ok(ServerSetting::List(urls))
            }
        }

        deserializer.deserialize_any(OneOrList)
    }
}

impl From<String> for ServerSetting {
    fn from(url: String) -> Self {
        Self::One(url)
    }
}

impl From<&str> for ServerSetting {
    fn from(url: &str) -> Self {
        Self::One(url.to_owned())
    }
}

/// Overrides taken from the page URL's query string.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueryOverrides {
    /// `server=`
    pub server: Option<String>,
    /// `room=`
    pub room: Option<String>,
    /// `name=`
    pub name: Option<String>,
}

/// The page location parts the defaults depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOrigin {
    /// `http:` or `https:`.
    pub protocol: String,
    /// `host[:port]`.
    pub host: String,
}

impl PageOrigin {
    /// The same origin's `/ws`, with `wss` on https pages.
    pub fn default_server(&self) -> String {
        self.resolve("/ws")
    }

    /// Turns a server setting into a WebSocket URL: absolute ws/wss URLs pass through,
    /// http(s) URLs become ws(s), and a path is taken on the page's own host.
    pub fn resolve(&self, server: &str) -> String {
        let server = server.trim();
        if let Some(rest) = server.strip_prefix("https://") {
            return format!("wss://{rest}");
        }
        if let Some(rest) = server.strip_prefix("http://") {
            return format!("ws://{rest}");
        }
        if server.starts_with('/') && !server.starts_with("//") {
            let scheme = if self.protocol == "https:" {
                "wss"
            } else {
                "ws"
            };
            return format!("{scheme}://{}{server}", self.host);
        }
        server.to_owned()
    }
}

/// Why a configuration cannot be used; [`crate::i18n::Tr::config_error`] words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A `ws://` server on an https page, which browsers block as mixed content.
    InsecureServer(String),
    /// A server address that is not a `ws://` or `wss://` URL.
    NotWebSocket(String),
    /// A server address without a valid host.
    NoHost(String),
    /// A subprotocol that is not an HTTP token.
    BadProtocol(String),
    /// The room name is refused.
    BadRoom(LabelProblem),
    /// The display name is refused.
    BadName(LabelProblem),
    /// A `transports` entry that names no transport.
    BadTransport(String),
    /// `transports` is empty, or names one transport twice.
    TransportList,
    /// `config.json` could not be fetched or read; the browser's own words follow.
    FileUnavailable(String),
    /// `config.json` answered with this HTTP status.
    FileStatus(u16),
    /// `config.json` is not valid; the parser's words follow.
    FileInvalid(String),
}

/// Merges the sources into one configuration and checks it.
pub fn merge(
    page: &PageOrigin,
    file: ConfigFile,
    saved: ConfigFile,
    query: QueryOverrides,
) -> Result<ClientConfig, ConfigError> {
    let (server, fallback_servers) = servers_to_use(page, &file, &saved, &query);
    check_server_url(page, &server)?;
    for fallback in &fallback_servers {
        check_server_url(page, fallback)?;
    }
    let room = query
        .room
        .or(saved.room)
        .or(file.room)
        .unwrap_or_else(|| DEFAULT_ROOM.to_owned());
    check_room_name(&room).map_err(ConfigError::BadRoom)?;
    let name = query.name.or(saved.name).or(file.name);
    if let Some(name) = &name {
        check_display_name(name).map_err(ConfigError::BadName)?;
    }
    // Only the site's own file: neither a link nor the settings form signs anyone in.
    let sign_in = file
        .token_url
        .map(SignInSource::Url)
        .or(file.token.map(SignInSource::Token));
    let protocols = saved.protocols.or(file.protocols).unwrap_or_default();
    for protocol in &protocols {
        check_protocol(protocol)?;
    }
    let transports = match file.transports {
        Some(names) => parse_transports(&names)?,
        None => TransportKind::ALL.to_vec(),
    };
    Ok(ClientConfig {
        server,
        fallback_servers,
        room,
        name,
        protocols,
        sign_in,
        transports,
        upgrade_check_seconds: file.upgrade_check_seconds,
    })
}

/// The server to connect to first, and the fallbacks after it.
///
/// A link's or the user's own server wins over `config.json` as for every key. The list in
/// `config.json` still gives the fallbacks when that server is one of its addresses (the
/// settings form saves the address shown, which is the first); any other server is used
/// alone, since the list's nodes are no fallback for a server of someone else's.
fn servers_to_use(
    page: &PageOrigin,
    file: &ConfigFile,
    saved: &ConfigFile,
    query: &QueryOverrides,
) -> (String, Vec<String>) {
    let listed: Vec<String> = file
        .server
        .as_ref()
        .map(|s| s.urls().into_iter().map(|url| page.resolve(url)).collect())
        .unwrap_or_default();
    let chosen = query
        .server
        .as_deref()
        .or(saved.server.as_ref().map(ServerSetting::first))
        .map(|s| page.resolve(s));
    match chosen {
        Some(server) if !listed.contains(&server) => (server, Vec::new()),
        chosen => {
            let server = chosen
                .or_else(|| listed.first().cloned())
                .unwrap_or_else(|| page.default_server());
            let fallbacks = listed.into_iter().filter(|url| *url != server).collect();
            (server, fallbacks)
        }
    }
}

/// The host a link's `?server=` points to, when it is not the host of the server the site
/// or the user configured (`config.json`, saved settings, else the page's own `/ws`).
///
/// The app asks before it connects there: otherwise a link could send the reader's name,
/// and everything they then write, to a stranger's server. Hosts are compared without the
/// port, as a link to another port of the same host reaches the same machine.
pub fn linked_server_to_confirm(
    page: &PageOrigin,
    file: &ConfigFile,
    saved: &ConfigFile,
    query: &QueryOverrides,
) -> Option<String> {
    let linked = page.resolve(query.server.as_deref()?);
    let configured = saved
        .server
        .as_ref()
        .or(file.server.as_ref())
        .map(ServerSetting::first)
        .map(|s| page.resolve(s))
        .unwrap_or_else(|| page.default_server());
    let linked_host = host_name(&linked)?;
    (Some(linked_host.as_str()) != host_name(&configured).as_deref()).then_some(linked_host)
}

/// The host name of a `ws://`/`wss://` URL, lowercased and without port or credentials.
fn host_name(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("wss://")
        .or_else(|| url.strip_prefix("ws://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then(|| host.trim_end_matches('.').to_ascii_lowercase())
}

/// Checks a subprotocol name: an HTTP token, as the handshake requires.
pub fn check_protocol(protocol: &str) -> Result<(), ConfigError> {
    let token = !protocol.is_empty()
        && protocol
            .chars()
            .all(|c| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c));
    if token {
        Ok(())
    } else {
        Err(ConfigError::BadProtocol(protocol.to_owned()))
    }
}

/// Reads `transports`: known names, at least one, none twice.
pub fn parse_transports(names: &[String]) -> Result<Vec<TransportKind>, ConfigError> {
    let mut kinds = Vec::with_capacity(names.len());
    for name in names {
        let kind = TransportKind::from_name(name)
            .ok_or_else(|| ConfigError::BadTransport(name.clone()))?;
        if kinds.contains(&kind) {
            return Err(ConfigError::TransportList);
        }
        kinds.push(kind);
    }
    if kinds.is_empty() {
        return Err(ConfigError::TransportList);
    }
    Ok(kinds)
}

/// Splits a comma-separated list of subprotocols as typed in the settings.
pub fn parse_protocol_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks that `url` is a WebSocket URL the page may open.
pub fn check_server_url(page: &PageOrigin, url: &str) -> Result<(), ConfigError> {
    let rest = if let Some(rest) = url.strip_prefix("wss://") {
        rest
    } else if let Some(rest) = url.strip_prefix("ws://") {
        if page.protocol == "https:" {
            return Err(ConfigError::InsecureServer(url.to_owned()));
        }
        rest
    } else {
        return Err(ConfigError::NotWebSocket(url.to_owned()));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::NoHost(url.to_owned()));
    }
    Ok(())
}

/// Parses `config.json`; an unreadable file is an error the page shows.
pub fn parse_config_file(text: &str) -> Result<ConfigFile, ConfigError> {
    serde_json::from_str(text).map_err(|err| ConfigError::FileInvalid(err.to_string()))
}
