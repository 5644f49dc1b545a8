//! Times shown in the reader's locale and zone, formatted by the browser's `Intl`.
//!
//! Only a [`Timestamp`] reaches `Date` here: its range is exactly `Date`'s, so no date API
//! below can throw a `RangeError` into the wasm.

use wasm_bindgen::JsValue;
use wirechat_protocol::Timestamp;

thread_local! {
    static TIME_FORMAT: js_sys::Intl::DateTimeFormat = {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"hour".into(), &"numeric".into());
        let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options)
    };
}

/// `ts` as a short local time such as "14:05" or "2:05 PM".
pub fn short_time(ts: Timestamp) -> String {
    TIME_FORMAT.with(|format| {
        format
            .format()
            .call1(
                &JsValue::UNDEFINED,
                &js_sys::Date::new(&JsValue::from_f64(ts.as_f64())),
            )
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    })
}

/// `ts` as a full local date and time, for tooltips and `datetime` attributes.
pub fn iso_time(ts: Timestamp) -> String {
    // `toISOString` throws on an invalid date; a `Timestamp` never makes one.
    String::from(js_sys::Date::new(&JsValue::from_f64(ts.as_f64())).to_iso_string())
}
