//! The command line of the `wirechat-server` binary.
//!
//! Every flag can also be given as an environment variable named `WIRECHAT_` and the flag in
//! capitals (`--data-dir` is `WIRECHAT_DATA_DIR`), as container deployments expect; a flag on
//! the command line wins over its variable. Lists (`--allow-origin`, `--allow-host`) take
//! commas in the variable.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use wirechat_protocol::DEFAULT_MAX_TEXT_BYTES;

use crate::{
    AuthConfig, Config, FlowLimits, HttpTransports, Rate, Retention, SigningKey, Storage,
    TokenRequest,
};

/// Where the binary keeps its history unless told otherwise: `./data`.
pub const DEFAULT_DATA_DIR: &str = "data";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
// Made once per process: the size of `Run` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Serve until stopped.
    Serve(Box<Serve>),
    /// Print a token signed with a shared secret.
    Token(Box<Token>),
}

/// A token to print: who it is for, and the secret to sign it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The shared secret (`--secret-file`); always [`SigningKey::Secret`].
    pub key: SigningKey,
    /// The claims.
    pub request: TokenRequest,
}

/// How to serve: the server's configuration and the process's logging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serve {
    /// The server's configuration.
    pub config: Config,
    /// The log filter (`--log`), when one was given; otherwise `RUST_LOG` or `info` applies.
    pub log: Option<String>,
}

/// Parses the arguments after the program name.
///
/// Unlike [`Config::default`], the binary keeps history in SQLite: in [`DEFAULT_DATA_DIR`]
/// unless `--data-dir` names another directory or `--memory` asks for none.
///
/// `--help`, `--version` and mistakes come back as a [`clap::Error`]; its `exit()` prints
/// them and exits with 0 (help, version) or 2 (a mistake).
pub fn parse<I, A>(args: I) -> Result<Command, clap::Error>
where
    I: IntoIterator<Item = A>,
    A: Into<OsString>,
{
    let program = std::iter::once(OsString::from("wirechat-server"));
    let cli = Cli::try_parse_from(program.chain(args.into_iter().map(Into::into)))?;
    let serve = match cli.command {
        Some(Action::Serve(options)) => *options,
        Some(Action::Token(token)) => return Ok(Command::Token(Box::new(token.into_token()))),
        None => cli.serve,
    };
    Ok(Command::Serve(Box::new(serve.into_serve())))
}

/// Serves wirechat rooms over WebSocket at /ws and, with --dist, the built frontend at /.
///
/// Every option can also be set by an environment variable, shown as [env: ...]; lists take
/// commas there. Durations are written like 10s, 5m, 30days.
#[derive(Debug, Parser)]
#[command(
    name = "wirechat-server",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Action>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Serve rooms (what the server does when no command is given).
    Serve(Box<ServeArgs>),
    /// Print a token (HS256) for a user, signed with the secret the server checks tokens
    /// with. For trying sign-in out; a web app issues its users' tokens itself.
    Token(TokenArgs),
}

#[derive(Debug, Clone, Args)]
struct TokenArgs {
    /// File holding the shared secret (the server's --jwt-secret-file).
    #[arg(long, env = "WIRECHAT_JWT_SECRET_FILE", value_name = "FILE", value_parser = secret_file)]
    secret_file: SigningKey,

    /// The user id (the token's sub).
    #[arg(long, value_name = "ID", value_parser = uid)]
    sub: String,

    /// The display name (the token's name).
    #[arg(long, value_name = "NAME", value_parser = display_name)]
    name: String,

    /// Room patterns the user may join and read, like support or team-* (any room when
    /// not given).
    #[arg(long, value_name = "PATTERN", value_delimiter = ',')]
    rooms: Vec<String>,

    /// How long the token is valid.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = positive_duration)]
    ttl: Duration,

    /// The audience (aud), for servers started with --jwt-audience.
    #[arg(long, env = "WIRECHAT_JWT_AUDIENCE", value_name = "AUD")]
    audience: Option<String>,
}

impl TokenArgs {
    fn into_token(self) -> Token {
        Token {
            key: self.secret_file,
            request: TokenRequest {
                sub: self.sub,
                name: self.name,
                rooms: self.rooms,
                ttl: self.ttl,
                audience: self.audience,
            },
        }
    }
}

