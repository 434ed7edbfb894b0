//! The documentation as a user reads it: every flag of every command is documented in
//! that command's section of docs/ (each command has one heading there), the `stats`
//! example runs as pasted, and the README's config example passes `check-config`.

mod common;

use std::process::Command;

/// The command reference: the commands (docs/cli.md) and `run` with its config
/// (docs/configuration.md).
fn docs() -> String {
    ["docs/cli.md", "docs/configuration.md"]
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text from the heading that starts with `## \`psimon CMD` to the next heading of its
/// level (its `###` subsections belong to it).
fn section(readme: &str, cmd: &str) -> String {
    let start = format!("## `psimon {cmd}");
    let mut lines = readme.lines().skip_while(|l| !l.starts_with(&start));
    let heading = lines
        .next()
        .unwrap_or_else(|| panic!("no heading for {cmd}"));
    let mut out = heading.to_string();
    let mut in_code = false; // a `# comment` in a code block is no heading
    for l in lines {
        in_code ^= l.starts_with("```");
        if !in_code && (l.starts_with("## ") || l.starts_with("# ")) {
            break;
        }
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
    let text = docs();
    let mut missing = Vec::new();
    for cmd in [
        "run", "demo", "loadgen", "stats", "baseline", "report", "generate",
    ] {
        let heading = format!("## `psimon {cmd}");
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
    assert!(missing.is_empty(), "undocumented in docs/: {missing:?}");
}

#[test]
fn the_stats_example_runs_as_pasted() {
    let text = docs();
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

#[test]
fn the_readmes_config_example_checks_out() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let block = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a toml block in the README");
    // Its files, where a deployment mounts them, made here.
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    let password = dir.path().join("password");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
    std::fs::write(&password, "s3cret\n").unwrap();
    std::fs::copy(
        "config/baseline.example.json",
        dir.path().join("baseline.json"),
    )
    .unwrap();
    let config = block
        .replace("/etc/psimon/kafka-ca/ca.crt", ca.to_str().unwrap())
        .replace(
            "/etc/psimon/kafka-sasl/password",
            password.to_str().unwrap(),
        );
    let path = dir.path().join("psimon.toml");
    std::fs::write(&path, config).unwrap();
    let out = common::ok(&["check-config", path.to_str().unwrap()]);
    assert!(
        out.contains("ok — 1 model(s), 2 monitored feature(s)") && out.contains("2 window(s)"),
        "{out}"
    );
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes.
fn anchor(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    text.lines()
        .filter(|l| {
            in_code ^= l.starts_with("```");
            !in_code && l.starts_with('#')
        })
        .map(anchor)
        .collect()
}

/// `[label](target)` targets of a markdown text, outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for l in text.lines() {
        in_code ^= l.starts_with("```");
        if in_code {
            continue;
        }
        for part in l.split("](").skip(1) {
            if let Some(end) = part.find(')') {
                out.push(part[..end].to_string());
            }
        }
    }
    out
}

#[test]
fn every_link_of_the_readme_and_docs_leads_somewhere() {
    let mut pages = vec![std::path::PathBuf::from("README.md")];
    for entry in std::fs::read_dir("docs").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        let dir = page.parent().unwrap();
        for target in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, frag) = target.split_once('#').unwrap_or((&target, ""));
            let linked = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            let ok = linked.exists()
                && (frag.is_empty()
                    || anchors(&std::fs::read_to_string(&linked).unwrap_or_default())
                        .iter()
                        .any(|a| a == frag));
            if !ok {
                broken.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:#?}");
}
