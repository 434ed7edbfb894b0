//! Producing outside transactions: `send_waiting` for the load generators. Drift events,
//! dead letters and state all go out in the workers' transactions (`txn`), so that a drift
//! event is committed together with the drift state it reports.

use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, ProducerContext, ThreadedProducer};

/// Queues a record, waiting while librdkafka's local queue is full (load generators).
pub(crate) fn send_waiting<C: ProducerContext, P: rdkafka::message::ToBytes + ?Sized>(
    producer: &ThreadedProducer<C>,
    mut record: BaseRecord<'_, str, P, C::DeliveryOpaque>,
) -> Result<(), KafkaError> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((
                KafkaError::MessageProduction(rdkafka::types::RDKafkaErrorCode::QueueFull),
                r,
            )) => {
                record = r;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err((e, _)) => return Err(e),
        }
    }
}
