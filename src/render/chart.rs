//! Inline SVG charts: intervals per row against reference lines, bin shares baseline
//! against now, a ROC curve. Okabe-Ito colours (blue for now, vermilion for a reference,
//! grey for the baseline); every mark also differs by shape, and each chart carries a
//! title for screen readers.

use std::fmt::Write;

use super::page::{escape, shown};

const NOW: &str = "#0072B2";
const REFERENCE: &str = "#D55E00";
const BASE: &str = "#9a9a9a";
const LABEL_W: f64 = 230.0;
/// Longer labels are cut with an ellipsis (the tables beside a chart show them whole).
const LABEL_CHARS: usize = 36;
const PLOT_W: f64 = 440.0;
const ROW_H: f64 = 22.0;

/// One row of an interval chart: an estimate, its interval, and a reference marker.
pub(super) struct IntervalRow {
    pub label: String,
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
    /// Shown as a diamond (a band's PD).
    pub marker: Option<f64>,
}

/// A step of 1, 2 or 5 times a power of ten giving about four ticks up to `max`.
fn tick_step(max: f64) -> f64 {
    let raw = (max / 4.0).max(1e-12);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

/// The x axis of a plot from 0 to `max` at `top`..`bottom`: grid lines and tick labels.
fn axis(out: &mut String, max: f64, (top, bottom): (f64, f64), title: &str) {
    let step = tick_step(max);
    let mut t = 0.0;
    while t <= max * 1.0001 {
        let x = LABEL_W + PLOT_W * t / max;
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"#e6e6e6\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 13.0,
            shown(t)
        );
        t += step;
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        LABEL_W + PLOT_W / 2.0,
        bottom + 27.0,
        escape(title)
    );
}

/// A label short enough for the label column.
fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return escape(label);
    }
    let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
    escape(&format!("{cut}…"))
}

fn open_svg(out: &mut String, height: f64, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {height:.0}\" width=\"{}\" role=\"img\"><title>{}</title>",
        LABEL_W + PLOT_W + 20.0,
        LABEL_W + PLOT_W + 20.0,
        escape(title)
    );
}

