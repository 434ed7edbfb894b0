//! The page itself: escaping, numbers as shown, cells that carry their JSON pointer,
//! tables, and the document with its inline style sheet.

use std::fmt::Write;

use serde_json::Value;

/// `text` safe inside HTML text and double-quoted attributes.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as tables show it: four significant digits, scientific below 1e-4.
pub(super) fn shown(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if v.abs() < 1e-4 {
        return format!("{v:.2e}");
    }
    if magnitude >= 4 {
        return format!("{v:.0}");
    }
    let decimals = (3 - magnitude).clamp(0, 6) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A share as a percentage with one decimal.
pub(super) fn percent(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

/// One table cell.
pub(super) struct Cell {
    html: String,
    class: &'static str,
}

impl Cell {
    pub(super) fn text(text: &str) -> Self {
        Self {
            html: escape(text),
            class: "",
        }
    }

    /// The number at `pointer` of `doc`, shown by `how`, with its pointer and exact value;
    /// a dash when there is none.
    pub(super) fn num(doc: &Value, pointer: &str, how: fn(f64) -> String) -> Self {
        let Some(v) = doc.pointer(pointer).and_then(Value::as_f64) else {
            return Self::text("–");
        };
        Self {
            html: format!(
                "<span data-json=\"{}\" data-value=\"{v:?}\">{}</span>",
                escape(pointer),
                escape(&how(v))
            ),
            class: "n",
        }
    }

    /// The text at `pointer` of `doc` (a state, a label), with its pointer.
    pub(super) fn field(doc: &Value, pointer: &str) -> Self {
        let text = match doc.pointer(pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => return Self::text("–"),
            Some(v) => v.to_string(),
        };
        Self {
            html: format!(
                "<span data-json=\"{}\">{}</span>",
                escape(pointer),
                escape(&text)
            ),
            class: "",
        }
    }

    /// A state (ok, warning, alert, green, amber, red) as a badge: its word and a colour.
    pub(super) fn state(doc: &Value, pointer: &str) -> Self {
        let Some(state) = doc.pointer(pointer).and_then(Value::as_str) else {
            return Self::text("–");
        };
        let class = match state {
            "alert" | "red" => "bad",
            "warning" | "amber" => "warn",
            _ => "good",
        };
        Self {
            html: format!(
                "<span class=\"badge {class}\" data-json=\"{}\">{}</span>",
                escape(pointer),
                escape(&state.to_uppercase())
            ),
            class: "",
        }
    }

    /// The cell's HTML, for a number inside a sentence.
    pub(super) fn into_html(self) -> String {
        self.html
    }

    /// A cell of ready-made HTML (a link, a chart).
    pub(super) fn html(html: String) -> Self {
        Self { html, class: "" }
    }
}

/// A table with a header row; numeric cells right-aligned.
/// One column of a table of JSON array items: the field (a pointer below the item) and
/// how it is shown.
pub(super) enum Col {
    Num(&'static str, fn(f64) -> String),
    Field(&'static str),
    State(&'static str),
}

/// The rows of the `n` items of the array at `array` in `doc`, one cell per column.
pub(super) fn item_rows(doc: &Value, array: &str, n: usize, cols: &[Col]) -> Vec<Vec<Cell>> {
    (0..n)
        .map(|i| {
            cols.iter()
                .map(|c| match c {
                    Col::Num(k, how) => Cell::num(doc, &format!("{array}/{i}/{k}"), *how),
                    Col::Field(k) => Cell::field(doc, &format!("{array}/{i}/{k}")),
                    Col::State(k) => Cell::state(doc, &format!("{array}/{i}/{k}")),
                })
                .collect()
        })
        .collect()
}

/// Without any header text, no header row.
pub(super) fn table(headers: &[&str], rows: Vec<Vec<Cell>>) -> String {
    let mut out = String::from("<table>");
    if headers.iter().any(|h| !h.is_empty()) {
        out.push_str("<thead><tr>");
        for h in headers {
            let _ = write!(out, "<th>{}</th>", escape(h));
        }
        out.push_str("</tr></thead>");
    }
    out.push_str("<tbody>");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td class=\"{}\">{}</td>", c.class, c.html);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
    out
}

/// A whole page: `title`, the body's HTML, and a refresh every `refresh_s` seconds (the
/// live page).
pub(super) fn document(title: &str, body: &str, refresh_s: Option<u32>) -> String {
    let refresh = refresh_s
        .map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">"))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{refresh}<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        escape(title)
    )
}

/// Readable on screen and on paper; state colours always come with their word.
const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
th{background:#f4f4f4;font-weight:600}td.n{text-align:right}
.meta td:first-child{color:#555}
.badge{display:inline-block;padding:0 6px;border-radius:3px;font-weight:600;font-size:12px;border:1px solid}
.good{color:#0b5d1e;border-color:#0b5d1e}.warn{color:#7a4d00;border-color:#b07000;background:#fff4d6}.bad{color:#fff;background:#a3122b;border-color:#a3122b}
.note{color:#555;font-size:13px}
svg{max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#1b1b1b}
section{break-inside:avoid-page}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}}
";
