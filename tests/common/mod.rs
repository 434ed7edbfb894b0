//! Helpers shared by the CLI tests: run the built binary, write generated samples.
#![allow(dead_code)]

pub mod cluster;
pub mod kafka;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn psimon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(args)
        .output()
        .expect("the psimon binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs psimon and expects success.
pub fn ok(args: &[&str]) -> String {
    let o = psimon(args);
    assert!(
        o.status.success(),
        "psimon {args:?} failed:\n{}",
        stderr(&o)
    );
    stdout(&o)
}

/// Runs psimon and expects a clean failure (non-zero exit, no panic) whose message has `needle`.
pub fn fails_with(args: &[&str], needle: &str) -> String {
    let o = psimon(args);
    let err = stderr(&o);
    assert!(!o.status.success(), "psimon {args:?} should fail");
    assert!(
        !err.contains("panicked"),
        "psimon {args:?} panicked:\n{err}"
    );
    assert!(
        err.contains(needle),
        "psimon {args:?}: expected {needle:?} in:\n{err}"
    );
    err
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// Builds a stumps baseline with the target `bad`, special value -999 and monotone WoE;
/// returns what `psimon baseline` printed.
pub fn stumps_baseline(dev: &Path, out: &Path) -> String {
    ok(&[
        "baseline",
        "--input",
        path_str(dev),
        "--target",
        "bad",
        "--method",
        "stumps",
        "--special-values",
        "-999",
        "--monotone",
        "--out",
        path_str(out),
    ])
}

/// A stumps baseline of 20,000 synthetic development applications, built by psimon itself
/// in `dir` (the baseline of the streaming tests).
pub fn built_baseline(dir: &Path) -> PathBuf {
    let dev = generate(dir, "dev.csv", 20_000, 0.0, 1);
    let out = dir.join("built-baseline.json");
    stumps_baseline(&dev, &out);
    out
}

/// Writes a synthetic sample through `psimon generate`.
pub fn generate(dir: &Path, name: &str, rows: u64, shift: f64, seed: u64) -> PathBuf {
    let out = dir.join(name);
    ok(&[
        "generate",
        "--out",
        path_str(&out),
        "--rows",
        &rows.to_string(),
        "--shift",
        &shift.to_string(),
        "--seed",
        &seed.to_string(),
    ]);
    out
}

/// Bins values by hand from a baseline feature's JSON (independently of psimon's binning):
/// ranges closed on the left, then special values, then Missing; categorical groups, then
/// Other, then Missing. `None` is missing.
pub fn offline_counts(feature: &serde_json::Value, values: &[Option<String>]) -> Vec<f64> {
    let n = feature["counts"].as_array().unwrap().len();
    let mut counts = vec![0.0; n];
    for v in values {
        let bin = match v {
            None => n - 1,
            Some(v) if feature["type"] == "numeric" => {
                let x: f64 = v.parse().unwrap();
                let edges: Vec<f64> = serde_json::from_value(feature["edges"].clone()).unwrap();
                let specials: Vec<f64> = feature
                    .get("special_values")
                    .map(|s| serde_json::from_value(s.clone()).unwrap())
                    .unwrap_or_default();
                match specials.iter().position(|s| *s == x) {
                    Some(i) => edges.len() + 1 + i,
                    None => edges.iter().filter(|e| **e <= x).count(),
                }
            }
            Some(v) => {
                let groups: Vec<Vec<String>> =
                    serde_json::from_value(feature["levels"].clone()).unwrap();
                groups
                    .iter()
                    .position(|g| g.iter().any(|l| l == v))
                    .unwrap_or(groups.len())
            }
        };
        counts[bin] += 1.0;
    }
    counts
}

/// The mean PD a scorecard scaling (`base_score`, `base_odds`, `pdo`) promises across each
/// score band of `edges`, the end bands closed at `min`, `max`: Simpson's rule on 2,000
/// intervals of `1 / (1 + base_odds * 2^((s - base_score) / pdo))` (independently of
/// psimon's closed form).
pub fn scaled_band_pds(
    (base_score, base_odds, pdo): (f64, f64, f64),
    edges: &[f64],
    (min, max): (f64, f64),
) -> Vec<f64> {
    let pd = |s: f64| 1.0 / (1.0 + base_odds * 2f64.powf((s - base_score) / pdo));
    let mean = |lo: f64, hi: f64| {
        let n = 2000;
        let h = (hi - lo) / n as f64;
        let weight = |i: usize| match i {
            0 => 1.0,
            i if i == n => 1.0,
            i if i % 2 == 1 => 4.0,
            _ => 2.0,
        };
        let sum: f64 = (0..=n).map(|i| weight(i) * pd(lo + i as f64 * h)).sum();
        sum * h / 3.0 / (hi - lo)
    };
    let mut bounds = vec![min];
    bounds.extend(edges);
    bounds.push(max);
    bounds.windows(2).map(|w| mean(w[0], w[1])).collect()
}

/// The Jeffreys test's p-value of `d` bads of `n` against `pd`: the Beta(d + 1/2,
/// n - d + 1/2) distribution function (statrs).
pub fn jeffreys_pvalue(n: f64, d: f64, pd: f64) -> f64 {
    use statrs::distribution::{Beta, ContinuousCDF};
    Beta::new(d + 0.5, n - d + 0.5).unwrap().cdf(pd)
}

/// Runs `promtool` with `args` in `dir`; panics with its output unless it succeeds.
pub fn promtool(dir: &Path, args: &[&str]) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool is installed (Debian package prometheus)");
    assert!(
        out.status.success(),
        "promtool {args:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `promtool test rules` of the alert rules (deploy/prometheus/psimon-alerts.yml) with
/// `tests`: the YAML of the `tests:` list (an element per `  - interval: ...`).
pub fn promtool_test_rules(dir: &Path, tests: &str) {
    let rules = std::fs::canonicalize("deploy/prometheus/psimon-alerts.yml").unwrap();
    let text = format!(
        "rule_files:\n  - {}\nevaluation_interval: 1m\ntests:\n{tests}",
        rules.display()
    );
    std::fs::write(dir.join("rules.test.yml"), text).unwrap();
    promtool(dir, &["test", "rules", "rules.test.yml"]);
}

/// Runs headless Chromium on `url` with `args`; its stdout, and every console message it
/// logged.
pub fn chromium(url: &str, args: &[&str]) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium is installed (scripts/install-test-tools.sh)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE"))
        .map(String::from)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

/// A screenshot of `url` kept as a CI artefact.
pub fn screenshot(url: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    chromium(
        url,
        &[
            &format!("--screenshot={}", path.display()),
            "--window-size=1200,4000",
        ],
    );
    assert!(
        std::fs::metadata(&path)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false),
        "no screenshot at {}",
        path.display()
    );
    path
}

/// The DOM after Chromium parsed `url`, asserting it logged nothing to the console.
pub fn dom(url: &str) -> String {
    let (dom, console) = chromium(url, &["--dump-dom"]);
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(dom.contains("</html>"), "no page: {dom}");
    dom
}

/// One element of the page that names its JSON pointer: the pointer, the exact value of a
/// number, and the text shown.
pub struct Shown {
    pub pointer: String,
    pub value: Option<f64>,
    pub text: String,
}

pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every `data-json` element of `dom`.
pub fn shown(dom: &str) -> Vec<Shown> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find("data-json=\"") {
        rest = &rest[at + 11..];
        let end = rest.find('"').unwrap();
        let pointer = unescape(&rest[..end]);
        let tag_end = rest.find('>').unwrap();
        let attrs = &rest[..tag_end];
        let value = attrs.find("data-value=\"").map(|v| {
            let v = &attrs[v + 12..];
            v[..v.find('"').unwrap()].parse::<f64>().unwrap()
        });
        let text = &rest[tag_end + 1..];
        let text = unescape(&text[..text.find('<').unwrap()]);
        out.push(Shown {
            pointer,
            value,
            text,
        });
    }
    out
}

/// Every pointer shown equals `doc` there (numbers exactly, texts as written, states in
/// capitals); returns how many numbers were compared. `skip`: pointers of values that
/// differ between two runs (a timestamp).
pub fn equals_json(dom: &str, doc: &Value, skip: &[&str]) -> usize {
    let mut numbers = 0;
    for s in shown(dom)
        .iter()
        .filter(|s| !skip.contains(&s.pointer.as_str()))
    {
        let want = doc
            .pointer(&s.pointer)
            .unwrap_or_else(|| panic!("{} is not in the JSON", s.pointer));
        match s.value {
            Some(v) => {
                assert_eq!(Some(v), want.as_f64(), "{}", s.pointer);
                numbers += 1;
            }
            None => {
                let text = want.as_str().map_or(want.to_string(), String::from);
                assert!(
                    s.text == text || s.text == text.to_uppercase(),
                    "{}: page {:?}, JSON {text:?}",
                    s.pointer,
                    s.text
                );
            }
        }
    }
    numbers
}
