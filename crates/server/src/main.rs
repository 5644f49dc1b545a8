//! `wirechat-server`: serves wirechat rooms, and optionally the built frontend, until Ctrl-C
//! or SIGTERM.

use std::io::Write;
use std::process::ExitCode;

use wirechat_server::cli::{self, Command};
use wirechat_server::Config;

fn main() -> ExitCode {
    let config = match cli::parse(std::env::args_os().skip(1)) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("wirechat-server {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(err) => return usage_error(&err.to_string()),
    };
    if let Some(dir) = &config.static_dir {
        if !dir.is_dir() {
            return usage_error(&format!("--dist {} is not a directory", dir.display()));
        }
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("wirechat-server: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(config))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("wirechat-server: {message}\nTry 'wirechat-server --help'.");
    ExitCode::from(2)
}

async fn serve(config: Config) -> ExitCode {
    let server = match wirechat_server::spawn(config).await {
        Ok(server) => server,
        // The error names the data directory or the address that failed.
        Err(err) => {
            eprintln!("wirechat-server: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("wirechat server listening on http://{}/", server.addr());
    // Scripts wait for this line, and stdout is block-buffered when it is a pipe.
    let _ = std::io::stdout().flush();
    stop_requested().await;
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
