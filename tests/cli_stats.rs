//! `psimon stats` end to end: the reference file through the binary, per-case errors.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn reference_file_through_the_cli() {
    let out = ok(&["stats", "--input", "tests/data/psi_iv_cases.json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 20);
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string("tests/data/psi_iv_cases.json").unwrap())
            .unwrap();
    for (r, case) in results.iter().zip(reference["cases"].as_array().unwrap()) {
        assert_eq!(r["id"], case["id"]);
        for section in ["psi", "iv"] {
            if let Some(exp) = case["expected"].get(section) {
                let key = section;
                let (g, e) = (
                    r[section][key].as_f64().unwrap(),
                    exp[key].as_f64().unwrap(),
                );
                assert!(
                    (g - e).abs() <= 1e-9 * e.abs() + 1e-15,
                    "{}: {g} vs {e}",
                    case["id"]
                );
                assert_eq!(r[section]["chi2_df"], exp["chi2_df"]);
            }
        }
    }
}

#[test]
fn a_bad_case_gets_an_error_and_the_others_are_computed() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.json");
    std::fs::write(
        &input,
        r#"[
          {"id": "ok", "current": [10, 20, 30], "baseline": [12, 18, 30]},
          {"id": "length", "current": [1, 2], "baseline": [1, 2, 3]},
          {"id": "negative", "goods": [1, -2], "bads": [3, 4]},
          {"id": "empty", "current": [], "baseline": []},
          {"id": "zero", "current": [0, 0], "baseline": [1, 2]},
          {"id": "typo", "curent": [1], "baseline": [1]},
          {"id": "alpha", "current": [1, 2], "baseline": [2, 1], "alpha": 1.5},
          {"current": [5, 5], "baseline": [4, 6], "goods": [3, 7], "bads": [6, 4], "iv_tau": 0.05}
        ]"#,
    )
    .unwrap();
    let out = ok(&["stats", "--input", path_str(&input)]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let r = doc["results"].as_array().unwrap();
    assert_eq!(r.len(), 8);
    assert!(r[0]["psi"]["psi"].as_f64().unwrap() > 0.0);
    for (i, needle) in [
        (1, "differ in length"),
        (2, "not a finite, non-negative"),
        (3, "empty"),
        (4, "sum to 0"),
        (5, "unknown field \"curent\""),
        (6, "alpha"),
    ] {
        let e = r[i]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("case {i} has no error: {}", r[i]));
        assert!(e.contains(needle), "case {i}: {e}");
    }
    assert!(r[7]["psi"].is_object() && r[7]["iv"]["tau"].as_f64() == Some(0.05));
}

#[test]
fn table_format_is_for_people() {
    let out = ok(&[
        "stats",
        "--input",
        "tests/data/psi_iv_cases.json",
        "--format",
        "table",
    ]);
    assert!(out.contains("== V01_psi_10bins_moderate"));
    assert!(out.contains("PSI 0.0640 ± 0.0226"), "{out}");
    assert!(out.contains("dropped (empty in both): [5]"));
}

#[test]
fn malformed_files_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    fails_with(&["stats", "--input", path_str(&bad)], "not valid JSON");
    fails_with(
        &["stats", "--input", "/nonexistent/x.json"],
        "reading /nonexistent/x.json",
    );
}

#[test]
fn divergences_through_the_cli_equal_scipy() {
    // The oracle's cases as `psimon stats` input: first/second as current/baseline.
    let oracle: Value = serde_json::from_str(include_str!("data/divergence_oracle.json")).unwrap();
    let case = &oracle["cases"][0];
    assert_eq!(case["second_fixed"], false);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("case.json");
    let doc = serde_json::json!({"current": case["first"], "baseline": case["second"]});
    std::fs::write(&input, doc.to_string()).unwrap();
    let path = input.to_str().unwrap();
    let out: Value =
        serde_json::from_str(&ok(&["stats", "--input", path, "--divergences"])).unwrap();
    let members = &out["results"][0]["divergences"]["psi"];
    for name in [
        "jensen_shannon",
        "hellinger",
        "kl_pq",
        "kl_qp",
        "chi_square",
    ] {
        let (g, e) = (
            members[name]["value"].as_f64().unwrap(),
            case["expected"][name]["value"].as_f64().unwrap(),
        );
        assert!((g - e).abs() <= 1e-10 * e, "{name}: {g} vs {e}");
    }
    // Without the flag the output is the reference schema: no divergences.
    let plain: Value = serde_json::from_str(&ok(&["stats", "--input", path])).unwrap();
    assert!(plain["results"][0].get("divergences").is_none());
    let table = ok(&[
        "stats",
        "--input",
        path,
        "--divergences",
        "--format",
        "table",
    ]);
    assert!(
        table.contains("Divergences, current vs baseline"),
        "{table}"
    );
    assert!(table.contains("jensen_shannon"), "{table}");
}
