//! Every case of `tests/data/psi_iv_cases.json` (a copy of shared/reference) reproduced at
//! the tolerances the file states, through the same path `psimon stats` uses.

use psimon::stats::calc::{cases_of, evaluate_case};
use serde_json::Value;

const NCX2_FIELDS: &[&str] = &["ci_ncx2_lower", "ci_ncx2_upper", "tau_pvalue_ncx2"];
const PVALUE_FIELDS: &[&str] = &["chi2_pvalue", "tau_pvalue"];

fn tolerance(field: &str) -> (f64, f64) {
    if NCX2_FIELDS.contains(&field) {
        (1e-6, 1e-12)
    } else if PVALUE_FIELDS.contains(&field) {
        (1e-7, 1e-15)
    } else {
        (1e-9, 1e-15)
    }
}

fn compare(case: &str, field: &str, got: &Value, exp: &Value, failures: &mut Vec<String>) {
    match (got, exp) {
        (Value::Array(g), Value::Array(e)) => {
            if g.len() != e.len() {
                failures.push(format!("{case}.{field}: length {} vs {}", g.len(), e.len()));
                return;
            }
            for (i, (gi, ei)) in g.iter().zip(e).enumerate() {
                compare(case, &format!("{field}[{i}]"), gi, ei, failures);
            }
        }
        (Value::Number(g), Value::Number(e)) if e.is_u64() || e.is_i64() => {
            // Integers (k, chi2_df, dropped_bins) must match exactly.
            if g.as_f64() != e.as_f64() {
                failures.push(format!("{case}.{field}: got {g}, expected {e} exactly"));
            }
        }
        (Value::Number(g), Value::Number(e)) => {
            let (g, e) = (g.as_f64().unwrap(), e.as_f64().unwrap());
            let base = field.split('[').next().unwrap();
            let (rel, abs) = tolerance(base);
            if (g - e).abs() > rel * e.abs() + abs {
                failures.push(format!("{case}.{field}: got {g:e}, expected {e:e}"));
            }
        }
        _ => {
            if got != exp {
                failures.push(format!("{case}.{field}: got {got}, expected {exp}"));
            }
        }
    }
}

#[test]
fn reference_cases_reproduce() {
    let text = std::fs::read_to_string("tests/data/psi_iv_cases.json").unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = cases_of(&doc).unwrap();
    assert_eq!(cases.len(), 20, "the reference file holds 20 cases");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let result = evaluate_case(case);
        if case.get("expected_error") == Some(&Value::Bool(true)) {
            assert!(
                result.get("error").is_some(),
                "{id}: expected an error, got {result}"
            );
            continue;
        }
        assert!(result.get("error").is_none(), "{id}: {result}");
        let expected = case["expected"].as_object().unwrap();
        for (section, exp) in expected {
            let got = &result[section];
            match exp {
                Value::Object(fields) => {
                    for (field, e) in fields {
                        match got.get(field) {
                            Some(g) => {
                                compare(id, &format!("{section}.{field}"), g, e, &mut failures)
                            }
                            None => failures.push(format!("{id}: {section}.{field} missing")),
                        }
                        checked += 1;
                    }
                    // No field beyond the reference's.
                    for field in got.as_object().unwrap().keys() {
                        if !fields.contains_key(field) {
                            failures.push(format!("{id}: {section}.{field} not in the reference"));
                        }
                    }
                }
                _ => compare(id, section, got, exp, &mut failures),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 500, "only {checked} fields checked");
}

#[test]
fn iv_equals_psi_to_the_last_bit() {
    let text = std::fs::read_to_string("tests/data/psi_iv_cases.json").unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let v15 = cases_of(&doc)
        .unwrap()
        .into_iter()
        .find(|c| c["id"] == "V15_iv_equals_psi")
        .unwrap();
    let r = evaluate_case(v15);
    for (psi_field, iv_field) in [
        ("psi", "iv"),
        ("se", "se"),
        ("ci_ncx2_upper", "ci_ncx2_upper"),
        ("chi2_pvalue", "chi2_pvalue"),
        ("log_ratio", "woe"),
        ("contrib", "contrib"),
    ] {
        assert_eq!(
            r["psi"][psi_field], r["iv"][iv_field],
            "{psi_field} vs {iv_field}"
        );
    }
}
