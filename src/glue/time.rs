//! Times shown in the reader's locale and zone, formatted by the browser's `Intl`.

use wasm_bindgen::JsValue;

thread_local! {
    static TIME_FORMAT: js_sys::Intl::DateTimeFormat = {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"hour".into(), &"numeric".into());
        let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options)
    };
}

/// `ts` (ms since the epoch) as a short local time such as "14:05" or "2:05 PM".
pub fn short_time(ts: u64) -> String {
    TIME_FORMAT.with(|format| {
        format
            .format()
            .call1(
                &JsValue::UNDEFINED,
                &js_sys::Date::new(&JsValue::from_f64(ts as f64)),
            )
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    })
}

/// `ts` as a full local date and time, for tooltips and `datetime` attributes.
pub fn iso_time(ts: u64) -> String {
    String::from(js_sys::Date::new(&JsValue::from_f64(ts as f64)).to_iso_string())
}