/// Signed-in users: without a key every connection is a guest.
#[derive(Debug, Clone, Args)]
struct JwtArgs {
    /// Require signed-in users, with HS256 tokens signed with the secret in FILE (at least
    /// 32 bytes; a trailing newline is not part of it).
    #[arg(long, env = "WIRECHAT_JWT_SECRET_FILE", value_name = "FILE", value_parser = secret_file, group = "jwt_key")]
    jwt_secret_file: Option<SigningKey>,

    /// Require signed-in users, with tokens signed by the private half of this public key
    /// (PEM): Ed25519 keys take EdDSA tokens, RSA keys RS256.
    #[arg(long, env = "WIRECHAT_JWT_PUBLIC_KEY", value_name = "FILE", value_parser = public_key_file, group = "jwt_key")]
    jwt_public_key: Option<SigningKey>,

    /// Accept only tokens whose aud names AUD.
    #[arg(
        long,
        env = "WIRECHAT_JWT_AUDIENCE",
        value_name = "AUD",
        requires = "jwt_key"
    )]
    jwt_audience: Option<String>,

    /// Also read the token from this cookie of the WebSocket request (same-origin sites);
    /// the client then sends no auth frame.
    #[arg(
        long,
        env = "WIRECHAT_JWT_COOKIE",
        value_name = "NAME",
        requires = "jwt_key"
    )]
    jwt_cookie: Option<String>,

    /// How far the server's clock may disagree with the token issuer's, for exp and nbf.
    #[arg(long, env = "WIRECHAT_JWT_LEEWAY", value_name = "DURATION", default_value = "5s", value_parser = duration)]
    jwt_leeway: Duration,
}

impl JwtArgs {
    fn into_auth(self) -> Option<AuthConfig> {
        let key = self.jwt_secret_file.or(self.jwt_public_key)?;
        Some(AuthConfig {
            audience: self.jwt_audience,
            cookie: self.jwt_cookie,
            leeway: self.jwt_leeway,
            ..AuthConfig::new(key)
        })
    }
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// Listen on this address; port 0 picks a free port.
    #[arg(long, env = "WIRECHAT_BIND", value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = bind_addr)]
    bind: SocketAddr,

    /// Serve the built frontend from this directory at /.
    #[arg(long, env = "WIRECHAT_DIST", value_name = "DIR", value_parser = existing_dir)]
    dist: Option<PathBuf>,

    /// Also accept browser pages from this origin, e.g. https://chat.example (repeatable; the
    /// server's own origin and localhost pages always are).
    #[arg(long, env = "WIRECHAT_ALLOW_ORIGIN", value_name = "ORIGIN", value_delimiter = ',', value_parser = origin)]
    allow_origin: Vec<String>,

    /// Also answer requests whose Host is this name, e.g. chat.example (repeatable; IP
    /// addresses and localhost always are; * allows any name). Other names get 421, so a
    /// rebound DNS name cannot reach a server on loopback.
    #[arg(long, env = "WIRECHAT_ALLOW_HOST", value_name = "NAME", value_delimiter = ',', value_parser = host_name)]
    allow_host: Vec<String>,

    /// Keep history in DIR/wirechat.sqlite3, creating DIR if missing; it survives restarts,
    /// so clients resume. Only one server may use a directory at a time.
    #[arg(long, env = "WIRECHAT_DATA_DIR", value_name = "DIR", default_value = DEFAULT_DATA_DIR, conflicts_with = "memory")]
    data_dir: PathBuf,

    /// Keep history in memory only: it is lost when the server stops.
    #[arg(long, env = "WIRECHAT_MEMORY")]
    memory: bool,

