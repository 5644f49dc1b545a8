//! Size changes of one element, through the browser's `ResizeObserver`.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Calls back whenever the watched element's box changes size (once at the start, too), until
/// dropped.
pub struct SizeWatch {
    observer: web_sys::ResizeObserver,
    _callback: Closure<dyn FnMut()>,
}

impl SizeWatch {
    /// Watches `element`; `None` where the browser has no `ResizeObserver`.
    pub fn new(element: &web_sys::Element, on_resize: impl FnMut() + 'static) -> Option<Self> {
        let callback = Closure::<dyn FnMut()>::new(on_resize);
        let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        observer.observe(element);
        Some(Self {
            observer,
            _callback: callback,
        })
    }
}

impl Drop for SizeWatch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}
