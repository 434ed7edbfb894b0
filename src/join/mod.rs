//! The join of delayed outcomes with their applications (issue 8, first part).
//!
//! Per application id the join keeps what it needs until the outcome arrives or the horizon
//! passes: the pending application (model, every series' bin, application time), an outcome
//! that came before its application (it waits `grace`), or, after a join, a marker that
//! makes a duplicate outcome count once. `step` is the pure state machine; `store` keeps the
//! entries (`spill`: scratch segment files; `index`: id fingerprints in memory), and
//! expires them by event time.
//!
//! `batch` is what the changelog holds besides one id's entry (batches of entries, the
//! watermarks) and the `Batcher` that fills the batches; `changelog` rebuilds a partition
//! of the store from its compacted changelog topic.
//! `partitioner` is Java Kafka's default partitioner: outcomes not co-partitioned with
//! their applications are forwarded to the repartition topic, keyed by the application id,
//! in the partition that holds the application.
//!
//! The shell lives in `pipeline::owner` (arrivals, changelog records inside the checkpoint
//! transactions, expiry at each checkpoint, restore on assignment and after an abort) and
//! `pipeline::consumer` (which topic a message comes from); windowed IV is
//! `evaluate::outcome`.

pub mod batch;
pub(crate) mod changelog;
mod index;
pub mod partitioner;
pub(crate) mod record;
mod spill;
pub(crate) mod step;
pub(crate) mod store;

pub use changelog::{ChangelogError, Restored, apply_record, changelog_topic, restore_partition};
pub use record::{Entry, OutcomeSeen, PendingApp};
pub use spill::SpillError;
pub use step::{Arrival, JoinEvent, step};
pub use store::{Arrived, Deadlines, Expired, Log, PendingStore, StoreError};
