//! GET requests for small text answers (`config.json`, sign-in tokens). Every caller shares
//! this one copy of the request, its errors and the read of the body.

/// GETs `url`, with the page's cookies (also across origins) when `with_cookies`. The outer
/// error is the browser's, in its words (no answer, or a body that could not be read); the
/// inner one the status of an answer that is not 2xx.
pub async fn get_text(url: &str, with_cookies: bool) -> Result<Result<String, u16>, String> {
    let mut request = gloo_net::http::Request::get(url);
    if with_cookies {
        request = request.credentials(web_sys::RequestCredentials::Include);
    }
    let response = request.send().await.map_err(|err| err.to_string())?;
    if !response.ok() {
        return Ok(Err(response.status()));
    }
    response.text().await.map(Ok).map_err(|err| err.to_string())
}
