//! HTML pages from psimon's JSON documents, pure: a `psimon report` or `psimon pack`
//! document or an `/api/v1/drift` evaluation in, one self-contained HTML page out (inline CSS and SVG, no
//! script, nothing fetched). Every number is read from the JSON given, and every number a
//! table shows carries the JSON pointer it came from and its exact value
//! (`data-json`, `data-value`), so the page and the JSON cannot disagree and a test can
//! check that they do not. Charts use the Okabe-Ito colours, mark the current series by
//! shape as well as colour and print in black and white. Owns no I/O and no clock.

mod chart;
mod frontier;
mod live;
mod pack;
mod page;
mod report;

pub use frontier::frontier_html;
pub use live::live_html;
pub use pack::pack_html;
pub use report::report_html;
