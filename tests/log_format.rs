//! The log an SRE ships: `PSIMON_LOG__FORMAT=json` (or `[log] format = "json"`) writes one
//! JSON object per line; text written to a pipe carries no colour codes.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

/// The example config pointed at a port nothing listens on; `extra` appended.
fn config(dir: &std::path::Path, extra: &str) -> std::path::PathBuf {
    std::fs::copy(
        "config/baseline.example.json",
        dir.join("baseline.example.json"),
    )
    .unwrap();
    let port = common::kafka::free_port();
    let text = std::fs::read_to_string("config/psimon.example.toml")
        .unwrap()
        .replace("brokers = \"127.0.0.1:9092\"", "brokers = \"127.0.0.1:1\"")
        .replace("127.0.0.1:9464", &format!("127.0.0.1:{port}"));
    let path = dir.join("psimon.toml");
    std::fs::write(&path, format!("{text}\n{extra}")).unwrap();
    path
}

/// Standard error of `psimon run` over 3 s.
fn stderr_of_run(config: &std::path::Path, env: &[(&str, &str)]) -> String {
    let child = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(["run", "--config", config.to_str().unwrap()])
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn json_logs_are_one_object_per_line_from_the_environment_or_the_config() {
    let dir = tempfile::tempdir().unwrap();
    for (config, env) in [
        (config(dir.path(), ""), vec![("PSIMON_LOG__FORMAT", "json")]),
        (config(dir.path(), "[log]\nformat = \"json\"\n"), vec![]),
    ] {
        let err = stderr_of_run(&config, &env);
        let lines: Vec<&str> = err.lines().collect();
        assert!(!lines.is_empty());
        for line in lines {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(
                v["level"].is_string() && v["fields"]["message"].is_string(),
                "{line}"
            );
        }
    }
}

#[test]
fn text_logs_to_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let err = stderr_of_run(&config(dir.path(), ""), &[]);
    assert!(err.contains("serving /metrics"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
}
