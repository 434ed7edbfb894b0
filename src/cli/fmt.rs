//! Number formatting and column alignment for the tables printed to people.

/// A statistic with four significant decimals, or scientific notation when tiny.
pub(crate) fn num(x: f64) -> String {
    if x == 0.0 {
        "0".to_string()
    } else if x.abs() >= 1e-3 && x.abs() < 1e5 {
        format!("{x:.4}")
    } else {
        format!("{x:.3e}")
    }
}

/// A p-value: three significant digits, "<1e-300" below the f64 range that matters.
pub(crate) fn pval(p: f64) -> String {
    if p == 0.0 {
        "<1e-300".to_string()
    } else if p >= 1e-3 {
        format!("{p:.4}")
    } else {
        format!("{p:.2e}")
    }
}

pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// How a report's tables are written: aligned text, or Markdown (for a validation file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TableStyle {
    Text,
    Markdown,
}

/// A table in `style`.
pub(crate) fn table_as(style: TableStyle, header: &[&str], rows: &[Vec<String>]) -> String {
    match style {
        TableStyle::Text => table(header, rows),
        TableStyle::Markdown => markdown_table(header, rows),
    }
}

/// A Markdown table: the first column left-aligned, the others right-aligned; `|` escaped.
fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cell = |c: &str| c.replace('|', "\\|");
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let mut out = String::from("\n");
    out.push_str(&line(header.iter().map(|h| cell(h)).collect()));
    let rule = (0..header.len()).map(|c| if c == 0 { ":---" } else { "---:" });
    out.push_str(&line(rule.map(String::from).collect()));
    for r in rows {
        out.push_str(&line(r.iter().map(|c| cell(c)).collect()));
    }
    out.push('\n');
    out
}

/// Left-aligns the first column and right-aligns the others.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (c, cell) in r.iter().enumerate().take(cols) {
            width[c] = width[c].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (c, cell) in cells.iter().enumerate() {
            if c > 0 {
                s.push_str("  ");
            }
            let pad = width[c].saturating_sub(cell.chars().count());
            if c == 0 {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// Writes to stdout. A closed pipe (`psimon ... | head`) ends the program quietly: the reader
/// has all it wanted.
pub(crate) fn emit(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

/// The cells of an estimate with its inference, as every table shows them: the
/// median-unbiased estimate (the one that belongs to the noncentral interval, inside it by
/// construction; the plug-in value is in the JSON), "± SE", the noncentral interval and the
/// no-difference p-value.
pub(crate) fn estimate_cells(inf: &crate::stats::inference::Inference) -> [String; 4] {
    [
        num(inf.median_unbiased),
        num(inf.se),
        format!("[{}, {}]", num(inf.ci_ncx2_lower), num(inf.ci_ncx2_upper)),
        pval(inf.chi2_pvalue),
    ]
}
