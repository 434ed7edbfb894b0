//! Helpers shared by the CLI tests: run the built binary, write generated samples.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
