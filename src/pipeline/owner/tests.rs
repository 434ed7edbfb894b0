//! The owner's exactly-once rules without a broker, in the spirit of Kafka Streams'
//! TopologyTestDriver: a fake transactional log applies what a transaction committed to
//! the global table (as the state reader would) and drops what was aborted; a fake
//! consumer records seeks. The owner under test is the real one, with the plan of the
//! example config and its baseline.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::{Owner, OwnerError, OwnerParts};
use crate::output::metrics::Metrics;
use crate::pipeline::heal::Remedy;
use crate::pipeline::plan::Plan;
use crate::pipeline::ports::{Positions, StateSource, TxnSink};
use crate::pipeline::txn::{Source, TxnError};
use crate::state::PartitionId;
use crate::state::table::GlobalTable;

const TOPIC: &str = "applications";
/// The example config's count window `last_10000`.
const COUNT_WINDOW: usize = 1;

/// What the fake log saw.
#[derive(Default)]
struct Log {
    /// Records of the open transaction: (key, value).
    open: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    dead_letters_open: usize,
    is_open: bool,
    /// Keys of each committed transaction, in order.
    committed: Vec<Vec<String>>,
    /// Consumed offsets committed, per commit.
    offsets: Vec<Vec<(String, i32, i64)>>,
    dead_letters: usize,
    aborts: usize,
    /// The next record fails (abortable), or the next commit fails with this.
    fail_next_record: bool,
    fail_commit: Option<fn() -> TxnError>,
}

struct FakeLog {
    log: Rc<RefCell<Log>>,
    table: Arc<RwLock<GlobalTable>>,
}

impl FakeLog {
    fn record(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), TxnError> {
        let mut log = self.log.borrow_mut();
        if std::mem::take(&mut log.fail_next_record) {
            log.is_open = true;
            return Err(TxnError::Aborted(KafkaError::MessageProduction(
                RDKafkaErrorCode::MessageTimedOut,
            )));
        }
        log.is_open = true;
        log.open.push((key.to_vec(), value.map(<[u8]>::to_vec)));
        Ok(())
    }
}

impl TxnSink for FakeLog {
    type Group = ();

    fn is_open(&self) -> bool {
        self.log.borrow().is_open
    }

    fn state(&mut self, _: i32, key: &str, value: Option<&[u8]>) -> Result<(), TxnError> {
        self.record(key.as_bytes(), value)
    }

    fn changelog(&mut self, _: &str, _: i32, _: &[u8], _: Option<&[u8]>) -> Result<(), TxnError> {
        Ok(())
    }

    fn forward(&mut self, _: &str, _: i32, _: &[u8], _: &[u8], _: i64) -> Result<(), TxnError> {
        Ok(())
    }

    fn dead_letter(
        &mut self,
        _: Option<&[u8]>,
        _: Option<&[u8]>,
        _: &str,
        _: &str,
        _: &Source<'_>,
    ) -> Result<(), TxnError> {
        let mut log = self.log.borrow_mut();
        log.is_open = true;
        log.dead_letters_open += 1;
        Ok(())
    }

    fn drift_event(&mut self, _: &str, _: &str) -> Result<(), TxnError> {
        Ok(())
    }

    fn commit(&mut self, offsets: TopicPartitionList, _: ()) -> Result<(), TxnError> {
        let mut log = self.log.borrow_mut();
        if let Some(fail) = log.fail_commit.take() {
            return Err(fail());
        }
        let records = std::mem::take(&mut log.open);
        let mut table = self.table.write().unwrap();
        for (k, v) in &records {
            table.apply(k, v.as_deref()).unwrap();
        }
        log.committed.push(
            records
                .iter()
                .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
                .collect(),
        );
        log.offsets.push(
            offsets
                .elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(o) => Some((e.topic().to_string(), e.partition(), o)),
                    _ => None,
                })
                .collect(),
        );
        log.dead_letters += std::mem::take(&mut log.dead_letters_open);
        log.is_open = false;
        Ok(())
    }

    fn abort(&mut self) -> Result<(), TxnError> {
        let mut log = self.log.borrow_mut();
        if log.is_open {
            log.open.clear();
            log.dead_letters_open = 0;
            log.aborts += 1;
            log.is_open = false;
        }
        Ok(())
    }
}