    /// Share rooms, seq, history and presence with every node using the Redis at this URL,
    /// e.g. redis://127.0.0.1:6379 (see docs/SCALING.md); --retain-messages trims its streams.
    #[arg(
        long,
        env = "WIRECHAT_REDIS",
        value_name = "URL",
        conflicts_with = "memory"
    )]
    redis: Option<String>,

    /// WebSocket connections served at once; more are refused with 503.
    #[arg(long, env = "WIRECHAT_MAX_CONNECTIONS", value_name = "N", default_value_t = Config::default().max_connections, value_parser = positive)]
    max_connections: usize,

    /// WebSocket connections served at once from one IP address; more are refused with 429.
    #[arg(long, env = "WIRECHAT_MAX_CONNECTIONS_PER_IP", value_name = "N", default_value_t = Config::default().max_connections_per_ip, value_parser = positive)]
    max_connections_per_ip: usize,

    /// The longest message text accepted, in bytes of UTF-8 (64 to 32768), announced to
    /// clients in hello.max_text; longer messages are refused with too_large.
    #[arg(long, env = "WIRECHAT_MAX_TEXT", value_name = "BYTES", default_value_t = Config::default().max_text_bytes, value_parser = text_limit)]
    max_text: usize,

    /// Close a connection whose request headers (the WebSocket handshake) are not complete
    /// after this long.
    #[arg(long, env = "WIRECHAT_HANDSHAKE_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = positive_duration)]
    handshake_timeout: Duration,

    /// Answer a long-polling request with no frames after this long (`wait=` may ask for less).
    #[arg(long, env = "WIRECHAT_POLL_WAIT", value_name = "DURATION", default_value = "25s", value_parser = positive_duration)]
    poll_wait: Duration,

    /// Close a polling connection whose client asked for no frames for this long, as a
    /// silent socket is closed.
    #[arg(long, env = "WIRECHAT_POLL_IDLE", value_name = "DURATION", default_value = "60s", value_parser = positive_duration)]
    poll_idle: Duration,

    /// Messages kept per room in the data directory, the newest ones; 0 keeps all.
    #[arg(
        long,
        env = "WIRECHAT_RETAIN_MESSAGES",
        value_name = "N",
        default_value = "10000"
    )]
    retain_messages: u64,

    /// Delete messages older than this from the data directory; 0 keeps them however old.
    /// The newest message of each room is always kept.
    #[arg(long, env = "WIRECHAT_RETAIN_FOR", value_name = "DURATION", default_value = "30days", value_parser = duration)]
    retain_for: Duration,

    /// How often the retention limits are applied.
    #[arg(long, env = "WIRECHAT_RETENTION_INTERVAL", value_name = "DURATION", default_value = "1m", value_parser = positive_duration)]
    retention_interval: Duration,

    /// What to log, as a tracing filter such as info, debug or wirechat_server=debug
    /// [default: RUST_LOG if set, else info].
    #[arg(long, env = "WIRECHAT_LOG", value_name = "FILTER")]
    log: Option<String>,

    #[command(flatten)]
    flow: FlowArgs,

    #[command(flatten)]
    jwt: JwtArgs,
}

/// What one connection may send, queue and hold (see [`FlowLimits`]). Rates are written
/// PER_SECOND:BURST, e.g. 20:100.
#[derive(Debug, Clone, Args)]
struct FlowArgs {
    /// `msg` frames one connection may send: sustained per second, and at once after a
    /// quiet spell. More are refused with rate_limited.
    #[arg(long, env = "WIRECHAT_RATE_MSG", value_name = "RATE", default_value_t = FlowLimits::default().msg, value_parser = rate)]
    rate_msg: Rate,

    /// `typing` frames one connection may send.
    #[arg(long, env = "WIRECHAT_RATE_TYPING", value_name = "RATE", default_value_t = FlowLimits::default().typing, value_parser = rate)]
    rate_typing: Rate,

    /// `join` and `leave` frames one connection may send, together.
    #[arg(long, env = "WIRECHAT_RATE_JOIN", value_name = "RATE", default_value_t = FlowLimits::default().membership, value_parser = rate)]
    rate_join: Rate,

    /// `fetch` frames one connection may send.
    #[arg(long, env = "WIRECHAT_RATE_FETCH", value_name = "RATE", default_value_t = FlowLimits::default().fetch, value_parser = rate)]
    rate_fetch: Rate,

    /// `here` frames one connection may send.
    #[arg(long, env = "WIRECHAT_RATE_HERE", value_name = "RATE", default_value_t = FlowLimits::default().here, value_parser = rate)]
    rate_here: Rate,

    /// Refuse no frame for its rate (for load tests on a trusted network; never in public).
    #[arg(long, env = "WIRECHAT_NO_RATE_LIMITS")]
    no_rate_limits: bool,

