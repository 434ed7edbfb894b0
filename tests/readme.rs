//! The README as a user reads it: its `stats` example runs as pasted, every flag of every
//! command is documented in that command's section, and each command has one heading.

mod common;

use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string("README.md").unwrap()
}

/// The text from the heading that starts with `### \`psimon CMD` to the next heading.
fn section(readme: &str, cmd: &str) -> String {
    let start = format!("### `psimon {cmd}");
    let mut lines = readme.lines().skip_while(|l| !l.starts_with(&start));
    let heading = lines
        .next()
        .unwrap_or_else(|| panic!("no heading for {cmd}"));
    let mut out = heading.to_string();
    for l in lines.take_while(|l| !l.starts_with("## ") && !l.starts_with("### ")) {
        out.push('\n');
        out.push_str(l);
    }
    out
}

fn help_flags(cmd: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args([cmd, "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut flags: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
        .filter(|w| w != "--help")
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

#[test]
fn every_flag_of_every_command_is_in_its_section_and_each_command_has_one_heading() {
    let text = readme();
    let mut missing = Vec::new();
    for cmd in [
        "run", "demo", "loadgen", "stats", "baseline", "report", "generate",
    ] {
        let heading = format!("### `psimon {cmd}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with(&heading)).count(),
            1,
            "headings for {cmd}"
        );
        let sec = section(&text, cmd);
        for flag in help_flags(cmd) {
            if !sec.contains(&flag) {
                missing.push(format!("{cmd} {flag}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented in the README: {missing:?}"
    );
}

#[test]
fn the_stats_example_runs_as_pasted() {
    let text = readme();
    let sec = section(&text, "stats");
    let block = sec
        .split("```json\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a json block in the stats section");
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.json");
    std::fs::write(&cases, block).unwrap();
    let out = common::ok(&["stats", "--input", cases.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{out}");
    assert_eq!(results[0]["id"], "income_2026_10");
    assert!(results[0]["psi"]["psi"].as_f64().unwrap() > 0.0, "{out}");
    assert_eq!(results[1]["id"], "grade_iv");
    assert!(results[1]["iv"]["iv"].as_f64().unwrap() > 0.0, "{out}");
    let table = common::ok(&[
        "stats",
        "--input",
        cases.to_str().unwrap(),
        "--format",
        "table",
    ]);
    assert!(
        table.contains("income_2026_10") && table.contains("grade_iv"),
        "{table}"
    );
}
