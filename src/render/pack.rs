//! `psimon pack`: the pack document as a page: the report's verdict and series for the
//! period, its time outcome windows (IV, back-testing) and fairness checks, and what only a
//! pack has: each series' PSI per pane with its interval band, the Kafka offsets the
//! counts came from, and the drift events of the period.

use serde_json::Value;

use super::chart::trend;
use super::page::{Cell, Col, document, escape, item_rows, shown, table};
use super::report::{backtest, by_psi, fairness, features, meta, series, series_name, verdict};

/// Series whose trend is charted, the largest PSI of the period first.
const TRENDS: usize = 8;

/// The page of a pack document.
pub fn pack_html(doc: &Value) -> String {
    let model = doc["model"].as_str().unwrap_or("");
    let mut body = format!(
        "<h1>psimon pack: model {}</h1><p>Period {} to {} (window {}: {} panes, {} to {}).</p>\n{}",
        escape(model),
        Cell::field(doc, "/period/from").into_html(),
        Cell::field(doc, "/period/to").into_html(),
        Cell::field(doc, "/period/window").into_html(),
        Cell::num(doc, "/period/panes", shown).into_html(),
        Cell::field(doc, "/period/covered_from").into_html(),
        Cell::field(doc, "/period/covered_to").into_html(),
        meta(doc)
    );
    body.push_str(&verdict(doc));
    body.push_str(&trends(doc));
    body.push_str(&outcome_windows(doc));
    let checks = doc["fairness_checks"].as_array().map_or(0, Vec::len);
    for c in 0..checks {
        body.push_str(&fairness(doc, &format!("/fairness_checks/{c}")));
    }
    body.push_str(&offsets(doc));
    body.push_str(&events(doc));
    body.push_str("<h2>Series</h2>\n");
    for i in 0..features(doc).len() {
        body.push_str(&series(doc, i));
    }
    document(&format!("psimon pack: {model}"), &body, None)
}

fn trends(doc: &Value) -> String {
    let panes = doc["trend"].as_array().map_or(&[][..], Vec::as_slice);
    let mut out = String::from(
        "<section><h2>PSI per pane</h2><p class=\"note\">The median-unbiased PSI of each pane of the period against the baseline, its noncentral interval as a band; the dashed line is warning_psi.</p>",
    );
    let warning = doc["settings"]["warning_psi"].as_f64().unwrap_or(0.1);
    for i in by_psi(doc).into_iter().take(TRENDS) {
        let points: Vec<(String, f64, f64, f64)> = panes
            .iter()
            .filter_map(|p| {
                let s = &p["series"][i];
                Some((
                    p["pane_start"].as_str().unwrap_or("").to_string(),
                    s["median_unbiased"].as_f64()?,
                    s["ci_ncx2_lower"].as_f64()?,
                    s["ci_ncx2_upper"].as_f64()?,
                ))
            })
            .collect();
        let name = series_name(doc, i);
        out.push_str(&format!("<h3>{}</h3>", escape(&name)));
        out.push_str(&trend(
            &points,
            (warning, "warning"),
            &format!("{name}: PSI per pane"),
        ));
    }
    out.push_str("</section>\n");
    out
}

/// Each time outcome window over the period: IV per series with its drop, and the
/// score's back-testing.
fn outcome_windows(doc: &Value) -> String {
    let windows = doc["outcome_windows"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let mut out = String::new();
    for (i, w) in windows.iter().enumerate() {
        let at = format!("/outcome_windows/{i}");
        let n = w["features"].as_array().map_or(0, Vec::len);
        let rows = item_rows(
            doc,
            &format!("{at}/features"),
            n,
            &[
                Col::Field("feature"),
                Col::Field("binning"),
                Col::Num("goods", shown),
                Col::Num("bads", shown),
                Col::Num("iv/iv", shown),
                Col::Num("iv/ci_ncx2_lower", shown),
                Col::Num("iv/ci_ncx2_upper", shown),
                Col::Num("iv_change/iv_development", shown),
                Col::State("iv_drop"),
            ],
        );
        out.push_str(&format!(
            "<section><h2>Outcome window {} over the period</h2><p>{} panes.</p>{}</section>\n",
            escape(w["window"].as_str().unwrap_or("")),
            Cell::num(doc, &format!("{at}/panes"), shown).into_html(),
            table(
                &[
                    "series",
                    "binning",
                    "goods",
                    "bads",
                    "IV",
                    "interval",
                    "",
                    "IV development",
                    "IV drop"
                ],
                rows
            )
        ));
        if w["backtest"].is_object() {
            out.push_str(&backtest(doc, &format!("{at}/backtest")));
        }
    }
    out
}

fn offsets(doc: &Value) -> String {
    let n = doc["offsets"].as_array().map_or(0, Vec::len);
    let rows = item_rows(
        doc,
        "/offsets",
        n,
        &[
            Col::Field("topic"),
            Col::Num("partition", shown),
            Col::Num("low_watermark", shown),
            Col::Num("counted_below", shown),
            Col::Num("high_watermark", shown),
            Col::Num("applications", shown),
        ],
    );
    format!(
        "<section><h2>Where the counts came from</h2><p class=\"note\">Per input partition: reading offsets from the low watermark up to <i>counted below</i> and keeping the events whose time lies in the covered panes recounts the period.</p>{}</section>\n",
        table(
            &[
                "topic",
                "partition",
                "low watermark",
                "counted below",
                "high watermark",
                "applications"
            ],
            rows
        )
    )
}

fn events(doc: &Value) -> String {
    let n = doc["events"].as_array().map_or(0, Vec::len);
    if n == 0 {
        return "<section><h2>Drift events</h2><p>None in the period.</p></section>\n".into();
    }
    let rows = item_rows(
        doc,
        "/events",
        n,
        &[
            Col::Field("time"),
            Col::Field("type"),
            Col::Field("subject"),
            Col::State("data/previous_state"),
            Col::State("data/state"),
        ],
    );
    format!(
        "<section><h2>Drift events</h2>{}</section>\n",
        table(&["time", "type", "subject", "from", "to"], rows)
    )
}
