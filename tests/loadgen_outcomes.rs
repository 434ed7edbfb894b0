//! `psimon loadgen --outcomes-topic`: on the real broker, every outcome is keyed by its
//! application's id and lands in the same partition number as the application (Java's
//! murmur2 partitioner, topics of equal partition counts: co-partitioned), says bad
//! exactly when the application's `bad` does, is observed the configured delay later, and
//! comes for about the configured share of applications. `--protected-gap` adds the group.
//! Read back with kcat, an independent client.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::kafka::{brokers, create_topics_with, kcat_read, unique};
use serde_json::Value;

#[test]
fn outcomes_are_co_partitioned_with_their_applications() {
    let (apps, outcomes) = (unique("lg-apps"), unique("lg-outcomes"));
    create_topics_with(&[(&apps, 3, &[]), (&outcomes, 3, &[])]);
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args([
            "loadgen",
            "--brokers",
            &brokers(),
            "--topic",
            &apps,
            "--count",
            "2000",
            "--start-ms",
            "1700000000000",
            "--step-ms",
            "1000",
            "--outcomes-topic",
            &outcomes,
            "--outcome-delay",
            "30d",
            "--outcome-share",
            "0.8",
            "--protected-gap",
            "30",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |topic: &str| -> HashMap<String, (i32, Value)> {
        kcat_read(topic, "%k\t%p\t%s\n")
            .lines()
            .map(|l| {
                let mut parts = l.splitn(3, '\t');
                let key = parts.next().unwrap().to_string();
                let partition: i32 = parts.next().unwrap().parse().unwrap();
                let value: Value = serde_json::from_str(parts.next().unwrap()).unwrap();
                (key, (partition, value))
            })
            .collect()
    };
    let applications = read(&apps);
    let results = read(&outcomes);
    assert_eq!(applications.len(), 2000);
    let share = results.len() as f64 / 2000.0;
    assert!((0.75..=0.85).contains(&share), "outcome share {share}");
    let mut partitions_used = std::collections::HashSet::new();
    for (key, (p, outcome)) in &results {
        let (ap, app) = &applications[key];
        assert_eq!(
            p, ap,
            "{key}: outcome in partition {p}, application in {ap}"
        );
        partitions_used.insert(*p);
        assert_eq!(outcome["application_id"], app["application_id"]);
        assert_eq!(outcome["outcome"], app["bad"]);
        assert_eq!(
            outcome["observed_at"].as_i64().unwrap(),
            app["submitted_at"].as_i64().unwrap() + 30 * 86_400_000
        );
    }
    assert_eq!(partitions_used.len(), 3, "keys spread over every partition");
    let b = applications
        .values()
        .filter(|(_, a)| a["applicant"]["group"] == "B")
        .count() as f64
        / 2000.0;
    assert!((0.25..=0.35).contains(&b), "group B share {b}");
}
