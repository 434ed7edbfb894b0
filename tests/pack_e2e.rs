//! `psimon pack` against a monitor on the real broker: the pack of a period states, per
//! input partition, the offsets its counts came from, and recounting the input read with
//! kcat below those offsets (events whose time lies in the covered panes, binned offline)
//! gives every bin count and PSI of the pack. The drift events of the period are in it,
//! the bundle verifies with its signer's key and `psimon pack verify` refuses a changed
//! byte.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::kafka::*;
use common::*;
use psimon::stats::{IvOptions, PsiOptions, iv, psi};
use serde_json::Value;

/// Every message of `topic` as (partition, offset, event).
fn input(topic: &str) -> Vec<(i32, i64, Value)> {
    kcat_read(topic, "%p\t%o\t%s\n")
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\t');
            let p = parts.next()?.parse().ok()?;
            let o = parts.next()?.parse().ok()?;
            Some((p, o, serde_json::from_str(parts.next()?).ok()?))
        })
        .collect()
}

/// An event's value of a feature as text (missing = None), as the mapping reads it.
fn value(event: &Value, feature: &str) -> Option<String> {
    let pointer = match feature {
        "income" | "age" | "debt_to_income" | "employment_type" | "region" => {
            format!("/applicant/{feature}")
        }
        "bureau_score" => "/bureau/score".into(),
        other => format!("/bureau/{other}"),
    };
    match event.pointer(&pointer)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        v => Some(v.to_string()),
    }
}

