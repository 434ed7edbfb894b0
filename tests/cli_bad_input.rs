//! Every kind of bad input gets a clear error naming what is wrong, a non-zero exit and no
//! panic.

mod common;

use common::*;

struct Files {
    dir: tempfile::TempDir,
    base: std::path::PathBuf,
}

fn setup() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 2_000, 0.0, 1);
    let base = dir.path().join("base.json");
    ok(&[
        "baseline",
        "--input",
        path_str(&dev),
        "--target",
        "bad",
        "--out",
        path_str(&base),
    ]);
    Files { dir, base }
}

fn write(f: &Files, name: &str, text: &str) -> String {
    let p = f.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn empty_files() {
    let f = setup();
    let empty = write(&f, "empty.csv", "");
    fails_with(
        &["baseline", "--input", &empty, "--out", "/tmp/x.json"],
        "is empty",
    );
    fails_with(
        &[
            "report",
            "--baseline",
            f.base.to_str().unwrap(),
            "--input",
            &empty,
        ],
        "is empty",
    );
    let header_only = write(&f, "header.csv", "income,age\n");
    fails_with(
        &["baseline", "--input", &header_only, "--out", "/tmp/x.json"],
        "no data rows",
    );
    let empty_jsonl = write(&f, "empty.jsonl", "\n\n");
    fails_with(
        &[
            "baseline",
            "--input",
            &empty_jsonl,
            "--features",
            "a",
            "--out",
            "/tmp/x.json",
        ],
        "is empty",
    );
}

#[test]
fn missing_columns() {
    let f = setup();
    let csv = write(&f, "s.csv", "income,age\n1,2\n");
    fails_with(
        &[
            "baseline",
            "--input",
            &csv,
            "--features",
            "income,salary",
            "--out",
            "/tmp/x.json",
        ],
        "no column \"salary\"",
    );
    fails_with(
        &[
            "report",
            "--baseline",
            f.base.to_str().unwrap(),
            "--input",
            &csv,
        ],
        "no column \"debt_to_income\"",
    );
    let jsonl = write(&f, "s.jsonl", "{\"income\": 1}\n{\"income\": 2}\n");
    fails_with(
        &[
            "baseline",
            "--input",
            &jsonl,
            "--features",
            "income,salary",
            "--out",
            "/tmp/x.json",
        ],
        "\"salary\" is absent from all 2 rows",
    );
}

#[test]
fn text_in_a_numeric_column_names_line_and_column() {
    let f = setup();
    let mut text = String::from(
        "income,age,debt_to_income,bureau_score,utilisation,delinquencies,employment_type,region,bad\n",
    );
    text.push_str("30000,40,0.3,700,0.5,0,salaried,north,0\n");
    text.push_str("31000,41,0.3,seven hundred,0.5,0,salaried,north,0\n");
    let csv = write(&f, "text.csv", &text);
    fails_with(
        &[
            "report",
            "--baseline",
            f.base.to_str().unwrap(),
            "--input",
            &csv,
        ],
        "line 3, column \"bureau_score\": \"seven hundred\" is not a number",
    );
    // In a development sample a mostly numeric column with stray text is an error too.
    let mut dev = String::from("x\n");
    for i in 0..50 {
        dev.push_str(&format!("{i}\n"));
    }
    dev.push_str("oops\n");
    let dev = write(&f, "dev_text.csv", &dev);
    fails_with(
        &["baseline", "--input", &dev, "--out", "/tmp/x.json"],
        "line 52, column \"x\": \"oops\" is not a number",
    );
}

#[test]
fn a_target_must_have_two_values() {
    let f = setup();
    let three = write(&f, "three.csv", "x,bad\n1,0\n2,1\n3,2\n");
    fails_with(
        &[
            "baseline",
            "--input",
            &three,
            "--target",
            "bad",
            "--out",
            "/tmp/x.json",
        ],
        "found a third at line 4",
    );
    let one = write(&f, "one.csv", "x,bad\n1,0\n2,0\n");
    fails_with(
        &[
            "baseline",
            "--input",
            &one,
            "--target",
            "bad",
            "--out",
            "/tmp/x.json",
        ],
        "found only \"0\"",
    );
    let words = write(&f, "words.csv", "x,outcome\n1,good\n2,bad\n");
    fails_with(
        &[
            "baseline",
            "--input",
            &words,
            "--target",
            "outcome",
            "--out",
            "/tmp/x.json",
        ],
        "--bad-value",
    );
    let out = f.dir.path().join("w.json");
    ok(&[
        "baseline",
        "--input",
        &words,
        "--target",
        "outcome",
        "--bad-value",
        "bad",
        "--out",
        out.to_str().unwrap(),
    ]);
    fails_with(
        &[
            "baseline",
            "--input",
            &words,
            "--target",
            "outcome",
            "--bad-value",
            "default",
            "--out",
            "/tmp/x.json",
        ],
        "is not one of the target's values",
    );
}

#[test]
fn baseline_files_of_another_version_or_with_unsorted_edges() {
    let f = setup();
    let text = std::fs::read_to_string(&f.base).unwrap();
    let v3 = write(
        &f,
        "v3.json",
        &text.replacen("\"version\": 2", "\"version\": 3", 1),
    );
    let csv = f.dir.path().join("dev.csv");
    fails_with(
        &[
            "report",
            "--baseline",
            &v3,
            "--input",
            csv.to_str().unwrap(),
        ],
        "baseline file version 3; this psimon reads versions 1 and 2",
    );

    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let edges = doc["models"][0]["features"][0]["edges"]
        .as_array_mut()
        .unwrap();
    edges.reverse();
    let unsorted = write(&f, "unsorted.json", &doc.to_string());
    let err = fails_with(
        &[
            "report",
            "--baseline",
            &unsorted,
            "--input",
            csv.to_str().unwrap(),
        ],
        "edges are not strictly increasing",
    );
    assert!(
        err.contains("models[0] (default).features[0] (income)"),
        "{err}"
    );
    let garbage = write(&f, "garbage.json", "[1, 2]");
    fails_with(
        &[
            "report",
            "--baseline",
            &garbage,
            "--input",
            csv.to_str().unwrap(),
        ],
        "not a psimon baseline file",
    );
}

#[test]
fn a_feature_the_baseline_lacks() {
    let f = setup();
    let csv = f.dir.path().join("dev.csv");
    fails_with(
        &[
            "report",
            "--baseline",
            f.base.to_str().unwrap(),
            "--input",
            csv.to_str().unwrap(),
            "--features",
            "income,salary",
        ],
        "has no feature salary",
    );
    fails_with(
        &[
            "report",
            "--baseline",
            f.base.to_str().unwrap(),
            "--input",
            csv.to_str().unwrap(),
            "--model",
            "other",
        ],
        "no model \"other\"",
    );
}

#[test]
fn bad_options_and_lines() {
    let f = setup();
    let csv = f.dir.path().join("dev.csv");
    let c = csv.to_str().unwrap();
    fails_with(
        &[
            "baseline",
            "--input",
            c,
            "--method",
            "stumps",
            "--out",
            "/tmp/x.json",
        ],
        "--method stumps needs a target",
    );
    fails_with(
        &[
            "baseline",
            "--input",
            c,
            "--monotone",
            "--out",
            "/tmp/x.json",
        ],
        "--monotone needs a target",
    );
    fails_with(
        &[
            "baseline",
            "--input",
            c,
            "--max-bins",
            "1",
            "--out",
            "/tmp/x.json",
        ],
        "--max-bins must be at least 2",
    );
    fails_with(
        &[
            "report",
            "--baseline",
            f.base.to_str().unwrap(),
            "--input",
            c,
            "--alpha",
            "2",
        ],
        "--alpha",
    );
    let jsonl = write(&f, "broken.jsonl", "{\"x\": 1}\n{\"x\": \n");
    fails_with(
        &["baseline", "--input", &jsonl, "--out", "/tmp/x.json"],
        "line 2: not a JSON object",
    );
    let txt = write(&f, "data.txt", "x\n1\n");
    fails_with(
        &[
            "baseline",
            "--input",
            &txt,
            "--features",
            "x",
            "--out",
            "/tmp/x.json",
        ],
        "unknown file type",
    );
}

#[test]
fn a_missing_file_is_named_once_with_its_error() {
    for args in [
        &[
            "report",
            "--baseline",
            "/nonexistent/b.json",
            "--input",
            "/nonexistent/s.csv",
        ][..],
        &[
            "report",
            "--baseline",
            "config/baseline.example.json",
            "--input",
            "/nonexistent/s.csv",
        ][..],
    ] {
        let err = fails_with(args, "No such file or directory");
        assert_eq!(
            err.matches("No such file or directory").count(),
            1,
            "the I/O error once: {err}"
        );
    }
}

/// A row with more fields than the header: the line, the counts, and "CSV error" once.
#[test]
fn a_ragged_csv_row_names_its_line_once() {
    let f = setup();
    let ragged = write(&f, "ragged.csv", "income,age\n100,30\n200,40,7\n");
    let err = fails_with(
        &["baseline", "--input", &ragged, "--out", "/tmp/x.json"],
        "CSV error: line 3: 3 fields where the header has 2",
    );
    assert_eq!(err.matches("CSV error").count(), 1, "{err}");
}
