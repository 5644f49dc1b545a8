//! The command line of the `wirechat-server` binary.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::{Config, Storage};

/// Where the binary keeps its history unless told otherwise: `./data`.
pub const DEFAULT_DATA_DIR: &str = "data";

/// The text `--help` prints.
pub const USAGE: &str = "\
Usage: wirechat-server [OPTIONS]

Serves wirechat rooms over WebSocket at /ws and, with --dist, the built frontend at /.

Options:
  --bind ADDR            listen on ADDR (default 127.0.0.1:8080; port 0 picks a free port)
  --dist DIR             serve the built frontend from DIR at /
  --allow-origin ORIGIN  also accept browser pages from ORIGIN, e.g. https://chat.example
                         (repeatable; the server's own origin and localhost always are)
  --data-dir DIR         keep history in DIR/wirechat.sqlite3, creating DIR if missing
                         (default ./data); it survives restarts, so clients resume
  --memory               keep history in memory only: it is lost when the server stops
  -h, --help             print this help
  -V, --version          print the version
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
// Made once per process: the size of `Run` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Serve with this configuration.
    Run(Config),
    /// Print [`USAGE`].
    Help,
    /// Print the version.
    Version,
}

/// A command line that cannot be obeyed; the binary prints it and exits with status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Parses the arguments after the program name. Options take their value as the next
/// argument or after `=` (`--bind=0.0.0.0:80`).
///
/// Unlike [`Config::default`], the binary keeps history in SQLite: in [`DEFAULT_DATA_DIR`]
/// unless `--data-dir` names another directory or `--memory` asks for none.
pub fn parse<I, A>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = A>,
    A: Into<OsString>,
{
    let mut config = Config::default();
    let mut data_dir = None;
    let mut memory = false;
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        let arg = utf8(arg)?;
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || match inline.clone() {
            Some(value) => Ok(value),
            None => args
                .next()
                .map(utf8)
                .transpose()?
                .ok_or_else(|| UsageError(format!("{flag} needs a value"))),
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--bind" => config.bind = bind_addr(&value()?)?,
            "--dist" => config.static_dir = Some(PathBuf::from(value()?)),
            "--allow-origin" => config.allowed_origins.push(origin(&value()?)?),
            "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
            "--memory" if inline.is_none() => memory = true,
            "--memory" => return Err(UsageError("--memory takes no value".to_owned())),
            _ if flag.starts_with('-') => {
                return Err(UsageError(format!("unknown option {flag}")));
            }
            _ => return Err(UsageError(format!("unexpected argument {arg:?}"))),
        }
    }
    config.storage = match (data_dir, memory) {
        (Some(_), true) => {
            return Err(UsageError(
                "--data-dir and --memory exclude each other".to_owned(),
            ))
        }
        (None, true) => Storage::Memory,
        (data_dir, false) => Storage::Sqlite {
            data_dir: data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        },
    };
    Ok(Command::Run(config))
}

fn utf8(arg: OsString) -> Result<String, UsageError> {
    arg.into_string()
        .map_err(|arg| UsageError(format!("argument {arg:?} is not valid UTF-8")))
}

fn bind_addr(value: &str) -> Result<SocketAddr, UsageError> {
    value.parse().map_err(|_| {
        UsageError(format!(
            "--bind wants an address like 127.0.0.1:8080 or [::]:8080, not {value:?}"
        ))
    })
}

/// Accepts `scheme://host[:port]` with scheme http or https, as browsers send it.
fn origin(value: &str) -> Result<String, UsageError> {
    let trimmed = value.trim_end_matches('/');
    let authority = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match authority {
        Some(authority) if !authority.is_empty() && !authority.contains(['/', '?', '#', '@']) => {
            Ok(trimmed.to_owned())
        }
        _ => Err(UsageError(format!(
            "--allow-origin wants scheme://host[:port], like https://chat.example, not {value:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Config {
        match parse(args.iter().copied()) {
            Ok(Command::Run(config)) => config,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    fn refused(args: &[&str]) -> String {
        parse(args.iter().copied()).unwrap_err().to_string()
    }

    #[test]
    fn no_arguments_mean_the_defaults_with_history_in_data() {
        assert_eq!(
            run(&[]),
            Config {
                storage: Storage::Sqlite {
                    data_dir: PathBuf::from("data"),
                },
                ..Config::default()
            }
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
    }

    #[test]
    fn every_option_in_both_spellings() {
        let config = run(&[
            "--bind",
            "0.0.0.0:9000",
            "--dist=dist",
            "--allow-origin",
            "https://chat.example/",
            "--allow-origin=http://lan.example:8080",
        ]);
        assert_eq!(config.bind, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.static_dir, Some(PathBuf::from("dist")));
        assert_eq!(
            config.allowed_origins,
            ["https://chat.example", "http://lan.example:8080"]
        );
    }

    #[test]
    fn help_and_version_win_over_everything_after() {
        assert_eq!(parse(["--help", "--nonsense"]), Ok(Command::Help));
        assert_eq!(parse(["-h"]), Ok(Command::Help));
        assert_eq!(parse(["--version"]), Ok(Command::Version));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(refused(&["--bind"]).contains("--bind needs a value"));
        assert!(refused(&["--bind", "localhost"]).contains("127.0.0.1:8080"));
        assert!(refused(&["--port", "1"]).contains("unknown option --port"));
        assert!(refused(&["serve"]).contains("unexpected argument"));
        assert!(refused(&["--allow-origin", "chat.example"]).contains("scheme://host"));
        assert!(refused(&["--allow-origin=https://chat.example/path"]).contains("scheme://host"));
        assert!(refused(&["--data-dir"]).contains("--data-dir needs a value"));
        assert!(refused(&["--memory=yes"]).contains("--memory takes no value"));
        assert!(refused(&["--memory", "--data-dir", "d"]).contains("exclude each other"));
        assert!(refused(&["--data-dir=d", "--memory"]).contains("exclude each other"));
    }
}