fn ms(text: &Value) -> i64 {
    let t = time::OffsetDateTime::parse(
        text.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[test]
fn a_pack_states_offsets_that_recount_to_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = built_baseline(d);
    let topics = Topics::with_partitions("pack", 2);
    let port = free_port();
    let fairness = "[[fairness]]\nname = \"by_region\"\nattribute = \"/applicant/region\"\nreference = \"north\"\ngroups = [\"south\"]\nfeature = \"bureau_score\"\n";
    let config = write_config(d, &topics, port, &base, fairness);
    let monitor = Monitor::start(&config, port);
    // 40 minutes of applications ending two minutes ago (so the period's whole panes hold
    // them all), one every 300 ms of event time: 10 like development, then 30 shifted.
    let t0 = now_ms() - 42 * 60 * 1000;
    loadgen_with(&topics.input, 2_000, 0.0, 81, t0, &["--step-ms", "300"]);
    let shifted_from = t0 + 600_000;
    loadgen_with(
        &topics.input,
        6_000,
        1.0,
        82,
        shifted_from,
        &["--step-ms", "300"],
    );
    wait_for(
        "8,000 applications in the 1h window",
        Duration::from_secs(90),
        || window_applications(&monitor.drift(), "1h") == Some(8_000),
    );
    wait_for("a drift event", Duration::from_secs(30), || {
        !kcat_read(&topics.drift, "%s\n").trim().is_empty()
    });
    // The last checkpoint holds every count.
    std::thread::sleep(Duration::from_secs(3));

    let out = d.join("pack");
    let key = d.join("signer.pem");
    let public = d.join("signer.pub.pem");
    for args in [
        vec!["genpkey", "-algorithm", "ed25519", "-out", path_str(&key)],
        vec![
            "pkey",
            "-in",
            path_str(&key),
            "-pubout",
            "-out",
            path_str(&public),
        ],
    ] {
        assert!(
            std::process::Command::new("openssl")
                .args(&args)
                .status()
                .unwrap()
                .success()
        );
    }
    ok(&[
        "pack",
        "--config",
        path_str(&config),
        "--window",
        "1h",
        "--from",
        "45m",
        "--out-dir",
        path_str(&out),
        "--sign",
        path_str(&key),
    ]);
    let pack: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("pack.json")).unwrap()).unwrap();
    assert_eq!(pack["rows"], 8_000, "{}", pack["period"]);
    let (from, to) = (
        ms(&pack["period"]["covered_from"]),
        ms(&pack["period"]["covered_to"]),
    );

    // Recount: per partition the messages below `counted_below`, in the covered panes.
    let below: HashMap<i32, i64> = pack["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["partition"].as_i64().unwrap() as i32,
                o["counted_below"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(below.len(), 2);
    let events: Vec<Value> = input(&topics.input)
        .into_iter()
        .filter(|(p, o, e)| {
            let t = e["submitted_at"].as_i64().unwrap();
            *o < below[p] && t >= from && t < to
        })
        .map(|(_, _, e)| e)
        .collect();
    assert_eq!(events.len(), 8_000);
    let baseline: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let features = baseline["models"][0]["features"].as_array().unwrap();
    let mut compared = 0;
    for f in pack["features"].as_array().unwrap() {
        let name = f["feature"].as_str().unwrap();
        let spec = features.iter().find(|b| b["name"] == name).unwrap();
        let bins = if f["binning"] == "population" {
            &spec["population"]
        } else {
            spec
        };
        let values: Vec<Option<String>> = events.iter().map(|e| value(e, name)).collect();
        let recount = offline_counts(bins, &values);
        let counted: Vec<f64> = f["bins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["current_count"].as_f64().unwrap())
            .collect();
        assert_eq!(counted, recount, "{name} {}", f["binning"]);
        let base_counts: Vec<f64> = serde_json::from_value(bins["counts"].clone()).unwrap();
        let want = psi(&recount, &base_counts, PsiOptions::default()).unwrap();
        let got = f["psi"]["psi"].as_f64().unwrap();
        assert!(
            (got - want.psi).abs() <= 1e-9 * want.psi,
            "{name}: {got} vs {}",
            want.psi
        );
        compared += 1;
    }
    assert_eq!(
        compared,
        2 * features.len(),
        "scorecard and population bins of each"
    );
    // The trend covers the panes, the period's drift events are there.
    let panes = pack["period"]["panes"].as_u64().unwrap();
    assert_eq!(pack["trend"].as_array().unwrap().len() as u64, panes);
    assert!(panes >= 38, "{panes} panes");
    let drift_events = pack["events"].as_array().unwrap();
    assert!(!drift_events.is_empty(), "no drift event in the pack");
    assert!(
        drift_events
            .iter()
            .all(|e| e["data"]["model"] == "retail_v3")
    );
    // The fairness check over the period: J of bureau_score's bins, south against north,
    // equals the IV core on the recounted rows of each region.
    let spec = features
        .iter()
        .find(|b| b["name"] == "bureau_score")
        .unwrap();
    let region = |r: &str| {
        let values: Vec<Option<String>> = events
            .iter()
            .filter(|e| value(e, "region").as_deref() == Some(r))
            .map(|e| value(e, "bureau_score"))
            .collect();
        offline_counts(spec, &values)
    };
    let (south, north) = (region("south"), region("north"));
    let opts = IvOptions {
        alpha: 0.05,
        tau: Some(0.02),
    };
    let want = iv(&south, &north, opts).unwrap();
    let check = &pack["fairness_checks"][0];
    assert_eq!(check["groups"][0]["group"], "south");
    assert_eq!(
        check["groups"][0]["rows"].as_f64(),
        Some(south.iter().sum::<f64>())
    );
    let j = check["groups"][0]["j"]["j"].as_f64().unwrap();
    assert!(
        (j - want.iv).abs() <= 1e-9 * want.iv,
        "J {j} vs {}",
        want.iv
    );
    let html = std::fs::read_to_string(out.join("pack.html")).unwrap();
    assert!(html.contains("Fairness of bureau_score"));
    assert!(html.contains("PSI per pane") && html.contains("counted below"));
    // Opened in Chromium: every number shown equals pack.json at its pointer.
    let url = format!("file://{}", out.join("pack.html").display());
    let numbers = equals_json(&dom(&url), &pack, &[]);
    assert!(numbers > 500, "{numbers} numbers checked");
    screenshot(&url, "pack.png");

    // Signed, verified, and one changed byte refused.
    let verify = || {
        psimon(&[
            "pack",
            "verify",
            path_str(&out),
            "--public-key",
            path_str(&public),
        ])
    };
    assert!(verify().status.success(), "{}", stderr(&verify()));
    let path = out.join("pack.json");
    let original = std::fs::read(&path).unwrap();
    let mut changed = original.clone();
    changed[original.len() / 3] ^= 0x20;
    std::fs::write(&path, changed).unwrap();
    let refused = verify();
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("pack.json"),
        "{}",
        stderr(&refused)
    );
    std::fs::write(&path, original).unwrap();
    drop(monitor);
}
