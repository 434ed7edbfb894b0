//! `psimon report --format html`: the report's JSON document as a page. A verdict first
//! (every series' state, PSI with its interval and adjusted p-value, the largest shifts
//! charted), then each series' bins, the score's back-testing and the fairness check.

use serde_json::Value;

use super::chart::{IntervalRow, interval_chart, roc, share_bars};
use super::page::{Cell, Col, document, escape, item_rows, percent, shown, table};

/// The page of a report document (`psimon report --format json`).
pub fn report_html(doc: &Value) -> String {
    let model = doc["model"].as_str().unwrap_or("");
    let mut body = format!(
        "<h1>psimon report: model {}</h1>\n{}",
        escape(model),
        meta(doc)
    );
    body.push_str(&verdict(doc));
    if doc["backtest"].is_object() {
        body.push_str(&backtest(doc, "/backtest"));
    }
    if doc["fairness"].is_object() {
        body.push_str(&fairness(doc, "/fairness"));
    }
    body.push_str("<h2>Series</h2>\n");
    for (i, _) in features(doc).iter().enumerate() {
        body.push_str(&series(doc, i));
    }
    document(&format!("psimon report: {model}"), &body, None)
}

pub(super) fn features(doc: &Value) -> &[Value] {
    doc["features"].as_array().map_or(&[], Vec::as_slice)
}

/// What was run on which data with which settings.
pub(super) fn meta(doc: &Value) -> String {
    let rows = vec![
        vec![Cell::text("psimon"), Cell::field(doc, "/psimon_version")],
        vec![Cell::text("made (UTC)"), Cell::field(doc, "/generated_at")],
        vec![Cell::text("baseline"), Cell::field(doc, "/baseline_id")],
        vec![Cell::text("sample"), Cell::field(doc, "/input")],
        vec![Cell::text("rows"), Cell::num(doc, "/rows", shown)],
        vec![Cell::text("target"), Cell::field(doc, "/target/column")],
        vec![
            Cell::text("alpha"),
            Cell::num(doc, "/settings/alpha", shown),
        ],
        vec![Cell::text("tau"), Cell::num(doc, "/settings/tau", shown)],
        vec![
            Cell::text("multiple testing"),
            Cell::field(doc, "/settings/multiple_testing"),
        ],
        vec![
            Cell::text("PSI warning / alert"),
            Cell::num(doc, "/settings/warning_psi", shown),
            Cell::num(doc, "/settings/alert_psi", shown),
        ],
        vec![
            Cell::text("IV drop warning / alert"),
            Cell::num(doc, "/settings/warning_iv_drop", shown),
            Cell::num(doc, "/settings/alert_iv_drop", shown),
        ],
        vec![
            Cell::text("Gini decline warning / alert"),
            Cell::num(doc, "/settings/warning_gini_decline", shown),
            Cell::num(doc, "/settings/alert_gini_decline", shown),
        ],
    ];
    format!("<div class=\"meta\">{}</div>", table(&["", "", ""], rows))
}

/// The series ordered by their median-unbiased PSI, largest first (those without PSI last).
pub(super) fn by_psi(doc: &Value) -> Vec<usize> {
    let psi = |i: usize| {
        features(doc)[i]["psi"]["median_unbiased"]
            .as_f64()
            .unwrap_or(-1.0)
    };
    let mut order: Vec<usize> = (0..features(doc).len()).collect();
    order.sort_by(|a, b| psi(*b).total_cmp(&psi(*a)));
    order
}

pub(super) fn verdict(doc: &Value) -> String {
    let count = |state: &str| features(doc).iter().filter(|f| f["state"] == state).count();
    let mut out = format!(
        "<section><h2>Verdict</h2><p>{} series: <b>{} alert</b>, {} warning, {} ok. A state is warning or alert when the PSI's one-sided {} lower bound is above the threshold and the adjusted no-drift p-value is at most alpha. PSI shown is the median-unbiased estimate, inside its noncentral interval.</p>\n",
        features(doc).len(),
        count("alert"),
        count("warning"),
        count("ok"),
        percent(1.0 - doc["settings"]["alpha"].as_f64().unwrap_or(0.05)),
    );
    let order = by_psi(doc);
    let rows: Vec<IntervalRow> = order
        .iter()
        .take(20)
        .filter_map(|&i| {
            let p = &features(doc)[i]["psi"];
            Some(IntervalRow {
                label: series_name(doc, i),
                value: p["median_unbiased"].as_f64()?,
                lo: p["ci_ncx2_lower"].as_f64()?,
                hi: p["ci_ncx2_upper"].as_f64()?,
                marker: None,
            })
        })
        .collect();
    let w = doc["settings"]["warning_psi"].as_f64().unwrap_or(0.1);
    let a = doc["settings"]["alert_psi"].as_f64().unwrap_or(0.25);
    out.push_str(&interval_chart(
        &rows,
        &[(w, "warning"), (a, "alert")],
        "PSI with its noncentral interval, largest 20",
    ));
    let target = doc["target"].is_object();
    let mut headers = vec![
        "series",
        "state",
        "PSI",
        "interval",
        "",
        "lower bound",
        "q",
        "missing",
    ];
    if target {
        headers.extend(["IV now", "IV drop"]);
    }
    let rows = order.iter().map(|&i| verdict_row(doc, i, target)).collect();
    out.push_str(&table(&headers, rows));
    out.push_str("</section>\n");
    out
}

