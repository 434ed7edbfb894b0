//! Wall-clock time in epoch milliseconds: the shell's one clock (the pure core is given
//! times, never reads them).

use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
