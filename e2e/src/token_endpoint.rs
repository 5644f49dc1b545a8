//! A web app that signs its users in, reduced to what the chat needs: it serves the built
//! frontend (so the page and its token endpoint share an origin, as the page's
//! Content-Security-Policy expects) and `GET /token`, which answers `{"token":"…"}` with a
//! token signed by the chat server's secret. What it hands out can be switched while a test
//! runs, and it counts token requests. The site's `config.json`, where sign-in is
//! configured, can be set too.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use wirechat_server::{mint_token, TokenRequest};

use crate::served_app::dist_dir;

/// What the endpoint hands out.
#[derive(Debug, Clone)]
pub enum TokenAnswer {
    /// A valid token for this user.
    Valid(TokenRequest),
    /// `{"token":…}` with a string that is no valid token.
    Invalid,
}

struct Shared {
    secret: Vec<u8>,
    answer: Mutex<TokenAnswer>,
    requests: AtomicUsize,
    config: Mutex<Option<String>>,
}

/// The endpoint on a free loopback port; it stops when dropped.
pub struct TokenEndpoint {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl TokenEndpoint {
    /// Starts serving `answer`, signing with `secret`.
    pub async fn start(secret: &[u8], answer: TokenAnswer) -> Self {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("bind the token endpoint");
        let addr = listener.local_addr().expect("the endpoint's address");
        let shared = Arc::new(Shared {
            secret: secret.to_vec(),
            answer: Mutex::new(answer),
            requests: AtomicUsize::new(0),
            config: Mutex::new(None),
        });
        let serving = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer_one(stream, Arc::clone(&serving)));
            }
        });
        Self { addr, shared, task }
    }

    /// The page's base URL, e.g. `http://127.0.0.1:PORT/`.
    pub fn http_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Hands out `answer` from now on.
    pub fn set_answer(&self, answer: TokenAnswer) {
        *self.shared.answer.lock().expect("answer lock") = answer;
    }

    /// Serves `config` as the site's `config.json` from now on, instead of the built one.
    pub fn set_config(&self, config: serde_json::Value) {
        *self.shared.config.lock().expect("config lock") = Some(config.to_string());
    }

    /// How many requests came so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TokenEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer_one(mut stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 2048];
    // Only the head matters; a GET has no body.
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => request.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&request);
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/");
    let config = shared.config.lock().expect("config lock").clone();
    let body = match (path, config) {
        ("/config.json", Some(config)) => config,
        ("/token", _) => {
            shared.requests.fetch_add(1, Ordering::SeqCst);
            let answer = shared.answer.lock().expect("answer lock").clone();
            let token = match answer {
                TokenAnswer::Valid(request) => {
                    mint_token(&shared.secret, &request).expect("mint a token")
                }
                TokenAnswer::Invalid => "not.a.token".to_owned(),
            };
            serde_json::json!({ "token": token }).to_string()
        }
        _ => return serve_file(&mut stream, path).await,
    };
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Serves a file of the built frontend (`/` is `index.html`), or 404.
async fn serve_file(stream: &mut tokio::net::TcpStream, path: &str) {
    let name = match path.trim_start_matches('/') {
        "" => "index.html",
        name if name.contains("..") => "",
        name => name,
    };
    let file = dist_dir().join(name);
    let (status, kind, body) = match std::fs::read(&file) {
        Ok(body) if !name.is_empty() => {
            let kind = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("js") => "text/javascript",
                Some("wasm") => "application/wasm",
                Some("css") => "text/css",
                Some("json") | Some("webmanifest") => "application/json",
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                _ => "application/octet-stream",
            };
            ("200 OK", kind, body)
        }
        _ => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}
