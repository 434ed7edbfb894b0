//! `psimon frontier --format html`: the frontier's JSON document as a page. The chart
//! plots each point's predictive IV against its protected IV, with ± z SE bars both ways,
//! the plain frontier as blue circles and the robust one as vermilion squares; the tables
//! below give every number with its JSON pointer.

use std::fmt::Write;

use serde_json::Value;

use super::page::{Cell, document, escape, shown, table};

const PLAIN: &str = "#0072B2";
const ROBUST: &str = "#D55E00";

/// The page of a frontier document.
pub fn frontier_html(doc: &Value) -> String {
    let mut body = format!(
        "<h1>psimon frontier</h1>\n<p class=\"note\">{} rows of {}; protected attribute <b>{}</b> against reference <b>{}</b>. Each point keeps the features (and bin merges) with the largest predictive IV whose protected IV is at most the bound; the robust frontier holds the protected IVs' one-sided {}% upper bounds under it. Bars: ± 1.96 SE.</p>\n",
        doc["rows"],
        escape(doc["input"].as_str().unwrap_or("")),
        escape(doc["protected"]["column"].as_str().unwrap_or("")),
        escape(doc["protected"]["reference"].as_str().unwrap_or("")),
        shown(100.0 * (1.0 - doc["alpha"].as_f64().unwrap_or(0.05))),
    );
    body.push_str(&chart(doc));
    for (key, title) in [
        ("frontier", "Frontier"),
        ("robust_frontier", "Robust frontier"),
    ] {
        let _ = writeln!(body, "<h2>{title}</h2>");
        body.push_str(&points_table(doc, key));
    }
    document("psimon frontier", &body, None)
}

fn points(doc: &Value, key: &str) -> Vec<(f64, f64, f64, f64)> {
    doc[key]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|p| {
            Some((
                p["protected_iv"]["value"].as_f64()?,
                p["protected_iv"]["se"].as_f64()?,
                p["predictive_iv"]["value"].as_f64()?,
                p["predictive_iv"]["se"].as_f64()?,
            ))
        })
        .collect()
}

fn chart(doc: &Value) -> String {
    let (w, h, left, bottom, top) = (560.0, 320.0, 56.0, 40.0, 12.0);
    let series = [
        (points(doc, "frontier"), PLAIN),
        (points(doc, "robust_frontier"), ROBUST),
    ];
    let all = series.iter().flat_map(|(p, _)| p.iter());
    let (x_max, y_max) = all.fold((1e-9f64, 1e-9f64), |(x, y), p| {
        (x.max(p.0 + 1.96 * p.1), y.max(p.2 + 1.96 * p.3))
    });
    let at = |x: f64, y: f64| {
        (
            left + (w - left - 10.0) * x / x_max,
            top + (h - top - bottom) * (1.0 - y / y_max),
        )
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" role=\"img\"><title>predictive IV against protected IV</title>"
    );
    let (x0, y0) = at(0.0, 0.0);
    let (x1, y1) = at(x_max, y_max);
    let _ = write!(
        out,
        "<rect x=\"{x0}\" y=\"{y1}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>",
        x1 - x0,
        y0 - y1
    );
    for (pts, colour) in &series {
        // The frontier as a line through its points, in the order of the bounds.
        let line: Vec<String> = pts
            .iter()
            .map(|&(x, _, y, _)| {
                let (px, py) = at(x, y);
                format!("{px:.1},{py:.1}")
            })
            .collect();
        let dash = if *colour == PLAIN {
            ""
        } else {
            " stroke-dasharray=\"5 3\""
        };
        let _ = write!(
            out,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"{dash} points=\"{}\"/>",
            line.join(" ")
        );
        for &(x, xs, y, ys) in pts {
            let (cx, cy) = at(x, y);
            let (l, _) = at((x - 1.96 * xs).max(0.0), y);
            let (r, _) = at(x + 1.96 * xs, y);
            let (_, b) = at(x, (y - 1.96 * ys).max(0.0));
            let (_, t) = at(x, y + 1.96 * ys);
            let _ = write!(
                out,
                "<line x1=\"{l:.1}\" y1=\"{cy:.1}\" x2=\"{r:.1}\" y2=\"{cy:.1}\" stroke=\"{colour}\"/><line x1=\"{cx:.1}\" y1=\"{b:.1}\" x2=\"{cx:.1}\" y2=\"{t:.1}\" stroke=\"{colour}\"/>"
            );
            if *colour == PLAIN {
                let _ = write!(
                    out,
                    "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3.5\" fill=\"{colour}\"/>"
                );
            } else {
                let _ = write!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"7\" height=\"7\" fill=\"{colour}\"/>",
                    cx - 3.5,
                    cy - 3.5
                );
            }
        }
    }
    let _ = write!(
        out,
        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{PLAIN}\"/><text x=\"{:.1}\" y=\"{:.1}\">frontier</text><rect x=\"{:.1}\" y=\"{:.1}\" width=\"7\" height=\"7\" fill=\"{ROBUST}\"/><text x=\"{:.1}\" y=\"{:.1}\">robust frontier</text>",
        x1 - 150.0,
        y0 - 30.0,
        x1 - 142.0,
        y0 - 26.0,
        x1 - 153.5,
        y0 - 17.5,
        x1 - 142.0,
        y0 - 10.0,
    );
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">protected IV (0 to {})</text><text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">predictive IV (0 to {})</text></svg>",
        (x0 + x1) / 2.0,
        h - 8.0,
        shown(x_max),
        (y0 + y1) / 2.0,
        shown(y_max),
    );
    out
}

fn points_table(doc: &Value, key: &str) -> String {
    let n = doc[key].as_array().map_or(0, Vec::len);
    let rows = (0..n)
        .map(|i| {
            let at = |f: &str| format!("/{key}/{i}/{f}");
            let names: Vec<&str> = doc[key][i]["features"]
                .as_array()
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(Value::as_str)
                .collect();
            vec![
                Cell::num(doc, &at("bound"), shown),
                Cell::num(doc, &at("predictive_iv/value"), shown),
                Cell::num(doc, &at("predictive_iv/se"), shown),
                Cell::num(doc, &at("protected_iv/value"), shown),
                Cell::num(doc, &at("protected_iv/se"), shown),
                Cell::num(doc, &at("protected_iv_upper"), shown),
                Cell::text(&names.join(", ")),
            ]
        })
        .collect();
    table(
        &[
            "bound",
            "predictive IV",
            "± SE",
            "protected IV",
            "± SE",
            "upper bound",
            "features kept",
        ],
        rows,
    )
}
