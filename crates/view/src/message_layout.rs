//! Where the message list puts things: which slice of a long room is in the DOM, which
//! messages share a header, and where a new day starts.
//!
//! Pure arithmetic on indices, times and heights, so the rules are tested without a
//! browser; the frontend's `components::message_list` measures the DOM and carries them out.

/// The most message rows the DOM ever holds. Rooms up to this size are rendered whole.
pub const RENDER_WINDOW: usize = 400;

/// Rows rendered beyond each edge of the screen in rooms larger than [`RENDER_WINDOW`], so
/// ordinary scrolling shows rows that already exist. The slice moves once the screen comes
/// within half of this of one of its edges.
pub const OVERSCAN_ROWS: usize = 40;

/// Consecutive messages of one sender at most this far apart (ms) share a header.
pub const GROUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// A range `start..end` of message indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Slice {
    /// First index in the slice.
    pub start: usize,
    /// One past the last index.
    pub end: usize,
}

impl Slice {
    /// Number of indices in the slice.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the slice holds nothing.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The slice moved by `by` indices (after messages were inserted or removed before it),
    /// kept inside a room of `count` messages.
    pub fn shifted(self, by: isize, count: usize) -> Slice {
        let end = self.end.saturating_add_signed(by).min(count);
        let start = self.start.saturating_add_signed(by).min(end);
        Slice { start, end }
    }
}

/// The slice to render while rows `first..=last` of a room of `count` messages are on
/// screen: the whole room when it is small, else those rows plus [`OVERSCAN_ROWS`] on each
/// side, never more than [`RENDER_WINDOW`].
pub fn slice_around(first: usize, last: usize, count: usize) -> Slice {
    if count <= RENDER_WINDOW {
        return Slice {
            start: 0,
            end: count,
        };
    }
    let last = last.min(count - 1);
    let first = first.min(last);
    let on_screen = last - first + 1;
    let overscan = OVERSCAN_ROWS.min(RENDER_WINDOW.saturating_sub(on_screen) / 2);
    let start = first.saturating_sub(overscan);
    let end = (last + 1 + overscan).min(count).min(start + RENDER_WINDOW);
    Slice { start, end }
}

/// The slice that shows the newest messages when `rows_on_screen` rows fit on screen.
pub fn tail_slice(count: usize, rows_on_screen: usize) -> Slice {
    let last = count.saturating_sub(1);
    // A screen taller than the window (rows measured tiny, say) still ends at the newest
    // message: `slice_around` keeps the first rows of a screen it cannot hold whole.
    let rows = rows_on_screen.clamp(1, RENDER_WINDOW);
    slice_around(last.saturating_sub(rows - 1), last, count)
}

/// Whether `rendered` must move because rows `first..=last` came close to one of its edges
/// (an edge that is also an end of the room never needs to move) or it no longer fits the
/// room.
pub fn should_move(rendered: Slice, first: usize, last: usize, count: usize) -> bool {
    if count <= RENDER_WINDOW {
        return rendered != slice_around(0, 0, count);
    }
    let margin = OVERSCAN_ROWS / 2;
    rendered.end > count
        || rendered.is_empty()
        || (rendered.start > 0 && first < rendered.start + margin)
        || (rendered.end < count && last + margin >= rendered.end)
}

/// The average height of a rendered row, which sizes the space standing in for the rows
/// that are not rendered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowHeights {
    average: f64,
}

impl RowHeights {
    /// The guess before anything was measured: one line of text with its header.
    pub const INITIAL_PX: f64 = 56.0;

    /// Takes the latest measurement: `rows` rendered rows were `total_px` high together.
    /// Empty or invisible measurements (a hidden list) are ignored.
    pub fn observe(&mut self, total_px: f64, rows: usize) {
        if rows > 0 && total_px >= 1.0 {
            self.average = total_px / rows as f64;
        }
    }

    /// Height of an average row in pixels.
    pub fn average(&self) -> f64 {
        self.average
    }

    /// Height in pixels of `rows` rows that are not rendered.
    pub fn space_for(&self, rows: usize) -> f64 {
        (rows as f64 * self.average).round()
    }

    /// How many average rows cover `px` pixels (at least one).
    pub fn rows_in(&self, px: f64) -> usize {
        ((px / self.average).ceil() as usize).max(1)
    }

    /// Which row of a run of unrendered rows lies `px` pixels below the run's top.
    pub fn row_at(&self, px: f64) -> usize {
        (px.max(0.0) / self.average) as usize
    }
}

impl Default for RowHeights {
    fn default() -> Self {
        Self {
            average: Self::INITIAL_PX,
        }
    }
}

/// What grouping needs to know about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp<'a> {
    /// Sender's name.
    pub from: &'a str,
    /// Creation time, ms since the epoch.
    pub ts: u64,
    /// The reader's local calendar day of `ts`, as any number that differs between days.
    pub day: u32,
}

/// How one row relates to the row before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RowMarks {
    /// A day separator goes before this row.
    pub new_day: bool,
    /// This row starts a group: its sender and time are shown.
    pub new_group: bool,
}

