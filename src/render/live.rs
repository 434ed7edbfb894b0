//! `GET /`: the latest evaluation (`/api/v1/drift`'s JSON) as a page that reloads itself:
//! per model and window the coverage, every series' state and PSI with its interval, the
//! new-level shares; per outcome window IV and the score's back-testing; the fairness
//! checks.

use serde_json::Value;

use super::chart::{IntervalRow, interval_chart};
use super::page::{Cell, Col, document, escape, item_rows, percent, shown, table};

/// Seconds between reloads of the live page.
const REFRESH_S: u32 = 15;

/// The live page of an evaluation.
pub fn live_html(doc: &Value) -> String {
    let threshold = |k: &str, default: f64| doc["thresholds"][k].as_f64().unwrap_or(default);
    let (warning, alert) = (threshold("warning_psi", 0.1), threshold("alert_psi", 0.25));
    let mut body = String::from("<h1>psimon: the latest evaluation</h1>");
    body.push_str(&format!(
        "<p>Evaluated at {} (UTC); this page reloads every {REFRESH_S} s. JSON: <a href=\"api/v1/drift\">/api/v1/drift</a>, metrics: <a href=\"metrics\">/metrics</a>.</p>",
        Cell::field(doc, "/evaluated_at").into_html()
    ));
    let models = doc["models"].as_array().map_or(&[][..], Vec::as_slice);
    if models.is_empty() {
        body.push_str("<p>No evaluation yet.</p>");
    }
    for (m, model) in models.iter().enumerate() {
        body.push_str(&format!(
            "<h2>Model {}</h2><p class=\"note\">baseline {}</p>",
            escape(model["model"].as_str().unwrap_or("")),
            Cell::field(doc, &format!("/models/{m}/baseline_id")).into_html()
        ));
        let windows = model["windows"].as_array().map_or(&[][..], Vec::as_slice);
        for w in 0..windows.len() {
            body.push_str(&window(doc, m, w, (warning, alert)));
        }
        let outcome = model["outcome_windows"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        for w in 0..outcome.len() {
            body.push_str(&outcome_window(doc, m, w));
        }
    }
    let checks = doc["fairness"].as_array().map_or(&[][..], Vec::as_slice);
    for c in 0..checks.len() {
        body.push_str(&fairness(doc, c));
    }
    document("psimon", &body, Some(REFRESH_S))
}

fn window(doc: &Value, m: usize, w: usize, (warning, alert): (f64, f64)) -> String {
    let at = format!("/models/{m}/windows/{w}");
    let win = &doc["models"][m]["windows"][w];
    let mut out = format!(
        "<section><h3>Window {}</h3><p>{} applications from {} partitions, {} to {}{}</p>",
        escape(win["window"].as_str().unwrap_or("")),
        Cell::num(doc, &format!("{at}/applications"), shown).into_html(),
        Cell::num(doc, &format!("{at}/partitions"), shown).into_html(),
        Cell::field(doc, &format!("{at}/window_start")).into_html(),
        Cell::field(doc, &format!("{at}/window_end")).into_html(),
        if win["evaluated"] == true {
            String::new()
        } else {
            format!(
                "; not evaluated below {} applications",
                Cell::num(doc, &format!("{at}/min_applications"), shown).into_html()
            )
        }
    );
    let features = win["features"].as_array().map_or(&[][..], Vec::as_slice);
    let rows: Vec<IntervalRow> = features
        .iter()
        .filter_map(|f| {
            Some(IntervalRow {
                label: name(f),
                value: f["psi"]["median_unbiased"].as_f64()?,
                lo: f["psi"]["ci_ncx2_lower"].as_f64()?,
                hi: f["psi"]["ci_ncx2_upper"].as_f64()?,
                marker: None,
            })
        })
        .collect();
    if !rows.is_empty() {
        out.push_str(&interval_chart(
            &rows,
            &[(warning, "warning"), (alert, "alert")],
            "PSI with its noncentral interval",
        ));
    }
    let mut rows = item_rows(
        doc,
        &format!("{at}/features"),
        features.len(),
        &[
            Col::State("state"),
            Col::Num("psi/median_unbiased", shown),
            Col::Num("psi/ci_ncx2_lower", shown),
            Col::Num("psi/ci_ncx2_upper", shown),
            Col::Num("psi/ncx2_lower_bound", shown),
            Col::Num("p_value_adjusted", shown),
            Col::Num("missing_ratio", percent),
        ],
    );
    for (row, f) in rows.iter_mut().zip(features) {
        row.insert(0, Cell::text(&name(f)));
    }
    out.push_str(&table(
        &[
            "series",
            "state",
            "PSI",
            "interval",
            "",
            "lower bound",
            "q",
            "missing",
        ],
        rows,
    ));
    out.push_str(&new_levels(doc, &at));
    out.push_str("</section>\n");
    out
}

fn name(f: &Value) -> String {
    let n = f["feature"].as_str().unwrap_or("");
    match f["binning"].as_str() {
        Some("population") => format!("{n} (population bins)"),
        _ => n.to_string(),
    }
}

fn new_levels(doc: &Value, at: &str) -> String {
    let levels = doc
        .pointer(&format!("{at}/new_levels"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if levels == 0 {
        return String::new();
    }
    let rows = item_rows(
        doc,
        &format!("{at}/new_levels"),
        levels,
        &[
            Col::Field("feature"),
            Col::Num("new", shown),
            Col::Num("share", percent),
            Col::Num("ci_lower", percent),
            Col::Num("ci_upper", percent),
        ],
    );
    format!(
        "<p class=\"note\">Levels development never saw:</p>{}",
        table(&["feature", "applications", "share", "interval", ""], rows)
    )
}

fn outcome_window(doc: &Value, m: usize, w: usize) -> String {
    let at = format!("/models/{m}/outcome_windows/{w}");
    let win = &doc["models"][m]["outcome_windows"][w];
    let mut out = format!(
        "<section><h3>Outcome window {}</h3><p>{} goods, {} bads</p>",
        escape(win["window"].as_str().unwrap_or("")),
        Cell::num(doc, &format!("{at}/goods"), shown).into_html(),
        Cell::num(doc, &format!("{at}/bads"), shown).into_html()
    );
    let features = win["features"].as_array().map_or(0, Vec::len);
    let mut rows = item_rows(
        doc,
        &format!("{at}/features"),
        features,
        &[
            Col::Num("iv/iv", shown),
            Col::Num("iv/ci_ncx2_lower", shown),
            Col::Num("iv/ci_ncx2_upper", shown),
            Col::Num("iv_change/iv_development", shown),
            Col::State("iv_drop"),
        ],
    );
    for (i, row) in rows.iter_mut().enumerate() {
        row.insert(0, Cell::text(&name(&win["features"][i])));
    }
    out.push_str(&table(
        &[
            "series",
            "IV now",
            "interval",
            "",
            "IV development",
            "IV drop",
        ],
        rows,
    ));
    if win["backtest"].is_object() {
        let b = |k: &str| format!("{at}/backtest/{k}");
        out.push_str(&table(
            &[
                "score",
                "AUC",
                "Gini",
                "interval",
                "",
                "Gini decline",
                "calibration",
            ],
            vec![vec![
                Cell::field(doc, &b("feature")),
                Cell::num(doc, &b("discrimination/auc"), shown),
                Cell::num(doc, &b("discrimination/gini"), shown),
                Cell::num(doc, &b("discrimination/gini_ci_lower"), shown),
                Cell::num(doc, &b("discrimination/gini_ci_upper"), shown),
                Cell::state(doc, &b("state")),
                Cell::state(doc, &b("calibration/light")),
            ]],
        ));
    }
    out.push_str("</section>\n");
    out
}

fn fairness(doc: &Value, c: usize) -> String {
    let at = format!("/fairness/{c}");
    let check = &doc["fairness"][c];
    let mut out = format!(
        "<section><h2>Fairness check {}</h2><p class=\"note\">{} across groups against {}; tau {}</p>",
        escape(check["check"].as_str().unwrap_or("")),
        escape(check["feature"].as_str().unwrap_or("")),
        escape(check["reference_group"].as_str().unwrap_or("")),
        Cell::num(doc, &format!("{at}/tau"), shown).into_html()
    );
    let windows = check["windows"].as_array().map_or(&[][..], Vec::as_slice);
    for (w, win) in windows.iter().enumerate() {
        let groups = win["groups"].as_array().map_or(0, Vec::len);
        let rows = item_rows(
            doc,
            &format!("{at}/windows/{w}/groups"),
            groups,
            &[
                Col::Field("group"),
                Col::State("state"),
                Col::Num("applications", shown),
                Col::Num("j/median_unbiased", shown),
                Col::Num("j/ci_ncx2_lower", shown),
                Col::Num("j/ci_ncx2_upper", shown),
            ],
        );
        out.push_str(&format!(
            "<h3>Window {}</h3>{}",
            escape(win["window"].as_str().unwrap_or("")),
            table(
                &["group", "state", "applications", "J", "interval", ""],
                rows
            )
        ));
    }
    out.push_str("</section>\n");
    out
}