pub(super) fn series_name(doc: &Value, i: usize) -> String {
    let f = &features(doc)[i];
    let name = f["feature"].as_str().unwrap_or("");
    match f["binning"].as_str() {
        Some("population") => format!("{name} (population bins)"),
        _ => name.to_string(),
    }
}

fn verdict_row(doc: &Value, i: usize, target: bool) -> Vec<Cell> {
    let p = |field: &str| format!("/features/{i}/psi/{field}");
    let mut row = vec![
        Cell::html(format!(
            "<a href=\"#series-{i}\">{}</a>",
            escape(&series_name(doc, i))
        )),
        Cell::state(doc, &format!("/features/{i}/state")),
        Cell::num(doc, &p("median_unbiased"), shown),
        Cell::num(doc, &p("ci_ncx2_lower"), shown),
        Cell::num(doc, &p("ci_ncx2_upper"), shown),
        Cell::num(doc, &p("ncx2_lower_bound"), shown),
        Cell::num(doc, &format!("/features/{i}/p_value_adjusted"), shown),
        Cell::num(doc, &format!("/features/{i}/missing_ratio"), percent),
    ];
    if target {
        row.push(Cell::num(doc, &format!("/features/{i}/iv/iv"), shown));
        row.push(Cell::state(doc, &format!("/features/{i}/iv_drop")));
    }
    row
}

