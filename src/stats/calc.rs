//! The bin-count calculator behind `psimon stats`: case objects in the `input` shape of the
//! reference file in, one result object per case out. A malformed case yields an `error`
//! entry for that case only; the other cases are still computed. Pure: JSON values in and out.

use serde_json::{Map, Value, json};

use crate::stats::{
    DEFAULT_ALPHA, DEFAULT_PSI_TAU, FamilyOptions, IvOptions, PsiOptions, family, iv, psi,
};

const KNOWN_KEYS: &[&str] = &[
    "id",
    "description",
    "current",
    "baseline",
    "baseline_fixed",
    "goods",
    "bads",
    "labels",
    "alpha",
    "tau",
    "iv_tau",
    "divergences",
];
/// Keys of a reference-file case wrapped around its `input`; accepted and ignored.
const WRAPPER_KEYS: &[&str] = &["id", "description", "input", "expected", "expected_error"];

/// Splits a document into its cases: one object, a list, or `{"cases": [...]}`.
pub fn cases_of(doc: &Value) -> Result<Vec<&Value>, String> {
    match doc {
        Value::Array(items) => Ok(items.iter().collect()),
        Value::Object(map) => match map.get("cases") {
            Some(Value::Array(items)) => Ok(items.iter().collect()),
            Some(_) => Err("\"cases\" must be a list of case objects".into()),
            None => Ok(vec![doc]),
        },
        _ => Err("expected a case object, a list of cases or {\"cases\": [...]}".into()),
    }
}

/// Computes one case. Always returns an object: the results, or `{"error": ...}`.
pub fn evaluate_case(case: &Value) -> Value {
    evaluate_case_with(case, false)
}

/// As `evaluate_case`; `divergences` adds the divergence family to every case (as the
/// case's own `"divergences": true` does).
pub fn evaluate_case_with(case: &Value, divergences: bool) -> Value {
    let mut out = Map::new();
    let Some(obj) = case.as_object() else {
        out.insert("error".into(), json!("a case must be a JSON object"));
        return Value::Object(out);
    };
    let id = obj.get("id").cloned();
    if let Some(id) = &id {
        out.insert("id".into(), id.clone());
    }
    match compute(obj, divergences) {
        Ok(results) => out.extend(results),
        Err(e) => {
            out.insert("error".into(), Value::String(e));
        }
    }
    Value::Object(out)
}

fn compute(obj: &Map<String, Value>, divergences: bool) -> Result<Map<String, Value>, String> {
    // A reference-file case: the input sits under "input".
    let input = match obj.get("input") {
        Some(Value::Object(inner)) => {
            if let Some(k) = obj.keys().find(|k| !WRAPPER_KEYS.contains(&k.as_str())) {
                return Err(format!("unknown field \"{k}\" beside \"input\""));
            }
            inner
        }
        Some(_) => return Err("\"input\" must be an object".into()),
        None => obj,
    };
    if let Some(k) = input.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        return Err(format!(
            "unknown field \"{k}\" (known: {})",
            KNOWN_KEYS.join(", ")
        ));
    }
    let current = counts(input, "current")?;
    let baseline = counts(input, "baseline")?;
    let goods = counts(input, "goods")?;
    let bads = counts(input, "bads")?;
    let labels = labels(input)?;
    let alpha = number(input, "alpha")?.unwrap_or(DEFAULT_ALPHA);
    let tau = number(input, "tau")?.unwrap_or(DEFAULT_PSI_TAU);
    let iv_tau = number(input, "iv_tau")?;
    let baseline_fixed = flag(input, "baseline_fixed")?;
    let divergences = divergences || flag(input, "divergences")?;
    let mut family = Map::new();

    let mut out = Map::new();
    let mut any = false;
    if let Some(labels) = &labels {
        for (name, v) in [
            ("current", &current),
            ("baseline", &baseline),
            ("goods", &goods),
            ("bads", &bads),
        ] {
            if let Some(v) = v
                && v.len() != labels.len()
            {
                return Err(format!(
                    "\"labels\" has {} entries but \"{name}\" has {}",
                    labels.len(),
                    v.len()
                ));
            }
        }
        out.insert("labels".into(), json!(labels));
    }
    match (&current, &baseline) {
        (Some(c), Some(b)) => {
            let opts = PsiOptions {
                alpha,
                tau,
                baseline_fixed,
            };
            let stats = psi(c, b, opts).map_err(|e| format!("psi: {e}"))?;
            out.insert("psi".into(), reference_fields(serde_json::to_value(stats)));
            any = true;
            if divergences {
                family.insert("psi".into(), members(c, b, alpha, baseline_fixed)?);
            }
        }
        (None, None) => {}
        _ => return Err("\"current\" and \"baseline\" go together".into()),
    }
    match (&goods, &bads) {
        (Some(g), Some(b)) => {
            let opts = IvOptions { alpha, tau: iv_tau };
            let stats = iv(g, b, opts).map_err(|e| format!("iv: {e}"))?;
            out.insert("iv".into(), reference_fields(serde_json::to_value(stats)));
            any = true;
            if divergences {
                family.insert("iv".into(), members(g, b, alpha, false)?);
            }
        }
        (None, None) => {}
        _ => return Err("\"goods\" and \"bads\" go together".into()),
    }
    if !any {
        return Err(
            "a case needs \"current\" and \"baseline\" (PSI) and/or \"goods\" and \"bads\" (IV)"
                .into(),
        );
    }
    if divergences {
        out.insert("divergences".into(), Value::Object(family));
    }
    Ok(out)
}

fn flag(obj: &Map<String, Value>, key: &str) -> Result<bool, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("\"{key}\" must be true or false")),
    }
}

/// The divergence family of one pair, keyed by measure name.
fn members(x: &[f64], y: &[f64], alpha: f64, second_fixed: bool) -> Result<Value, String> {
    let opts = FamilyOptions {
        alpha,
        second_fixed,
    };
    let stats = family(x, y, opts).map_err(|e| format!("divergences: {e}"))?;
    Ok(crate::stats::family::by_name(&stats))
}

fn counts(obj: &Map<String, Value>, key: &str) -> Result<Option<Vec<f64>>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_f64()
                    .ok_or_else(|| format!("\"{key}\"[{i}] = {v} is not a number"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(v) => Err(format!("\"{key}\" must be a list of counts, got {v}")),
    }
}

fn number(obj: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("\"{key}\" must be a number, got {v}")),
    }
}

fn labels(obj: &Map<String, Value>) -> Result<Option<Vec<String>>, String> {
    match obj.get("labels") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("\"labels\" entries must be strings, got {other}")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(v) => Err(format!("\"labels\" must be a list of strings, got {v}")),
    }
}

/// psimon's additions to the statistics objects (the tables', states' and API's), left out
/// of `psimon stats`, whose output is the reference schema exactly.
const EXTENSIONS: [&str; 3] = [
    "median_unbiased",
    "ncx2_lower_bound",
    "below_tau_pvalue_ncx2",
];

fn reference_fields(v: Result<Value, serde_json::Error>) -> Value {
    match v {
        Ok(Value::Object(mut fields)) => {
            for name in EXTENSIONS {
                fields.remove(name);
            }
            Value::Object(fields)
        }
        Ok(other) => other,
        Err(e) => json!({ "error": e.to_string() }),
    }
}
