//! `wirechat-server`: serves wirechat rooms, and optionally the built frontend, until Ctrl-C
//! or SIGTERM. Owns the process: the command line, the log subscriber, the runtime, and the
//! one line on stdout that says where it listens.

use std::io::Write;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use wirechat_server::cli::{self, Command, Serve, Token};
use wirechat_server::{mint_token, Config, SigningKey};

fn main() -> ExitCode {
    let Serve { config, log } = match cli::parse(std::env::args_os().skip(1)) {
        Ok(Command::Serve(options)) => *options,
        Ok(Command::Token(token)) => return print_token(&token),
        // Help and version go to stdout with status 0, mistakes to stderr with status 2.
        Err(err) => err.exit(),
    };
    if let Err(err) = init_logs(log.as_deref()) {
        // No subscriber is installed when the filter itself is wrong.
        eprintln!("wirechat-server: --log: {err}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(config))
}

/// Prints a token on stdout, for `wirechat-server token`.
fn print_token(token: &Token) -> ExitCode {
    let SigningKey::Secret(secret) = &token.key else {
        eprintln!("wirechat-server: tokens are signed with a shared secret");
        return ExitCode::from(2);
    };
    match mint_token(secret, &token.request) {
        Ok(jwt) => {
            println!("{jwt}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("wirechat-server: cannot sign the token: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, filtered by `--log`, else `RUST_LOG`, else `info`; stdout keeps only
/// the listening line that scripts wait for.
fn init_logs(filter: Option<&str>) -> Result<(), String> {
    let filter = match filter {
        Some(filter) => EnvFilter::try_new(filter).map_err(|err| err.to_string())?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    Ok(())
}

async fn serve(config: Config) -> ExitCode {
    let server = match wirechat_server::spawn(config).await {
        Ok(server) => server,
        // The error names the data directory or the address that failed.
        Err(err) => {
            tracing::error!("cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("wirechat server listening on http://{}/", server.addr());
    // Scripts wait for this line, and stdout is block-buffered when it is a pipe.
    let _ = std::io::stdout().flush();
    let config = server.state().config();
    tracing::info!(
        addr = %server.addr(),
        storage = ?config.storage,
        max_connections = config.max_connections,
        max_connections_per_ip = config.max_connections_per_ip,
        retention = ?config.retention,
        "serving"
    );
    stop_requested().await;
    tracing::info!("stopping: closing connections");
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C or SIGTERM. A signal that cannot be watched never resolves, rather
/// than stopping the server at once.
async fn stop_requested() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