/// One series: its bins' shares, baseline against now, and their table.
pub(super) fn series(doc: &Value, i: usize) -> String {
    let f = &features(doc)[i];
    let bins = f["bins"].as_array().map_or(&[][..], Vec::as_slice);
    let num = |b: &Value, k: &str| b[k].as_f64().unwrap_or(0.0);
    let labels: Vec<String> = bins
        .iter()
        .map(|b| b["label"].as_str().unwrap_or("").to_string())
        .collect();
    let ci: Vec<Option<(f64, f64)>> = bins
        .iter()
        .map(|b| {
            Some((
                b["current_ci_lower"].as_f64()?,
                b["current_ci_upper"].as_f64()?,
            ))
        })
        .collect();
    let mut out = format!(
        "<section id=\"series-{i}\"><h3>{}</h3>",
        escape(&series_name(doc, i))
    );
    out.push_str(&share_bars(
        &labels,
        &bins
            .iter()
            .map(|b| num(b, "baseline_share"))
            .collect::<Vec<_>>(),
        &bins
            .iter()
            .map(|b| num(b, "current_share"))
            .collect::<Vec<_>>(),
        &ci,
        &format!("{}: share per bin", series_name(doc, i)),
    ));
    let outcomes = bins.iter().any(|b| b["goods"].is_u64());
    let mut headers = vec![
        "bin",
        "baseline",
        "now",
        "interval",
        "",
        "applications",
        "PSI part",
    ];
    if outcomes {
        headers.extend(["bad rate dev", "bad rate now", "bads now"]);
    }
    let rows = (0..bins.len())
        .map(|b| bin_row(doc, i, b, outcomes))
        .collect();
    out.push_str(&table(&headers, rows));
    out.push_str(&divergences(doc, i));
    if f["characteristic"].is_object() {
        let at = |k: &str| format!("/features/{i}/characteristic/{k}");
        let c = |k: &str| Cell::num(doc, &at(k), shown).into_html();
        out.push_str(&format!(
            "<p class=\"note\">Characteristic in points: mean {} at the baseline, {} now: a shift of {} ± {} (interval {} to {}).</p>",
            c("baseline_points"), c("current_points"), c("shift"), c("se"), c("ci_lower"), c("ci_upper")
        ));
    }
    if let Some(top) = f["new_levels"]["top"].as_array() {
        out.push_str(&format!(
            "<p class=\"note\">Levels never seen in development: {} of the rows. Most frequent: {}</p>",
            Cell::num(doc, &format!("/features/{i}/new_levels/share"), percent).into_html(),
            top.iter()
                .map(|t| escape(t["level"].as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push_str("</section>\n");
    out
}

/// The divergence family of series `i` (`report --divergences`), or nothing.
fn divergences(doc: &Value, i: usize) -> String {
    let Some(members) = doc["features"][i]["divergences"].as_object() else {
        return String::new();
    };
    let rows = members
        .keys()
        .map(|name| {
            let at = |field: &str| format!("/features/{i}/divergences/{name}/{field}");
            vec![
                Cell::text(name),
                Cell::num(doc, &at("value"), shown),
                Cell::num(doc, &at("se"), shown),
                Cell::num(doc, &at("ci_lower"), shown),
                Cell::num(doc, &at("ci_upper"), shown),
                Cell::num(doc, &at("chi2_pvalue"), shown),
            ]
        })
        .collect();
    let headers = [
        "divergence",
        "value",
        "± SE",
        "interval",
        "",
        "p (no drift)",
    ];
    table(&headers, rows)
}

fn bin_row(doc: &Value, i: usize, b: usize, outcomes: bool) -> Vec<Cell> {
    let at = |field: &str| format!("/features/{i}/bins/{b}/{field}");
    let mut row = vec![
        Cell::field(doc, &at("label")),
        Cell::num(doc, &at("baseline_share"), percent),
        Cell::num(doc, &at("current_share"), percent),
        Cell::num(doc, &at("current_ci_lower"), percent),
        Cell::num(doc, &at("current_ci_upper"), percent),
        Cell::num(doc, &at("current_count"), shown),
        Cell::num(doc, &at("contrib"), shown),
    ];
    if outcomes {
        let bin = &doc["features"][i]["bins"][b];
        let rate = |g: &str, d: &str| {
            let (g, d) = (bin[g].as_f64()?, bin[d].as_f64()?);
            (g + d > 0.0).then(|| percent(d / (g + d)))
        };
        let derived = |r: Option<String>| Cell::text(r.as_deref().unwrap_or("–"));
        row.push(derived(rate("baseline_goods", "baseline_bads")));
        row.push(derived(rate("goods", "bads")));
        row.push(Cell::num(doc, &at("bads"), shown));
    }
    row
}

/// The score's back-testing: discrimination, its ROC curve, calibration by band.
/// The back-testing object at pointer `b` of `doc`.
pub(super) fn backtest(doc: &Value, b: &str) -> String {
    let bt = doc.pointer(b).unwrap_or(&Value::Null);
    let mut out = format!(
        "<section><h2>Back-testing of {}</h2>",
        escape(bt["feature"].as_str().unwrap_or(""))
    );
    let d = |src: &str, name: &str| -> Vec<Cell> {
        let at = |k: &str| format!("{b}/{src}/{k}");
        vec![
            Cell::text(name),
            Cell::num(doc, &at("auc"), shown),
            Cell::num(doc, &at("auc_ci_lower"), shown),
            Cell::num(doc, &at("auc_ci_upper"), shown),
            Cell::num(doc, &at("gini"), shown),
            Cell::num(doc, &at("gini_ci_lower"), shown),
            Cell::num(doc, &at("gini_ci_upper"), shown),
            Cell::num(doc, &at("ks"), shown),
        ]
    };
    out.push_str(&table(
        &["", "AUC", "interval", "", "Gini", "interval", "", "KS"],
        vec![
            d("development", "development"),
            d("discrimination", "sample"),
        ],
    ));
    if bt["gini_decline"].is_object() {
        let g = |k: &str| Cell::num(doc, &format!("{b}/gini_decline/{k}"), shown).into_html();
        let share = Cell::num(
            doc,
            &format!("{b}/gini_decline/relative_decline_lower"),
            percent,
        );
        out.push_str(&format!(
            "<p>Gini decline {} (± {}), p {} (both samples), p {} (ECB one-sample test); share of the development Gini lost at least {}: gini_decline {}.</p>",
            g("decline"),
            g("decline_se"),
            g("pvalue"),
            g("pvalue_one_sample"),
            share.into_html(),
            Cell::state(doc, &format!("{b}/state")).into_html()
        ));
    }
    out.push_str(&roc(
        &roc_points(bt),
        "ROC curve of the sample, by score band",
    ));
    out.push_str(&calibration(doc, b));
    out.push_str("</section>\n");
    out
}

/// The ROC curve through the calibration bands, riskiest band first.
fn roc_points(bt: &Value) -> Vec<(f64, f64)> {
    let bands = bt["calibration"]["bands"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let mut counts: Vec<(f64, f64)> = bands
        .iter()
        .map(|b| {
            let (n, d) = (
                b["applications"].as_f64().unwrap_or(0.0),
                b["bads"].as_f64().unwrap_or(0.0),
            );
            (n - d, d)
        })
        .collect();
    if bt["higher_score_is_riskier"] == true {
        counts.reverse();
    }
    let (goods, bads) = counts
        .iter()
        .fold((0.0, 0.0), |a, c| (a.0 + c.0, a.1 + c.1));
    let mut points = vec![(0.0, 0.0)];
    let (mut g, mut d) = (0.0, 0.0);
    for (cg, cd) in counts {
        g += cg;
        d += cd;
        if goods > 0.0 && bads > 0.0 {
            points.push((g / goods, d / bads));
        }
    }
    points
}

fn calibration(doc: &Value, b: &str) -> String {
    let c = &format!("{b}/calibration");
    let Some(bands) = doc.pointer(c).and_then(|v| v["bands"].as_array()) else {
        return String::new();
    };
    let source = match doc
        .pointer(&format!("{c}/pd_source"))
        .and_then(Value::as_str)
    {
        Some("scaling") => "the mean PD of the scorecard's scaling across the band",
        _ => "the band's development bad rate",
    };
    let mut out = format!(
        "<h3>Calibration by score band</h3><p class=\"note\">PD: {source}. Jeffreys test per band (small p: the band defaults above its PD), p adjusted across bands; AMBER at q &le; alpha, RED at q &le; alpha/10. Diamonds: the PD; dots and lines: the bad rate now with its Jeffreys interval.</p>"
    );
    let rows: Vec<IntervalRow> = bands
        .iter()
        .filter_map(|b| {
            Some(IntervalRow {
                label: b["label"].as_str().unwrap_or("").to_string(),
                value: b["bad_rate"].as_f64()?,
                lo: b["ci_lower"].as_f64()?,
                hi: b["ci_upper"].as_f64()?,
                marker: b["pd"].as_f64(),
            })
        })
        .collect();
    out.push_str(&interval_chart(
        &rows,
        &[],
        "bad rate by score band against its PD",
    ));
    let rows = item_rows(
        doc,
        &format!("{c}/bands"),
        bands.len(),
        &[
            Col::Field("label"),
            Col::Num("applications", shown),
            Col::Num("bads", shown),
            Col::Num("bad_rate", percent),
            Col::Num("ci_lower", percent),
            Col::Num("ci_upper", percent),
            Col::Num("pd", percent),
            Col::Num("pvalue", shown),
            Col::Num("p_adjusted", shown),
            Col::State("light"),
        ],
    );
    out.push_str(&table(
        &[
            "band",
            "applications",
            "bads",
            "bad rate",
            "interval",
            "",
            "PD",
            "p",
            "q",
            "light",
        ],
        rows,
    ));
    out.push_str(&format!(
        "<p>Hosmer-Lemeshow chi-square {} on {} bands, p {}.</p>",
        Cell::num(doc, &format!("{c}/hosmer_lemeshow"), shown).into_html(),
        Cell::num(doc, &format!("{c}/hl_df"), shown).into_html(),
        Cell::num(doc, &format!("{c}/hl_pvalue"), shown).into_html()
    ));
    out
}

/// The fairness check: J of each group against the reference, with its interval.
/// The fairness check at pointer `at` of `doc`.
pub(super) fn fairness(doc: &Value, at: &str) -> String {
    let f = doc.pointer(at).unwrap_or(&Value::Null);
    let groups = f["groups"].as_array().map_or(&[][..], Vec::as_slice);
    let mut out = format!(
        "<section><h2>Fairness of {} across {}</h2><p class=\"note\">J: the divergence between the bins of the group's rows and the reference group's ({}). \"below tau\" means J &lt; tau is shown at alpha.</p>",
        escape(f["feature"].as_str().unwrap_or("")),
        escape(f["column"].as_str().unwrap_or("")),
        escape(f["reference"].as_str().unwrap_or(""))
    );
    let rows: Vec<IntervalRow> = groups
        .iter()
        .filter_map(|g| {
            Some(IntervalRow {
                label: g["group"].as_str().unwrap_or("").to_string(),
                value: g["j"]["median_unbiased"].as_f64()?,
                lo: g["j"]["ci_ncx2_lower"].as_f64()?,
                hi: g["j"]["ci_ncx2_upper"].as_f64()?,
                marker: None,
            })
        })
        .collect();
    let tau = f["tau"].as_f64().unwrap_or(0.02);
    out.push_str(&interval_chart(
        &rows,
        &[(tau, "tau")],
        "J per group with its noncentral interval",
    ));
    let rows = item_rows(
        doc,
        &format!("{at}/groups"),
        groups.len(),
        &[
            Col::Field("group"),
            Col::Num("rows", shown),
            Col::Num("j/median_unbiased", shown),
            Col::Num("j/ci_ncx2_lower", shown),
            Col::Num("j/ci_ncx2_upper", shown),
            Col::Num("j/below_tau_pvalue_ncx2", shown),
            Col::Field("below_tau"),
        ],
    );
    out.push_str(&table(
        &[
            "group",
            "rows",
            "J",
            "interval",
            "",
            "p (J >= tau)",
            "below tau",
        ],
        rows,
    ));
    out.push_str("</section>\n");
    out
}