    /// Bytes of messages and history that may wait for one slow socket before it is closed
    /// with 4000. Presence and typing never count.
    #[arg(long, env = "WIRECHAT_QUEUE_BYTES", value_name = "BYTES", default_value_t = FlowLimits::default().queue_bytes, value_parser = positive)]
    queue_bytes: usize,

    /// Rooms one connection may be in at once; another join gets too_many_rooms.
    #[arg(long, env = "WIRECHAT_ROOMS_PER_CONNECTION", value_name = "N", default_value_t = FlowLimits::default().rooms_per_connection, value_parser = positive)]
    rooms_per_connection: usize,

    /// Connections one room may hold; another join gets room_full.
    #[arg(long, env = "WIRECHAT_MEMBERS_PER_ROOM", value_name = "N", default_value_t = FlowLimits::default().members_per_room, value_parser = positive)]
    members_per_room: usize,

    /// Names a full presence list carries at most; longer lists are cut and give the count.
    #[arg(long, env = "WIRECHAT_PRESENCE_NAMES", value_name = "N", default_value_t = FlowLimits::default().presence_names, value_parser = positive)]
    presence_names: usize,

    /// Close a connection on which neither side sent a frame for this long (with 1001).
    #[arg(long, env = "WIRECHAT_IDLE_TIMEOUT", value_name = "DURATION", default_value = "2m", value_parser = positive_duration)]
    idle_timeout: Duration,
}

impl FlowArgs {
    fn into_limits(self) -> FlowLimits {
        let base = if self.no_rate_limits {
            FlowLimits::unmetered()
        } else {
            FlowLimits {
                msg: self.rate_msg,
                typing: self.rate_typing,
                membership: self.rate_join,
                fetch: self.rate_fetch,
                here: self.rate_here,
                ..FlowLimits::default()
            }
        };
        FlowLimits {
            queue_bytes: self.queue_bytes,
            rooms_per_connection: self.rooms_per_connection,
            members_per_room: self.members_per_room,
            presence_names: self.presence_names,
            idle_timeout: self.idle_timeout,
            ..base
        }
    }
}

impl ServeArgs {
    fn into_serve(self) -> Serve {
        let storage = if let Some(url) = self.redis {
            Storage::Redis { url }
        } else if self.memory {
            Storage::Memory
        } else {
            Storage::Sqlite {
                data_dir: self.data_dir,
            }
        };
        let config = Config {
            bind: self.bind,
            static_dir: self.dist,
            allowed_origins: self.allow_origin,
            allowed_hosts: self.allow_host,
            storage,
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            max_text_bytes: self.max_text,
            handshake_timeout: self.handshake_timeout,
            transports: HttpTransports {
                poll_wait: self.poll_wait,
                poll_idle: self.poll_idle,
            },
            retention: Retention {
                max_messages: Some(self.retain_messages).filter(|&n| n > 0),
                max_age: Some(self.retain_for).filter(|age| !age.is_zero()),
                interval: self.retention_interval,
            },
            flow: self.flow.into_limits(),
            auth: self.jwt.into_auth(),
            ..Config::default()
        };
        Serve {
            config,
            log: self.log,
        }
    }
}

/// Reads a rate as the command line writes it: `PER_SECOND:BURST` (see `Rate`'s `Display`).
fn rate(value: &str) -> Result<Rate, String> {
    let parsed = value
        .split_once(':')
        .and_then(|(per_second, burst)| Some((per_second.parse().ok()?, burst.parse().ok()?)));
    match parsed {
        Some((per_second, burst)) if per_second > 0 && burst > 0 => {
            Ok(Rate::new(per_second, burst))
        }
        _ => Err("wants PER_SECOND:BURST with both at least 1, like 20:100".to_owned()),
    }
}

/// Reads a shared secret from a file; a trailing newline (as editors and `echo` add) is
/// not part of it.
fn secret_file(path: &str) -> Result<SigningKey, String> {
    let mut secret = std::fs::read(path).map_err(|err| format!("cannot read {path}: {err}"))?;
    while secret.last().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
        secret.pop();
    }
    if secret.len() < 32 {
        return Err(format!(
            "{path} holds {} bytes; a secret needs at least 32",
            secret.len()
        ));
    }
    Ok(SigningKey::Secret(secret))
}