/// The marks of message `current` that follows `previous` (`None` for a room's first).
pub fn row_marks(previous: Option<Stamp<'_>>, current: Stamp<'_>) -> RowMarks {
    let Some(previous) = previous else {
        return RowMarks {
            new_day: true,
            new_group: true,
        };
    };
    let new_day = previous.day != current.day;
    // `abs_diff`: clocks disagree, and a message may carry a time before its predecessor's.
    let new_group = new_day
        || previous.from != current.from
        || previous.ts.abs_diff(current.ts) > GROUP_WINDOW_MS;
    RowMarks { new_day, new_group }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A fixed moment (24 November 2025), for messages whose day does not matter.
    const TS: u64 = 1_764_000_000_000;

    const MINUTE_MS: u64 = 60_000;

    #[test]
    fn messages_group_by_sender_within_five_minutes_and_by_day() {
        let stamp = |from, ts, day| Stamp { from, ts, day };
        let first = RowMarks {
            new_day: true,
            new_group: true,
        };
        assert_eq!(row_marks(None, stamp("bob", TS, 1)), first);
        let grouped = RowMarks::default();
        let bob = stamp("bob", TS, 1);
        assert_eq!(
            row_marks(Some(bob), stamp("bob", TS + GROUP_WINDOW_MS, 1)),
            grouped
        );
        assert!(row_marks(Some(bob), stamp("bob", TS + GROUP_WINDOW_MS + 1, 1)).new_group);
        assert!(row_marks(Some(bob), stamp("carol", TS, 1)).new_group);
        assert_eq!(
            row_marks(Some(bob), stamp("bob", TS - MINUTE_MS, 1)),
            grouped,
            "a clock a minute behind still groups"
        );
        let next_day = row_marks(Some(bob), stamp("bob", TS + MINUTE_MS, 2));
        assert_eq!(next_day, first, "a new day starts a new group");
    }

    #[test]
    fn the_window_is_the_whole_room_up_to_the_limit_and_a_bounded_slice_beyond() {
        assert_eq!(slice_around(0, 5, 0), Slice { start: 0, end: 0 });
        assert_eq!(
            slice_around(10, 20, RENDER_WINDOW),
            Slice {
                start: 0,
                end: RENDER_WINDOW
            }
        );
        let count = 100_000;
        let middle = slice_around(50_000, 50_010, count);
        assert!(middle.start <= 50_000 && middle.end > 50_010);
        assert_eq!(middle.len(), 11 + 2 * OVERSCAN_ROWS);
        let top = slice_around(0, 10, count);
        assert_eq!(top.start, 0);
        let tail = tail_slice(count, 12);
        assert_eq!(tail.end, count);
        assert!(tail.len() <= RENDER_WINDOW);
        let huge_screen = slice_around(1_000, 5_000, count);
        assert_eq!(
            huge_screen.len(),
            RENDER_WINDOW,
            "never more than the window"
        );
        assert!(!should_move(middle, 50_000, 50_010, count));
        assert!(should_move(
            middle,
            middle.start + 2,
            middle.start + 12,
            count
        ));
        assert!(
            !should_move(top, 0, 10, count),
            "the room's top needs no more rows"
        );
        assert!(!should_move(tail, count - 12, count - 1, count));
        assert!(should_move(tail, count - 12, count - 1, count + 50));
        assert_eq!(
            Slice { start: 10, end: 20 }.shifted(5, 100),
            Slice { start: 15, end: 25 }
        );
        assert_eq!(
            Slice { start: 10, end: 20 }.shifted(-15, 100),
            Slice { start: 0, end: 5 }
        );
    }

    #[test]
    fn row_heights_follow_the_measurements() {
        let mut heights = RowHeights::default();
        assert_eq!(heights.average(), RowHeights::INITIAL_PX);
        heights.observe(4_000.0, 100);
        assert_eq!(heights.average(), 40.0);
        heights.observe(0.0, 0);
        heights.observe(0.0, 10);
        assert_eq!(heights.average(), 40.0, "a hidden list measures nothing");
        assert_eq!(heights.space_for(1_000), 40_000.0);
        assert_eq!(heights.rows_in(401.0), 11);
        assert_eq!(heights.rows_in(0.0), 1);
        assert_eq!(heights.row_at(119.0), 2);
        assert_eq!(heights.row_at(-5.0), 0);
    }

    proptest! {
        #[test]
        fn slices_stay_inside_the_room_and_the_window(
            first in 0usize..200_000,
            last in 0usize..200_000,
            count in 0usize..200_000,
        ) {
            let slice = slice_around(first, last, count);
            prop_assert!(slice.start <= slice.end && slice.end <= count);
            prop_assert!(slice.len() <= RENDER_WINDOW);
        }

        #[test]
        fn the_tail_ends_at_the_newest_message(count in 0usize..200_000, rows in 0usize..1_000) {
            let tail = tail_slice(count, rows);
            prop_assert_eq!(tail.end, count);
            prop_assert!(tail.len() <= RENDER_WINDOW);
        }

        #[test]
        fn a_shifted_slice_stays_inside_the_room(
            start in 0usize..10_000,
            len in 0usize..1_000,
            by in -20_000isize..20_000,
            count in 0usize..10_000,
        ) {
            let moved = Slice { start, end: start + len }.shifted(by, count);
            prop_assert!(moved.start <= moved.end && moved.end <= count);
        }
    }
}
