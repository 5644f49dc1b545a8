//! The reader's language and theme: chosen from the browser, switchable, kept.

use crate::glue::page::{load, save};
use crate::i18n::Lang;

const LANG_KEY: &str = "wirechat.lang";
const THEME_KEY: &str = "wirechat.theme";

/// Light or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Dark text on light.
    Light,
    /// Light text on dark.
    Dark,
}

impl Theme {
    fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The other theme.
    pub fn toggled(self) -> Self {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// The saved language, else the browser's (`navigator.language`).
pub fn initial_lang() -> Lang {
    match load(LANG_KEY).as_deref() {
        Some("ko") => Lang::Ko,
        Some("en") => Lang::En,
        _ => Lang::from_tag(
            &web_sys::window()
                .and_then(|w| w.navigator().language())
                .unwrap_or_default(),
        ),
    }
}

/// The saved theme, else the system's (`prefers-color-scheme`).
pub fn initial_theme() -> Theme {
    match load(THEME_KEY).as_deref() {
        Some("dark") => Theme::Dark,
        Some("light") => Theme::Light,
        _ => {
            let dark = web_sys::window()
                .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
                .is_some_and(|m| m.matches());
            if dark {
                Theme::Dark
            } else {
                Theme::Light
            }
        }
    }
}

/// Applies and keeps the language: `<html lang>` follows it.
pub fn apply_lang(lang: Lang, remember: bool) {
    if let Some(html) = document_element() {
        let _ = html.set_attribute("lang", lang.tag());
    }
    if remember {
        save(LANG_KEY, lang.tag());
    }
}

/// Applies and keeps the theme: the stylesheet keys on `<html data-theme>`.
pub fn apply_theme(theme: Theme, remember: bool) {
    if let Some(html) = document_element() {
        let _ = html.set_attribute("data-theme", theme.as_str());
    }
    if remember {
        save(THEME_KEY, theme.as_str());
    }
}

fn document_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}