fn public_key_file(path: &str) -> Result<SigningKey, String> {
    let pem = std::fs::read(path).map_err(|err| format!("cannot read {path}: {err}"))?;
    SigningKey::public_pem(&pem).map_err(|err| format!("{path}: {err}"))
}

fn uid(value: &str) -> Result<String, String> {
    wirechat_protocol::validate_uid(value).map(|()| value.to_owned())
}

fn display_name(value: &str) -> Result<String, String> {
    wirechat_protocol::validate_name(value).map(|()| value.to_owned())
}

fn bind_addr(value: &str) -> Result<SocketAddr, String> {
    value
        .parse()
        .map_err(|_| "wants an address like 127.0.0.1:8080 or [::]:8080".to_owned())
}

fn existing_dir(value: &str) -> Result<PathBuf, String> {
    let dir = PathBuf::from(value);
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!("{value} is not a directory"))
    }
}

/// Accepts `scheme://host[:port]` with scheme http or https, as browsers send it.
fn origin(value: &str) -> Result<String, String> {
    let trimmed = value.trim_end_matches('/');
    let authority = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match authority {
        Some(authority) if !authority.is_empty() && !authority.contains(['/', '?', '#', '@']) => {
            Ok(trimmed.to_owned())
        }
        _ => Err("wants scheme://host[:port], like https://chat.example".to_owned()),
    }
}

/// Accepts a bare host name (no scheme, port or path), or `*`.
fn host_name(value: &str) -> Result<String, String> {
    let valid = value == "*"
        || (!value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')));
    if valid {
        Ok(value.to_ascii_lowercase())
    } else {
        Err("wants a host name without scheme or port, like chat.example, or *".to_owned())
    }
}

fn text_limit(value: &str) -> Result<usize, String> {
    let bytes = value
        .parse()
        .map_err(|_| format!("wants a whole number of bytes, like {DEFAULT_MAX_TEXT_BYTES}"))?;
    crate::config::text_limit(bytes)
}

fn positive(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("wants a whole number of at least 1".to_owned()),
    }
}

fn duration(value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value)
        .map_err(|err| format!("wants a duration like 10s, 5m or 30days ({err})"))
}

