//! The consume ceiling for `scripts/throughput.sh`: librdkafka consuming a topic from the
//! beginning with psimon's fetch settings and doing nothing with the messages (their
//! payload length is read, nothing is parsed). Prints messages per second from the first
//! message to the COUNT-th.
//!
//!   cargo run --release --example consume_ceiling -- BROKERS TOPIC COUNT [PREFETCH_BYTES]

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: consume_ceiling BROKERS TOPIC COUNT [PREFETCH_BYTES]".into());
    }
    let (brokers, topic, count): (&str, &str, u64) = (&args[1], &args[2], args[3].parse()?);
    let prefetch = match args.get(4) {
        Some(b) => b.parse()?,
        None => psimon::pipeline::fetch::DEFAULT_PREFETCH_BYTES,
    };
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", brokers)
        .set("group.id", format!("ceiling-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest");
    for (k, v) in psimon::pipeline::fetch::prefetch_settings(prefetch, 12) {
        cfg.set(k, v);
    }
    let consumer: BaseConsumer = cfg.create()?;
    consumer.subscribe(&[topic])?;
    let (mut n, mut bytes, mut first) = (0u64, 0usize, None);
    let deadline = Instant::now() + Duration::from_secs(300);
    while n < count && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                first.get_or_insert_with(Instant::now);
                bytes += m.payload().map_or(0, <[u8]>::len);
                n += 1;
            }
            Some(Err(e)) => eprintln!("poll: {e}"),
            None => {}
        }
    }
    let secs = first.map_or(0.0, |f| f.elapsed().as_secs_f64());
    println!(
        "consume only: {n} messages ({bytes} payload bytes) in {secs:.2} s: {:.0} messages/s",
        n as f64 / secs.max(1e-9)
    );
    Ok(())
}
