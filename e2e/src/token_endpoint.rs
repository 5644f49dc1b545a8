//! A web app that signs its users in, reduced to what the chat needs: it serves the built
//! frontend (so the page and its token endpoint share an origin, as the page's
//! Content-Security-Policy expects) and `GET /token`, which answers `{"token":"…"}` with a
//! token signed by the chat server's secret. What it hands out can be switched while a test
//! runs, and it counts token requests. The site's `config.json`, where sign-in is
//! configured, can be set too.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};
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
        let site = Router::new()
            .route("/config.json", get(config_json))
            .route("/token", get(token))
            .fallback_service(ServeDir::new(dist_dir()))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, site).await;
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

async fn config_json(State(shared): State<Arc<Shared>>) -> Response {
    // The lock is let go before the file is read.
    let config = shared.config.lock().expect("config lock").clone();
    match config {
        Some(config) => json_answer(config),
        None => ServeFile::new(dist_dir().join("config.json"))
            .oneshot(Request::new(Body::empty()))
            .await
            .into_response(),
    }
}

async fn token(State(shared): State<Arc<Shared>>) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let answer = shared.answer.lock().expect("answer lock").clone();
    let token = match answer {
        TokenAnswer::Valid(request) => mint_token(&shared.secret, &request).expect("mint a token"),
        TokenAnswer::Invalid => "not.a.token".to_owned(),
    };
    json_answer(serde_json::json!({ "token": token }).to_string())
}

fn json_answer(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
