//! `psimon demo` on librdkafka's mock cluster (the zero-install path): it runs the whole
//! pipeline, evaluates, publishes drift events once the injected drift arrives, serves
//! /metrics, and stops by itself cleanly.

mod common;

use std::process::Command;
use std::time::Duration;

use common::kafka::{free_port, http_get, metric, wait_for};

#[test]
fn the_demo_detects_the_injected_drift() {
    let port = free_port();
    // The demo's temporary files go under TMPDIR; none may be left behind.
    let tmp = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .env("TMPDIR", tmp.path())
        .args([
            "demo",
            "--duration",
            "16s",
            "--drift-after",
            "3s",
            "--interval",
            "2s",
            "--rate",
            "3000",
            "--http",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut consumed = 0.0;
    wait_for(
        "the demo's /metrics to count events",
        Duration::from_secs(30),
        || {
            consumed = http_get(port, "/metrics")
                .and_then(|(_, m)| metric(&m, "psimon_events_counted_total"))
                .unwrap_or(0.0);
            consumed > 1000.0
        },
    );
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("population DRIFTING"), "{stdout}");
    let events: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("retail_v3/bureau_score/") && l.contains("ok -> "))
        .collect();
    assert!(
        !events.is_empty(),
        "no drift event for bureau_score:\n{stdout}"
    );
    assert!(stdout.contains("ALERT") || stdout.contains("WARNING"));
    // Self-employment rises from 15% to 39%: the scorecard's bins merge it with other
    // levels and stay quiet; the population bins (one per level) alert.
    assert!(
        stdout.lines().any(
            |l| l.contains("retail_v3/employment_type/last_5000/population")
                && l.contains("-> alert")
        ),
        "no alert on employment_type's population bins:\n{stdout}"
    );
    assert!(
        !stdout
            .lines()
            .any(|l| l.contains("retail_v3/employment_type/last_5000  ") && l.contains("-> alert")),
        "the scorecard's employment bins were not expected to alert:\n{stdout}"
    );
    assert!(stdout.contains("demo stopped after"));
    assert!(
        stdout.contains("windows: 2m (the last 2m of event time, sliding every 10s); last_5000 (the last 5000 applications)"),
        "{stdout}"
    );
    assert!(stdout.contains("its files are removed"), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "the demo left {left:?}");
    // Outcomes follow their applications by a few seconds and are joined: windowed IV.
    let last = stdout
        .rsplit("windowed IV of the joined outcomes")
        .next()
        .unwrap();
    let (iv_table, backtest) = last
        .split_once("back-testing of the score")
        .unwrap_or_else(|| panic!("no back-testing after the windowed IV:\n{stdout}"));
    let iv_row = iv_table
        .lines()
        .find(|l| l.starts_with("bureau_score") && l.contains("last_5000_outcomes"))
        .unwrap_or_else(|| panic!("no windowed IV of bureau_score:\n{stdout}"));
    assert!(
        iv_row.contains("1.3171"),
        "the development IV beside it: {iv_row}"
    );
    // The score back-tested on the same outcomes: the ranking holds (the shift moved the
    // population, not the relation), against the development Gini.
    let bt_row = backtest
        .lines()
        .find(|l| l.starts_with("bureau_score") && l.contains("last_5000_outcomes"))
        .unwrap_or_else(|| panic!("no back-testing of bureau_score:\n{stdout}"));
    assert!(
        bt_row.contains("0.5812") && bt_row.contains(" OK "),
        "{bt_row}"
    );
    // The fairness check (no score difference between the groups): J shown below 0.02 in
    // the 2-minute window, which holds every application.
    let fairness_row = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("group (bureau_score)") && l.contains(" 2m "))
        .unwrap_or_else(|| panic!("no fairness row:\n{stdout}"));
    assert!(fairness_row.trim_end().ends_with("OK"), "{fairness_row}");
}

#[test]
fn a_taken_port_stops_the_demo_with_that_error_alone() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args([
            "demo",
            "--duration",
            "5s",
            "--http",
            &format!("127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        stderr.contains(&format!("binding the HTTP address 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(!stdout.contains("demo stopped after"), "{stdout}");
}

/// The batch tour leaves nothing behind unless asked to keep its files with --dir, and then
/// keeps the samples and the baseline its printed commands name.
#[test]
fn the_batch_demo_cleans_up_or_keeps_its_files_in_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(["demo", "--batch"])
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("its files are removed (--dir DIR keeps them)"),
        "{stdout}"
    );
    assert!(stdout.contains("bureau_score"), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "the batch demo left {left:?}");

    let keep = tmp.path().join("kept");
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(["demo", "--batch", "--dir", keep.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains(&format!("files kept in {}", keep.display())),
        "{stdout}"
    );
    for f in ["development.csv", "current.csv", "baseline.json"] {
        assert!(keep.join(f).is_file(), "{f} kept");
    }
    rerun_printed_commands(&stdout, &keep, &tmp.path().join("again"));
}

/// The commands the batch tour prints, run as printed (in another directory), make the same
/// samples, the same baseline and the same report.
fn rerun_printed_commands(stdout: &str, kept: &std::path::Path, again: &std::path::Path) {
    std::fs::create_dir_all(again).unwrap();
    let (from, to) = (kept.to_str().unwrap(), again.to_str().unwrap());
    let commands: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("== psimon "))
        .collect();
    assert_eq!(commands.len(), 4, "{stdout}");
    let mut report = String::new();
    for c in &commands {
        let args: Vec<String> = c.split_whitespace().map(|a| a.replace(from, to)).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{c}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        report = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    for f in ["development.csv", "current.csv", "baseline.json"] {
        let (a, b) = (
            std::fs::read(kept.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs when the printed commands are rerun");
    }
    // The demo's report (after its command line) is the rerun's, paths aside.
    let printed = stdout.split("== psimon report").nth(1).unwrap();
    let printed = printed.split_once('\n').unwrap().1.trim();
    let printed = printed.rsplit_once("demo done").unwrap().0.trim();
    // Paths aside, and the time each report was made.
    let made = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.contains(" report, made "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(made(&printed.replace(from, to)), made(report.trim()));
    assert!(report.contains("Back-testing of bureau_score"), "{report}");
}