fn positive_duration(value: &str) -> Result<Duration, String> {
    match duration(value)? {
        zero if zero.is_zero() => Err("wants a duration above zero, like 10s".to_owned()),
        duration => Ok(duration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Serve {
        match parse(args.iter().copied()) {
            Ok(Command::Serve(serve)) => *serve,
            Ok(Command::Token(_)) => panic!("{args:?} asked for a token"),
            Err(err) => panic!("{args:?} gave {err}"),
        }
    }

    fn run(args: &[&str]) -> Config {
        serve(args).config
    }

    fn refused(args: &[&str]) -> String {
        parse(args.iter().copied()).unwrap_err().to_string()
    }

    #[test]
    fn no_arguments_mean_the_defaults_with_history_in_data_and_retention_on() {
        assert_eq!(
            run(&[]),
            Config {
                storage: Storage::Sqlite {
                    data_dir: PathBuf::from("data"),
                },
                retention: Retention {
                    max_messages: Some(10_000),
                    max_age: Some(Duration::from_secs(30 * 24 * 60 * 60)),
                    ..Retention::default()
                },
                ..Config::default()
            }
        );
    }

    #[test]
    fn the_text_limit_is_taken_within_its_bounds_only() {
        assert_eq!(run(&["--max-text", "100"]).max_text_bytes, 100);
        for limit in ["0", "63", "32769", "lots"] {
            let refusal = refused(&["--max-text", limit]);
            assert!(refusal.contains("--max-text"), "{refusal}");
        }
        assert!(refused(&["--max-text", "0"]).contains("must be 64 to 32768 bytes, not 0"));
    }

    #[test]
    fn the_serve_command_takes_the_same_options() {
        assert_eq!(run(&["serve"]), run(&[]));
        assert_eq!(
            run(&["serve", "--bind", "0.0.0.0:9000", "--memory"]),
            run(&["--bind", "0.0.0.0:9000", "--memory"])
        );
    }

    #[test]
    fn storage_is_chosen_with_data_dir_or_memory() {
        assert_eq!(
            run(&["--data-dir", "/var/lib/wirechat"]).storage,
            Storage::Sqlite {
                data_dir: PathBuf::from("/var/lib/wirechat"),
            }
        );
        assert_eq!(
            run(&["--data-dir=state"]).storage,
            Storage::Sqlite {
                data_dir: PathBuf::from("state"),
            }
        );
        assert_eq!(run(&["--memory"]).storage, Storage::Memory);
        assert_eq!(
            run(&["--redis", "redis://127.0.0.1:6379"]).storage,
            Storage::Redis {
                url: "redis://127.0.0.1:6379".into()
            }
        );
    }

    #[test]
    fn every_option_in_both_spellings() {
        let dist = tempfile::tempdir().unwrap();
        let dist_arg = format!("--dist={}", dist.path().display());
        let serve = serve(&[
            "--bind",
            "0.0.0.0:9000",
            &dist_arg,
            "--allow-origin",
            "https://chat.example/",
            "--allow-origin=http://lan.example:8080,https://b.example",
            "--allow-host",
            "Chat.Example",
            "--allow-host=a.example,b.example",
            "--max-connections=100",
            "--max-connections-per-ip",
            "8",
            "--handshake-timeout",
            "3s",
            "--retain-messages=50",
            "--retain-for",
            "2h",
            "--retention-interval=10s",
            "--log",
            "debug",
        ]);
        let config = serve.config;
        assert_eq!(config.bind, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.static_dir.as_deref(), Some(dist.path()));
        assert_eq!(
            config.allowed_origins,
            [
                "https://chat.example",
                "http://lan.example:8080",
                "https://b.example"
            ]
        );
        assert_eq!(
            config.allowed_hosts,
            ["chat.example", "a.example", "b.example"]
        );
        assert_eq!(config.max_connections, 100);
        assert_eq!(config.max_connections_per_ip, 8);
        assert_eq!(config.handshake_timeout, Duration::from_secs(3));
        assert_eq!(
            config.retention,
            Retention {
                max_messages: Some(50),
                max_age: Some(Duration::from_secs(7200)),
                interval: Duration::from_secs(10),
            }
        );
        assert_eq!(serve.log.as_deref(), Some("debug"));
    }

    #[test]
    fn flow_limits_are_set_by_their_own_options() {
        let flow = run(&[
            "--rate-msg",
            "5:7",
            "--rate-typing=1:2",
            "--rate-join",
            "3:4",
            "--rate-fetch=6:8",
            "--rate-here",
            "9:10",
            "--queue-bytes=65536",
            "--rooms-per-connection",
            "4",
            "--members-per-room=50",
            "--presence-names",
            "20",
            "--idle-timeout=30s",
        ])
        .flow;
        assert_eq!(
            flow,
            FlowLimits {
                queue_bytes: 65_536,
                msg: Rate::new(5, 7),
                typing: Rate::new(1, 2),
                membership: Rate::new(3, 4),
                fetch: Rate::new(6, 8),
                here: Rate::new(9, 10),
                rooms_per_connection: 4,
                members_per_room: 50,
                presence_names: 20,
                idle_timeout: Duration::from_secs(30),
                ..FlowLimits::default()
            }
        );
        assert_eq!(run(&[]).flow, FlowLimits::default());
        let unmetered = run(&["--no-rate-limits", "--queue-bytes", "4096"]).flow;
        assert_eq!(unmetered.msg, FlowLimits::unmetered().msg);
        assert_eq!(unmetered.queue_bytes, 4096);
        assert!(refused(&["--rate-msg", "20"]).contains("PER_SECOND:BURST"));
        assert!(refused(&["--rate-msg", "0:5"]).contains("PER_SECOND:BURST"));
    }

    #[test]
    fn polling_timings_are_set_by_their_own_options() {
        assert_eq!(run(&[]).transports, HttpTransports::default());
        let transports = run(&["--poll-wait=10s", "--poll-idle", "2m"]).transports;
        assert_eq!(
            transports,
            HttpTransports {
                poll_wait: Duration::from_secs(10),
                poll_idle: Duration::from_secs(120),
            }
        );
        assert!(!refused(&["--poll-wait", "0s"]).is_empty());
    }

    #[test]
    fn zero_turns_a_retention_limit_off() {
        let retention = run(&["--retain-messages", "0", "--retain-for", "0s"]).retention;
        assert_eq!(retention.max_messages, None);
        assert_eq!(retention.max_age, None);
    }

    #[test]
    fn help_and_version_are_answered_by_clap() {
        use clap::error::ErrorKind;
        let kind = |args: &[&str]| parse(args.iter().copied()).unwrap_err().kind();
        assert_eq!(kind(&["--help", "--nonsense"]), ErrorKind::DisplayHelp);
        assert_eq!(kind(&["-h"]), ErrorKind::DisplayHelp);
        assert_eq!(kind(&["--version"]), ErrorKind::DisplayVersion);
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(refused(&["--bind"]).contains("--bind <ADDR>"));
        assert!(refused(&["--bind", "localhost"]).contains("127.0.0.1:8080"));
        assert!(refused(&["--port", "1"]).contains("--port"));
        assert!(refused(&["sevre"]).contains("sevre"));
        assert!(refused(&["--dist", "/no/such/dir"]).contains("is not a directory"));
        assert!(refused(&["--allow-origin", "chat.example"]).contains("scheme://host"));
        assert!(refused(&["--allow-origin=https://chat.example/path"]).contains("scheme://host"));
        assert!(refused(&["--allow-host", "http://chat.example"]).contains("host name"));
        assert!(refused(&["--allow-host", "chat.example:80"]).contains("host name"));
        assert!(refused(&["--data-dir"]).contains("--data-dir <DIR>"));
        assert!(refused(&["--memory=yes"]).contains("--memory"));
        assert!(refused(&["--memory", "--data-dir", "d"]).contains("cannot be used with"));
        assert!(refused(&["--max-connections", "0"]).contains("at least 1"));
        assert!(refused(&["--max-connections-per-ip=-3"]).contains("at least 1"));
        assert!(refused(&["--handshake-timeout", "0s"]).contains("above zero"));
        assert!(refused(&["--retain-for", "a while"]).contains("like 10s"));
        assert!(refused(&["--retain-messages", "many"]).contains("many"));
    }

    #[test]
    fn jwt_flags_require_users_to_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, format!("{}\n", "s".repeat(40))).unwrap();
        let secret = secret.to_str().unwrap();
        let auth = run(&[
            "--jwt-secret-file",
            secret,
            "--jwt-audience=chat",
            "--jwt-cookie",
            "wc",
            "--jwt-leeway",
            "2s",
        ])
        .auth
        .expect("auth required");
        assert_eq!(auth.key, SigningKey::Secret(b"s".repeat(40)));
        assert_eq!(auth.audience.as_deref(), Some("chat"));
        assert_eq!(auth.cookie.as_deref(), Some("wc"));
        assert_eq!(auth.leeway, Duration::from_secs(2));
        assert_eq!(run(&[]).auth, None, "guests by default");

        let short = dir.path().join("short");
        std::fs::write(&short, "short").unwrap();
        assert!(refused(&["--jwt-secret-file", short.to_str().unwrap()]).contains("at least 32"));
        assert!(refused(&["--jwt-public-key", secret]).contains("not an Ed25519 or RSA"));
        assert!(refused(&["--jwt-audience", "chat"]).contains("--jwt-"));
        let ed = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/ed25519.pub");
        let ed_key = run(&["--jwt-public-key", ed]).auth.unwrap().key;
        assert!(matches!(ed_key, SigningKey::Ed25519Pem(_)));
        let rsa = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/rsa.pub");
        let rsa_key = run(&["--jwt-public-key", rsa]).auth.unwrap().key;
        assert!(matches!(rsa_key, SigningKey::RsaPem(_)));
        let both = ["--jwt-secret-file", secret, "--jwt-public-key", ed];
        assert!(refused(&both).contains("cannot be used with"));
    }

    #[test]
    fn the_token_command_takes_its_claims() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "k".repeat(32)).unwrap();
        let args = [
            "token",
            "--secret-file",
            secret.to_str().unwrap(),
            "--sub",
            "u1",
            "--name",
            "Alice",
            "--rooms",
            "team-*,support",
        ];
        let Ok(Command::Token(token)) = parse(args) else {
            panic!("a token command")
        };
        assert_eq!(token.request.rooms, ["team-*", "support"]);
        assert_eq!(token.request.ttl, Duration::from_secs(3600));
        assert!(refused(&["token", "--sub", "has space"]).contains("user id"));
    }
}