/// Rows of estimates with their intervals, against vertical reference lines `refs`
/// (value, label; dashed).
pub(super) fn interval_chart(rows: &[IntervalRow], refs: &[(f64, &str)], title: &str) -> String {
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let max = rows
        .iter()
        .flat_map(|r| [r.hi, r.value, r.marker.unwrap_or(0.0)])
        .chain(refs.iter().map(|r| r.0))
        .map(finite)
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.08;
    let x = |v: f64| LABEL_W + PLOT_W * finite(v).clamp(0.0, max) / max;
    let top = 18.0;
    let bottom = top + ROW_H * rows.len() as f64;
    let mut out = String::new();
    open_svg(&mut out, bottom + 36.0, title);
    axis(&mut out, max, (top, bottom), title);
    for (v, label) in refs {
        let _ = write!(
            out,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{bottom}\" stroke=\"{REFERENCE}\" stroke-dasharray=\"4 3\"/><text x=\"{0:.1}\" y=\"12\" text-anchor=\"middle\">{1}</text>",
            x(*v),
            escape(label)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + ROW_H * (i as f64 + 0.5);
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{NOW}\" stroke-width=\"2\"/><circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{NOW}\"/>",
            LABEL_W - 8.0,
            y + 4.0,
            short(&r.label),
            x(r.lo),
            x(r.hi),
            x(r.value)
        );
        if let Some(m) = r.marker {
            let (mx, d) = (x(m), 5.0);
            let _ = write!(
                out,
                "<path d=\"M{mx:.1} {:.1} L{:.1} {y:.1} L{mx:.1} {:.1} L{:.1} {y:.1} Z\" fill=\"none\" stroke=\"{REFERENCE}\" stroke-width=\"1.5\"/>",
                y - d,
                mx + d,
                y + d,
                mx - d
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Per bin the baseline share (grey bar) and the current share (blue bar, its interval
/// as a black whisker).
pub(super) fn share_bars(
    labels: &[String],
    baseline: &[f64],
    current: &[f64],
    ci: &[Option<(f64, f64)>],
    title: &str,
) -> String {
    let max = baseline
        .iter()
        .chain(current)
        .chain(ci.iter().flatten().map(|c| &c.1))
        .fold(0.0f64, |a, b| a.max(*b))
        .max(1e-9)
        * 1.08;
    let x = |v: f64| PLOT_W * v.clamp(0.0, max) / max;
    let top = 18.0;
    let bottom = top + 2.0 * ROW_H * labels.len() as f64 * 0.75;
    let mut out = String::new();
    open_svg(&mut out, bottom + 36.0, title);
    axis(&mut out, max, (top, bottom), "share of applications");
    let _ = write!(
        out,
        "<rect x=\"{LABEL_W}\" y=\"2\" width=\"10\" height=\"8\" fill=\"{BASE}\"/><text x=\"{:.0}\" y=\"10\">baseline</text><rect x=\"{:.0}\" y=\"2\" width=\"10\" height=\"8\" fill=\"{NOW}\"/><text x=\"{:.0}\" y=\"10\">now (with interval)</text>",
        LABEL_W + 14.0,
        LABEL_W + 80.0,
        LABEL_W + 94.0
    );
    let h = ROW_H * 0.75;
    for (i, label) in labels.iter().enumerate() {
        let y = top + 2.0 * h * i as f64;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect x=\"{LABEL_W}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{BASE}\"/><rect x=\"{LABEL_W}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{NOW}\"/>",
            LABEL_W - 8.0,
            y + h + 4.0,
            short(label),
            y + 2.0,
            x(baseline.get(i).copied().unwrap_or(0.0)),
            h - 3.0,
            y + h,
            x(current.get(i).copied().unwrap_or(0.0)),
            h - 3.0,
        );
        if let Some(Some((lo, hi))) = ci.get(i) {
            let yy = y + h + (h - 3.0) / 2.0;
            let _ = write!(
                out,
                "<line x1=\"{:.1}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#000\" stroke-width=\"1.2\"/>",
                LABEL_W + x(*lo),
                LABEL_W + x(*hi)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// A ROC curve through `points` (false-positive rate, true-positive rate), with the
/// diagonal of a score that does not rank.
pub(super) fn roc(points: &[(f64, f64)], title: &str) -> String {
    let (size, pad) = (260.0, 34.0);
    let at = |(fx, ty): (f64, f64)| (pad + size * fx, pad / 2.0 + size * (1.0 - ty));
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {0}\" width=\"{0}\" role=\"img\"><title>{1}</title><rect x=\"{pad}\" y=\"{2}\" width=\"{size}\" height=\"{size}\" fill=\"none\" stroke=\"#999\"/>",
        size + pad + 10.0,
        escape(title),
        pad / 2.0
    );
    let (x0, y0) = at((0.0, 0.0));
    let (x1, y1) = at((1.0, 1.0));
    let _ = write!(
        out,
        "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y1}\" stroke=\"{BASE}\" stroke-dasharray=\"4 3\"/><polyline fill=\"none\" stroke=\"{NOW}\" stroke-width=\"2\" points=\""
    );
    for p in points {
        let (x, y) = at(*p);
        let _ = write!(out, "{x:.1},{y:.1} ");
    }
    out.push_str("\"/>");
    for p in points {
        let (x, y) = at(*p);
        let _ = write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" fill=\"{NOW}\"/>"
        );
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">share of goods (false positives)</text><text transform=\"translate(11 {:.1}) rotate(-90)\" text-anchor=\"middle\">share of bads</text></svg>",
        pad + size / 2.0,
        size + pad / 2.0 + 14.0,
        pad / 2.0 + size / 2.0
    );
    out.push('\n');
    out
}

/// A series over time: per point (label, estimate, interval); the interval as a band, the
/// estimate as a line with dots, a dashed reference line at `reference`.
pub(super) fn trend(
    points: &[(String, f64, f64, f64)],
    reference: (f64, &str),
    title: &str,
) -> String {
    let (w, h, left, top) = (PLOT_W + LABEL_W, 150.0, 50.0, 12.0);
    let max = points
        .iter()
        .map(|p| if p.3.is_finite() { p.3 } else { p.1 })
        .fold(reference.0, f64::max)
        .max(1e-9)
        * 1.08;
    let n = points.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + (w - left - 10.0) * i as f64 / n;
    let y = |v: f64| top + h * (1.0 - v.clamp(0.0, max) / max);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {:.0}\" width=\"{w}\" role=\"img\"><title>{}</title>",
        h + top + 30.0,
        escape(title)
    );
    let step = tick_step(max);
    let mut t = 0.0;
    while t <= max {
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{w}\" y2=\"{0:.1}\" stroke=\"#e6e6e6\"/><text x=\"{1}\" y=\"{2:.1}\" text-anchor=\"end\">{3}</text>",
            y(t),
            left - 4.0,
            y(t) + 4.0,
            shown(t)
        );
        t += step;
    }
    let upper: Vec<String> = (points.iter().enumerate())
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.3)))
        .collect();
    let lower: Vec<String> = (points.iter().enumerate())
        .rev()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.2)))
        .collect();
    let line: Vec<String> = (points.iter().enumerate())
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1)))
        .collect();
    let _ = write!(
        out,
        "<polygon points=\"{0} {1}\" fill=\"{NOW}\" fill-opacity=\"0.18\"/><polyline points=\"{2}\" fill=\"none\" stroke=\"{NOW}\" stroke-width=\"2\"/><line x1=\"{left}\" y1=\"{3:.1}\" x2=\"{w}\" y2=\"{3:.1}\" stroke=\"{REFERENCE}\" stroke-dasharray=\"4 3\"/><text x=\"{w}\" y=\"{4:.1}\" text-anchor=\"end\">{5}</text>",
        upper.join(" "),
        lower.join(" "),
        line.join(" "),
        y(reference.0),
        y(reference.0) - 3.0,
        escape(reference.1)
    );
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            out,
            "<text x=\"{left}\" y=\"{0:.1}\">{1}</text><text x=\"{w}\" y=\"{0:.1}\" text-anchor=\"end\">{2}</text>",
            top + h + 16.0,
            escape(&first.0),
            escape(&last.0)
        );
    }
    out.push_str("</svg>");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(tick_step(1.0), 0.5);
        assert_eq!(tick_step(0.3), 0.1);
        assert_eq!(tick_step(0.012), 0.005);
        assert_eq!(tick_step(40.0), 10.0);
    }

    #[test]
    fn labels_are_escaped_and_every_row_is_drawn() {
        let rows = vec![IntervalRow {
            label: "<script>".into(),
            value: 0.1,
            lo: 0.05,
            hi: f64::INFINITY,
            marker: Some(0.2),
        }];
        let svg = interval_chart(&rows, &[(0.1, "warning")], "PSI");
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
}
