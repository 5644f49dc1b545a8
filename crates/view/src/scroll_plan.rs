//! The message list's scrolling decisions: where the rendered slice goes when the room
//! changes, how many new messages arrived below the reader, what the top of the list says
//! about older history, and when older history is asked for.

use crate::message_layout::{should_move, slice_around, Slice};

/// Older history is requested once the screen shows one of the room's first this many rows.
pub const LOAD_OLDER_WITHIN_ROWS: usize = 10;

/// What the current room's history looks like beyond what is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryView {
    /// The server keeps history at all.
    pub available: bool,
    /// Older messages exist before the first one loaded.
    pub more_before: bool,
    /// Older messages are being fetched.
    pub loading: bool,
}

/// What the top of the list says about older history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistoryEdge {
    /// Nothing: older rows are not rendered, or there is nothing to say.
    #[default]
    Hidden,
    /// Older messages are being fetched.
    Loading,
    /// The first message of the room is rendered and nothing older exists.
    Beginning,
}

/// The edge shown above the rendered `slice` of a room of `count` messages.
pub fn history_edge(slice: Slice, count: usize, history: HistoryView) -> HistoryEdge {
    if slice.start > 0 || count == 0 {
        HistoryEdge::Hidden
    } else if history.loading {
        HistoryEdge::Loading
    } else if history.available && !history.more_before {
        HistoryEdge::Beginning
    } else {
        HistoryEdge::Hidden
    }
}

/// How many messages arrived below the screen: the room went from `old_count` to `count`
/// messages and the screen's first row moved down by `shift` (history arriving above moves
/// it; news below does not).
pub fn arrived_below(old_count: usize, count: usize, shift: isize) -> usize {
    let grown = count as isize - old_count as isize;
    (grown - shift).max(0) as usize
}

/// The slice to render after the room changed under a reader who is not following the
/// newest messages: `rendered` showed rows `first..=last` on screen, whose messages are now
/// `shift` places further down a room of `count` messages. The slice moves with them, and
/// is re-centred on them when they came close to one of its edges.
pub fn follow_reader(
    rendered: Slice,
    first: usize,
    last: usize,
    shift: isize,
    count: usize,
) -> Slice {
    let last_index = count.saturating_sub(1);
    let first = first.saturating_add_signed(shift).min(last_index);
    let last = last.saturating_add_signed(shift).min(last_index);
    let moved = rendered.shifted(shift, count);
    if should_move(moved, first, last, count) {
        slice_around(first, last, count)
    } else {
        moved
    }
}

/// Whether to ask for older history now. `first_on_screen` reads the first row on screen
/// (it costs a layout, so it is read only when history could be due). After a render
/// (`unprompted`) it asks once per room length (`asked_at` is the length at the last
/// request), so a server that answers with nothing new is not asked again and again
/// without the reader scrolling.
pub fn older_due(
    history: HistoryView,
    first_on_screen: impl FnOnce() -> Option<usize>,
    count: usize,
    asked_at: Option<usize>,
    unprompted: bool,
) -> bool {
    if !history.more_before || history.loading {
        return false;
    }
    let near_top = first_on_screen().is_some_and(|first| first < LOAD_OLDER_WITHIN_ROWS);
    near_top && !(unprompted && asked_at == Some(count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message_layout::{OVERSCAN_ROWS, RENDER_WINDOW};
    use proptest::prelude::*;

    const MORE: HistoryView = HistoryView {
        available: true,
        more_before: true,
        loading: false,
    };

    #[test]
    fn the_edge_shows_only_above_the_room_s_first_message() {
        let top = Slice { start: 0, end: 10 };
        let loading = HistoryView {
            loading: true,
            ..MORE
        };
        let all_loaded = HistoryView {
            more_before: false,
            ..MORE
        };
        assert_eq!(history_edge(top, 10, loading), HistoryEdge::Loading);
        assert_eq!(history_edge(top, 10, all_loaded), HistoryEdge::Beginning);
        assert_eq!(history_edge(top, 10, MORE), HistoryEdge::Hidden);
        assert_eq!(
            history_edge(top, 10, HistoryView::default()),
            HistoryEdge::Hidden,
            "a server without history has no beginning to show"
        );
        assert_eq!(history_edge(top, 0, all_loaded), HistoryEdge::Hidden);
        let lower = Slice { start: 5, end: 10 };
        assert_eq!(history_edge(lower, 10, all_loaded), HistoryEdge::Hidden);
    }

    #[test]
    fn news_below_counts_as_unseen_and_history_above_does_not() {
        assert_eq!(arrived_below(100, 103, 0), 3);
        assert_eq!(arrived_below(100, 300, 200), 0);
        assert_eq!(arrived_below(100, 305, 200), 5);
        assert_eq!(
            arrived_below(100, 90, 0),
            0,
            "a shrinking room brings nothing"
        );
    }

    #[test]
    fn older_history_is_asked_near_the_top_once_per_room_length() {
        assert!(older_due(MORE, || Some(0), 50, None, true));
        assert!(older_due(
            MORE,
            || Some(LOAD_OLDER_WITHIN_ROWS - 1),
            50,
            None,
            false
        ));
        assert!(!older_due(
            MORE,
            || Some(LOAD_OLDER_WITHIN_ROWS),
            50,
            None,
            false
        ));
        assert!(!older_due(MORE, || None, 50, None, false));
        assert!(!older_due(MORE, || Some(0), 50, Some(50), true));
        assert!(
            older_due(MORE, || Some(0), 50, Some(50), false),
            "the reader scrolling asks again"
        );
        let loading = HistoryView {
            loading: true,
            ..MORE
        };
        let mut read = false;
        assert!(!older_due(
            loading,
            || {
                read = true;
                Some(0)
            },
            50,
            None,
            false
        ));
        assert!(!read, "the screen is not read while history cannot be due");
    }

    #[test]
    fn the_slice_moves_with_history_arriving_above() {
        let count = 10_000;
        let rendered = slice_around(5_000, 5_010, count);
        let next = follow_reader(rendered, 5_000, 5_010, 200, count + 200);
        assert_eq!(next, rendered.shifted(200, count + 200));
    }

    proptest! {
        #[test]
        fn the_slice_stays_inside_the_room(
            start in 0usize..20_000,
            len in 0usize..600,
            first in 0usize..20_000,
            on_screen in 0usize..500,
            shift in -5_000isize..5_000,
            count in 0usize..20_000,
        ) {
            let rendered = Slice { start, end: start + len };
            let next = follow_reader(rendered, first, first + on_screen, shift, count);
            prop_assert!(next.start <= next.end);
            prop_assert!(next.end <= count);
        }

        #[test]
        fn a_fresh_slice_needs_no_move(
            first in 0usize..20_000,
            on_screen in 1usize..=RENDER_WINDOW - 2 * OVERSCAN_ROWS,
            count in 1usize..20_000,
        ) {
            let first = first.min(count - 1);
            let last = (first + on_screen - 1).min(count - 1);
            let slice = slice_around(first, last, count);
            prop_assert!(slice.len() <= RENDER_WINDOW);
            prop_assert!(slice.start <= first && last < slice.end);
            prop_assert!(!should_move(slice, first, last, count), "{slice:?} would move at once");
        }

        #[test]
        fn unseen_counts_only_what_arrived_below(
            old_count in 0usize..10_000,
            above in 0usize..1_000,
            below in 0usize..1_000,
        ) {
            let count = old_count + above + below;
            prop_assert_eq!(arrived_below(old_count, count, above as isize), below);
            prop_assert_eq!(arrived_below(count, old_count, 0), 0, "a shrinking room brings nothing");
        }
    }
}
