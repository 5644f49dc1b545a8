//! Sign-in tokens in the browser: fetched from the site's token endpoint (with its cookies),
//! or a fixed one from the configuration; and the guest `resume` token, kept per server in
//! localStorage so every tab of this browser resumes the same guest.

use crate::chat::TokenProvider;
use crate::glue::page;

/// A provider that fetches `url` with the page's credentials (cookies) on every call; the
/// endpoint answers `{"token":"…"}`.
pub fn from_url(url: String) -> TokenProvider {
    TokenProvider::new(move || fetch_token(url.clone()))
}

/// A provider that always gives the same token (a page rendered with it, or a test).
pub fn fixed(token: String) -> TokenProvider {
    TokenProvider::new(move || std::future::ready(Ok(token.clone())))
}

async fn fetch_token(url: String) -> Result<String, String> {
    let text = super::http::get_text(&url, true)
        .await?
        .map_err(|status| format!("HTTP {status}"))?;
    // The browser's own JSON parser: one string field does not need a serde decoder in the
    // bundle.
    js_sys::JSON::parse(&text)
        .ok()
        .and_then(|answer| js_sys::Reflect::get(&answer, &"token".into()).ok())
        .and_then(|token| token.as_string())
        .ok_or_else(|| "no token in the answer".to_owned())
}

fn resume_key(server: &str) -> String {
    format!("wirechat.resume:{server}")
}

/// The guest `resume` token kept for `server`.
pub fn saved_resume(server: &str) -> Option<String> {
    page::load(&resume_key(server)).filter(|r| !r.is_empty())
}

/// Keeps the guest `resume` token for `server`.
pub fn keep_resume(server: &str, resume: &str) {
    page::save(&resume_key(server), resume);
}