struct FakeState {
    table: Arc<RwLock<GlobalTable>>,
    /// Restores fail (the state topic cannot be read) while set.
    unreachable: AtomicBool,
}

impl StateSource for FakeState {
    fn partitions(&self) -> i32 {
        1
    }

    fn wait_caught_up(&self, _: Duration) -> Result<(), String> {
        if self.unreachable.load(std::sync::atomic::Ordering::Relaxed) {
            Err("Meta data fetch error: UnknownPartition".into())
        } else {
            Ok(())
        }
    }

    fn table(&self) -> &RwLock<GlobalTable> {
        &self.table
    }
}

#[derive(Default)]
struct FakeConsumer {
    seeks: RefCell<Vec<(i32, Offset)>>,
}

impl Positions<()> for FakeConsumer {
    fn group(&self) -> Option<()> {
        Some(())
    }

    fn seek(&self, _: &str, partition: i32, offset: Offset) -> Result<(), KafkaError> {
        self.seeks.borrow_mut().push((partition, offset));
        Ok(())
    }

    fn committed(&self, _: &str, _: i32) -> Option<Offset> {
        None
    }
}

fn plan() -> Arc<Plan> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let text = std::fs::read_to_string(dir.join("psimon.example.toml")).unwrap();
    let config = crate::config::load(&text, &[]).unwrap();
    Arc::new(Plan::build(&config, &dir).unwrap())
}

/// An owner over a fake log, the table the log commits to, and what the log saw.
struct Rig {
    owner: Owner<FakeLog, FakeState>,
    log: Rc<RefCell<Log>>,
    state: Arc<FakeState>,
    consumer: FakeConsumer,
    plan: Arc<Plan>,
}

impl Rig {
    fn new() -> Self {
        Self::over(Arc::new(RwLock::new(GlobalTable::default())))
    }

    /// A new owner (a new worker life or another instance) over the same committed table.
    fn over(table: Arc<RwLock<GlobalTable>>) -> Self {
        let plan = plan();
        let log = Rc::new(RefCell::new(Log::default()));
        let state = Arc::new(FakeState {
            table: Arc::clone(&table),
            unreachable: AtomicBool::new(false),
        });
        let owner = Owner::new(OwnerParts {
            plan: Arc::clone(&plan),
            txn: FakeLog {
                log: Rc::clone(&log),
                table,
            },
            reader: Arc::clone(&state),
            drift_outbox: Default::default(),
            restore_timeout: Duration::from_millis(50),
            metrics: Metrics::new(),
            publisher_partition: PartitionId {
                topic: TOPIC.into(),
                partition: 0,
            },
            publisher: Arc::new(AtomicBool::new(false)),
            assigned: Arc::new(AtomicUsize::new(0)),
            offset_reset_latest: false,
            join: None,
        });
        Self {
            owner,
            log,
            state,
            consumer: FakeConsumer::default(),
            plan,
        }
    }

    /// Assigns partition 0; returns where the consumer is told to resume.
    fn assign(&mut self) -> Offset {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(TOPIC, 0);
        self.owner.assign(&mut tpl).unwrap();
        tpl.elements()[0].offset()
    }

    /// Counts the applications at `offsets` of partition 0 (as the consuming loop would,
    /// skipping what is already counted).
    fn count(&mut self, offsets: std::ops::Range<i64>) {
        let (mut bins, mut extra) = (Vec::new(), crate::event::Extra::default());
        let mut late = vec![false; self.plan.layout.windows.len()];
        let mut rng = crate::data::synth::Rng::new(7);
        for o in offsets {
            let app = crate::data::synth::application(&mut rng, 0.0);
            let event = app.to_event(o as u64, "retail_v3", 1_700_000_000_000 + o);
            if self.owner.already_counted(TOPIC, 0, o) {
                continue;
            }
            let d = self
                .plan
                .decoder
                .decode_with(event.to_string().as_bytes(), &mut bins, &mut extra)
                .unwrap();
            let ms = d.event_time_ms.unwrap();
            self.owner
                .count(TOPIC, 0, o, (d.model, ms), (&bins, &extra), &mut late)
                .unwrap();
        }
    }

