//! Why the connection closed for good, as the user reads it: in the page's language,
//! whatever the reason. The session reports a reason, never a sentence.

use wasm_bindgen_test::*;
use wirechat::i18n::{Lang, Tr};
use wirechat_session::ClosedReason;

fn reasons() -> [ClosedReason; 3] {
    [
        ClosedReason::Deliberate,
        ClosedReason::ServerRefused { code: 1008 },
        ClosedReason::ServerSaid("origin not allowed".into()),
    ]
}

fn has_hangul(text: &str) -> bool {
    text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

/// Regression: the session wrote these sentences in English, and the Korean page showed them
/// as they were.
#[wasm_bindgen_test]
fn a_korean_page_says_why_it_is_offline_in_korean() {
    for reason in reasons() {
        let text = Tr::offline_because(Lang::Ko, &reason);
        assert!(text.starts_with(Tr::offline(Lang::Ko)), "{text}");
        let words = text.replace("origin not allowed", "");
        assert!(has_hangul(&words), "{text}");
        assert!(!words.contains("server"), "{text}");
    }
}

#[wasm_bindgen_test]
fn the_code_and_the_servers_own_words_are_kept() {
    for lang in Lang::ALL {
        let refused = Tr::offline_because(lang, &ClosedReason::ServerRefused { code: 1008 });
        assert!(refused.contains("1008"), "{refused}");
        let said = Tr::offline_because(lang, &ClosedReason::ServerSaid("origin".into()));
        assert!(said.contains("\u{2068}origin\u{2069}"), "{said}");
    }
}

/// The status after a failed sign-in, word for word in both languages: the reason, the app's
/// own words isolated when it gave any, and the wait before the next attempt.
#[wasm_bindgen_test]
fn a_failed_sign_in_says_why_and_when_it_retries() {
    use wirechat_session::SignInProblem;
    let cases = [
        (
            Lang::En,
            SignInProblem::NoToken(String::new()),
            "Not signed in: could not get a sign-in token. Retrying in 7 s",
        ),
        (
            Lang::En,
            SignInProblem::NoToken("HTTP 503".into()),
            "Not signed in: could not get a sign-in token (\u{2068}HTTP 503\u{2069}). Retrying in 7 s",
        ),
        (
            Lang::En,
            SignInProblem::SameToken,
            "Not signed in: the sign-in token was refused before and was not sent again. Retrying in 7 s",
        ),
        (
            Lang::Ko,
            SignInProblem::NoToken("HTTP 503".into()),
            "로그인하지 못했습니다: 로그인 토큰을 받지 못했습니다 (\u{2068}HTTP 503\u{2069}). 7초 후 다시 시도",
        ),
        (
            Lang::Ko,
            SignInProblem::Refused,
            "로그인하지 못했습니다: 서버가 로그인 토큰을 거부했습니다. 7초 후 다시 시도",
        ),
    ];
    for (lang, problem, expected) in cases {
        assert_eq!(Tr::sign_in_failed(lang, &problem, 7), expected);
    }
}
