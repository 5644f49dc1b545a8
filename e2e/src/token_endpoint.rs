//! A site's token endpoint, as a web app that signs its users in would serve it: `GET` answers
//! `{"token":"…"}` with a token signed by the chat server's secret, for any origin, with
//! credentials. What it hands out can be switched while a test runs, and it counts requests.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use wirechat_server::{mint_token, TokenRequest};

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
        });
        let serving = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer_one(stream, Arc::clone(&serving)));
            }
        });
        Self { addr, shared, task }
    }

    /// The URL the page fetches.
    pub fn url(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// Hands out `answer` from now on.
    pub fn set_answer(&self, answer: TokenAnswer) {
        *self.shared.answer.lock().expect("answer lock") = answer;
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
    let origin = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("origin")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| "*".to_owned());
    let answer = shared.answer.lock().expect("answer lock").clone();
    if head.starts_with("GET ") {
        shared.requests.fetch_add(1, Ordering::SeqCst);
    }
    let token = match answer {
        TokenAnswer::Valid(request) => mint_token(&shared.secret, &request).expect("mint a token"),
        TokenAnswer::Invalid => "not.a.token".to_owned(),
    };
    let body = serde_json::json!({ "token": token }).to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Access-Control-Allow-Origin: {origin}\r\nAccess-Control-Allow-Credentials: true\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