    fn checkpoint(&mut self) -> Result<(), OwnerError> {
        self.owner.checkpoint(&self.consumer)
    }

    /// Applications of the count window in the committed table.
    fn committed_apps(&self) -> u64 {
        let table = self.state.table.read().unwrap();
        table
            .window_panes(&self.plan.layout, 0, COUNT_WINDOW)
            .iter()
            .map(|(_, p)| p.counts.applications())
            .sum()
    }

    /// Applications of the count window the owner holds for partition 0.
    fn owned_apps(&self) -> u64 {
        self.owner.parts[TOPIC][&0]
            .state
            .panes()
            .iter()
            .filter(|(m, w, _, _)| *m == 0 && *w == COUNT_WINDOW)
            .map(|(_, _, _, p)| p.counts.applications())
            .sum()
    }

    fn committed_offset(&self) -> Option<i64> {
        self.state.table.read().unwrap().offset(&PartitionId {
            topic: TOPIC.into(),
            partition: 0,
        })
    }

    fn commits(&self) -> usize {
        self.log.borrow().committed.len()
    }
}

#[test]
fn the_offset_record_is_the_last_record_of_its_partition() {
    let mut r = Rig::new();
    assert_eq!(
        r.assign(),
        Offset::Invalid,
        "no checkpoint: the group decides"
    );
    r.count(0..300);
    r.checkpoint().unwrap();
    let log = r.log.borrow();
    let keys = &log.committed[0];
    let offset_at = keys.iter().position(|k| k.starts_with("offset/")).unwrap();
    assert_eq!(
        offset_at,
        keys.len() - 1,
        "the offset record comes last: {keys:?}"
    );
    assert!(keys.len() > 1, "panes before it");
    assert_eq!(log.offsets[0], vec![(TOPIC.to_string(), 0, 300)]);
    drop(log);
    assert_eq!(r.committed_apps(), 300);
    assert_eq!(r.committed_offset(), Some(300));
}

#[test]
fn a_partition_is_restored_before_its_first_message() {
    let mut first = Rig::new();
    first.assign();
    first.count(0..250);
    first.checkpoint().unwrap();
    let mut next = Rig::over(Arc::clone(&first.state.table));
    assert_eq!(
        next.assign(),
        Offset::Offset(250),
        "resumes at the checkpoint"
    );
    assert_eq!(
        next.owned_apps(),
        250,
        "with the counts, before any message"
    );
    assert!(next.owner.already_counted(TOPIC, 0, 249));
    assert!(!next.owner.already_counted(TOPIC, 0, 250));
    // Messages polled before the hand-over and delivered again are skipped.
    next.count(200..300);
    next.checkpoint().unwrap();
    assert_eq!(next.committed_apps(), 300);
}

#[test]
fn an_abort_refuses_every_commit_until_the_rewind_then_counts_once() {
    let mut r = Rig::new();
    r.assign();
    r.count(0..100);
    r.checkpoint().unwrap();
    r.count(100..150);
    r.log.borrow_mut().fail_next_record = true;
    let e = r.checkpoint().unwrap_err();
    assert_eq!(e.remedy(), Remedy::Abort);
    assert!(r.owner.diverged().is_some());
    // Whatever happens next commits nothing until the rewind.
    r.count(150..160);
    assert!(matches!(r.checkpoint(), Err(OwnerError::Diverged(_))));
    assert_eq!(r.commits(), 1);
    assert_eq!((r.committed_apps(), r.committed_offset()), (100, Some(100)));
    r.owner.rewind(&r.consumer).unwrap();
    assert!(r.owner.diverged().is_none());
    assert_eq!(
        r.consumer.seeks.borrow().last(),
        Some(&(0, Offset::Offset(100)))
    );
    assert_eq!(r.owned_apps(), 100, "back to the checkpoint");
    r.count(100..160);
    r.checkpoint().unwrap();
    assert_eq!((r.committed_apps(), r.committed_offset()), (160, Some(160)));
}

