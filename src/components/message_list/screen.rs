//! Reading the list's geometry: which rows are on screen and where, in the list's own
//! coordinates. Offsets (`offsetTop`) are measured from the list, which is positioned, and
//! compared with its `scrollTop`; rows outside the rendered slice are placed by the
//! spacers' estimate.

use crate::message_layout::{RowHeights, Slice};
use wasm_bindgen::JsCast;

/// A row to keep at the same height on screen across a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// A rendered row: its message id, index and the distance (px) of the message (not
    /// its day separator, which may come or go) from the top of the screen.
    Row {
        id: String,
        index: usize,
        offset: i32,
    },
    /// A row that is not rendered, where the spacer's estimate puts it.
    Estimate { index: usize, offset: i32 },
}

impl Anchor {
    /// The message index of the anchored row.
    pub fn index(&self) -> usize {
        match self {
            Anchor::Row { index, .. } | Anchor::Estimate { index, .. } => *index,
        }
    }

    /// The same anchor after `by` messages were inserted (or removed) before it.
    pub fn moved(self, by: isize) -> Self {
        match self {
            Anchor::Row { id, index, offset } => Anchor::Row {
                id,
                index: index.saturating_add_signed(by),
                offset,
            },
            Anchor::Estimate { index, offset } => Anchor::Estimate {
                index: index.saturating_add_signed(by),
                offset,
            },
        }
    }
}

/// The message indices on screen now, and the anchor that keeps them there.
pub struct OnScreen {
    /// The first index on screen.
    pub first: usize,
    /// The last index on screen.
    pub last: usize,
    /// What keeps them there.
    pub anchor: Anchor,
}

/// Which of a room's `count` message indices are on screen in `list`, read from the
/// rendered rows (`slice`, inside `rows_box`) where the screen shows them, and estimated
/// from the spacers, sized with `heights`, where it does not.
pub fn read_screen(
    list: &web_sys::HtmlElement,
    rows_box: &web_sys::HtmlElement,
    slice: Slice,
    count: usize,
    heights: RowHeights,
) -> Option<OnScreen> {
    let last_index = count.checked_sub(1)?;
    let top = list.scroll_top();
    let bottom = top + list.client_height();
    let screen_rows = heights.rows_in(f64::from(bottom - top));
    // Offsets are relative to the list, which is positioned.
    let rows_top = rows_box.offset_top();
    let rows_bottom = rows_top + rows_box.offset_height();
    let estimated = |first: usize, offset: i32| OnScreen {
        first,
        last: (first + screen_rows).min(last_index),
        anchor: Anchor::Estimate {
            index: first,
            offset,
        },
    };
    if slice.is_empty() || bottom <= rows_top {
        let space_top = rows_top - heights.space_for(slice.start) as i32;
        let first = heights.row_at(f64::from(top - space_top)).min(last_index);
        let offset = space_top + heights.space_for(first) as i32 - top;
        return Some(estimated(first, offset));
    }
    if top >= rows_bottom {
        let first = (slice.end + heights.row_at(f64::from(top - rows_bottom))).min(last_index);
        let below_rows = heights.space_for(first.saturating_sub(slice.end)) as i32;
        return Some(estimated(first, rows_bottom + below_rows - top));
    }
    let mut anchor = None;
    let mut last = slice.start;
    for (k, slot) in slots(rows_box).enumerate() {
        let slot_top = slot.offset_top();
        if slot_top >= bottom {
            break;
        }
        if anchor.is_none() && slot_top + slot.offset_height() > top {
            anchor = Some(Anchor::Row {
                id: slot.get_attribute("data-id").unwrap_or_default(),
                index: slice.start + k,
                offset: message_top(&slot) - top,
            });
        }
        last = slice.start + k;
    }
    let anchor = anchor?;
    // A spacer may share the screen with the rows; count the rows it stands for.
    let first = if rows_top > top {
        anchor
            .index()
            .saturating_sub(heights.rows_in(f64::from(rows_top - top)))
    } else {
        anchor.index()
    };
    if rows_bottom < bottom {
        last += heights.rows_in(f64::from(bottom - rows_bottom));
    }
    Some(OnScreen {
        first,
        last: last.min(last_index),
        anchor,
    })
}

/// The rendered slot of message `id`, expected at `index` of rows starting at `start`.
pub fn slot_of(
    rows_box: &web_sys::HtmlElement,
    start: usize,
    id: &str,
    index: usize,
) -> Option<web_sys::HtmlElement> {
    let holds = |slot: &web_sys::HtmlElement| slot.get_attribute("data-id").as_deref() == Some(id);
    index
        .checked_sub(start)
        .and_then(|k| slots(rows_box).nth(k))
        .filter(holds)
        .or_else(|| slots(rows_box).find(holds))
}

/// The slot elements inside the rows box, in order. Only slots carry a message id: the
/// "new messages" line between two of them is no row.
pub fn slots(rows_box: &web_sys::Element) -> impl Iterator<Item = web_sys::HtmlElement> {
    std::iter::successors(rows_box.first_element_child(), |el| {
        el.next_element_sibling()
    })
    .filter(|el| el.has_attribute("data-id"))
    .map(JsCast::unchecked_into)
}

/// The id of the newest message whose top is on screen in `list`: how far the reader has
/// read.
pub fn newest_on_screen(
    list: &web_sys::HtmlElement,
    rows_box: &web_sys::Element,
) -> Option<String> {
    let bottom = list.scroll_top() + list.client_height();
    slots(rows_box)
        .take_while(|slot| message_top(slot) < bottom)
        .last()
        .and_then(|slot| slot.get_attribute("data-id"))
}

/// Scrolls `list` by `px` (down when positive).
pub fn scroll_by(list: &web_sys::HtmlElement, px: i32) {
    if px != 0 {
        list.set_scroll_top(list.scroll_top() + px);
    }
}

/// The message inside a slot (its last child, after any day separator).
fn message_of(slot: &web_sys::HtmlElement) -> web_sys::HtmlElement {
    slot.last_element_child()
        .map_or_else(|| slot.clone(), JsCast::unchecked_into)
}

/// Top of the message inside `slot`, relative to the list. The stylesheet contains each
/// slot's layout, which makes the slot its message's offset parent.
pub fn message_top(slot: &web_sys::HtmlElement) -> i32 {
    let message = message_of(slot);
    let top = message.offset_top();
    if message
        .offset_parent()
        .is_some_and(|parent| parent.is_same_node(Some(slot)))
    {
        slot.offset_top() + top
    } else {
        top
    }
}
