//! Calendar days in the reader's time zone, and their names for the day separators. The
//! browser's `Date` and `Intl` do the calendar work, so zones, daylight saving time and
//! date formats follow the reader's settings.

use crate::i18n::{Lang, Tr};
use js_sys::{Date, Intl};
use std::cell::RefCell;
use wasm_bindgen::JsValue;
use wirechat_protocol::Timestamp;

thread_local! {
    /// The date format of the language used last; rebuilt when the language changes.
    static DATE_FORMAT: RefCell<Option<(Lang, Intl::DateTimeFormat)>> = const { RefCell::new(None) };
}

/// The reader's local calendar day of `ts`, as a number such as 20251124 that differs
/// between days.
pub fn local_day(ts: Timestamp) -> u32 {
    day_of(&Date::new(&JsValue::from_f64(ts.as_f64())))
}

/// "Today", "Yesterday", or the date of `ts` written out in `lang`.
pub fn day_label(ts: Timestamp, lang: Lang) -> String {
    let now = Date::new_0();
    let day = local_day(ts);
    if day == day_of(&now) {
        return Tr::today(lang).to_owned();
    }
    // `Date` rolls day 0 over into the previous month (and year), and a calendar day
    // back is not always 24 hours back.
    let yesterday = Date::new_with_year_month_day(
        now.get_full_year(),
        now.get_month() as i32,
        now.get_date() as i32 - 1,
    );
    if day == day_of(&yesterday) {
        return Tr::yesterday(lang).to_owned();
    }
    long_date(ts, lang)
}

fn day_of(date: &Date) -> u32 {
    date.get_full_year() * 10_000 + (date.get_month() + 1) * 100 + date.get_date()
}

/// `ts` as a full date such as "Monday, November 24, 2025" in `lang`.
fn long_date(ts: Timestamp, lang: Lang) -> String {
    DATE_FORMAT.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.as_ref().is_none_or(|(cached, _)| *cached != lang) {
            *cell = Some((lang, date_format(lang)));
        }
        let (_, format) = cell.as_ref().expect("just set");
        format
            .format()
            .call1(
                &JsValue::UNDEFINED,
                &Date::new(&JsValue::from_f64(ts.as_f64())),
            )
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    })
}

fn date_format(lang: Lang) -> Intl::DateTimeFormat {
    let options = js_sys::Object::new();
    for (key, value) in [
        ("weekday", "long"),
        ("year", "numeric"),
        ("month", "long"),
        ("day", "numeric"),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    let locales = js_sys::Array::of1(&lang.tag().into());
    Intl::DateTimeFormat::new(&locales, &options)
}