#[test]
fn a_failed_rewind_commits_nothing_through_a_revoke_and_the_final_checkpoint() {
    let mut r = Rig::new();
    r.assign();
    r.count(0..100);
    r.checkpoint().unwrap();
    r.count(100..180);
    r.log.borrow_mut().fail_next_record = true;
    r.checkpoint().unwrap_err();
    r.state
        .unreachable
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let e = r.owner.rewind(&r.consumer).unwrap_err();
    assert!(matches!(e, OwnerError::Restore(_)), "{e}");
    assert!(r.owner.diverged().is_some(), "still diverged");
    // The final checkpoint at shutdown, while the partition is still owned: refused.
    assert!(matches!(r.checkpoint(), Err(OwnerError::Diverged(_))));
    // The revocation of the partition: no checkpoint of it; with nothing owned any more
    // the owner is consistent again, and a checkpoint has nothing to commit.
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(TOPIC, 0);
    r.owner.revoke(&r.consumer, &tpl, false).unwrap();
    assert_eq!(r.owner.assigned(), 0);
    r.checkpoint().unwrap();
    assert_eq!(
        r.commits(),
        1,
        "only the first checkpoint was ever committed"
    );
    assert_eq!((r.committed_apps(), r.committed_offset()), (100, Some(100)));
    // The next owner restores the last checkpoint and re-reads the rest once.
    r.state
        .unreachable
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let mut next = Rig::over(Arc::clone(&r.state.table));
    assert_eq!(next.assign(), Offset::Offset(100));
    next.count(100..180);
    next.checkpoint().unwrap();
    assert_eq!(next.committed_apps(), 180);
}

#[test]
fn a_fenced_producer_diverges_and_a_retired_owner_never_commits() {
    let mut r = Rig::new();
    r.assign();
    r.count(0..100);
    r.log.borrow_mut().fail_commit = Some(|| {
        TxnError::Fatal(KafkaError::MessageProduction(
            RDKafkaErrorCode::ProducerFenced,
        ))
    });
    let e = r.checkpoint().unwrap_err();
    assert_eq!(e.remedy(), Remedy::Restart);
    assert!(matches!(&e, OwnerError::Txn(t) if t.is_fenced()));
    // The worker's life ends: retire, then its consumer's close revokes (nothing left).
    r.owner.retire("fenced");
    assert_eq!(r.owner.assigned(), 0);
    assert!(r.checkpoint().is_err());
    assert_eq!(r.commits(), 0);
    assert_eq!(r.log.borrow().aborts, 1, "the open transaction was aborted");
    assert_eq!(r.committed_offset(), None);
}

#[test]
fn dead_letters_and_counts_commit_together_or_not_at_all() {
    let mut r = Rig::new();
    r.assign();
    r.count(0..10);
    let src = Source {
        topic: TOPIC,
        partition: 0,
        offset: 10,
    };
    r.owner
        .dead_letter(None, Some(b"{"), ("invalid_json", "eof"), &src)
        .unwrap();
    r.log.borrow_mut().fail_next_record = true;
    r.checkpoint().unwrap_err();
    r.owner.rewind(&r.consumer).unwrap();
    assert_eq!(
        r.log.borrow().dead_letters,
        0,
        "the aborted dead letter is gone"
    );
    r.count(0..10);
    r.owner
        .dead_letter(None, Some(b"{"), ("invalid_json", "eof"), &src)
        .unwrap();
    r.checkpoint().unwrap();
    assert_eq!(r.log.borrow().dead_letters, 1);
    assert_eq!(r.committed_offset(), Some(11));
}
