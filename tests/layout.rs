//! The crate's layout holds: a module imports only from its own floor or the floors below
//! (docs/architecture.md, Layout), and no two files import each other, directly or round a
//! circle. Read from the sources (code before any `#[cfg(test)]`; tests may reach anywhere).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors, from the pure core up.
const FLOORS: &[&[&str]] = &[
    &["stats", "window", "data", "render"],
    &["binning", "scorecard", "frontier"],
    &["evaluate"],
    &["fairness", "event"],
    &["config"],
    &["kafka"],
    &["state", "join"],
    &["output"],
    &["pipeline"],
    &["cli"],
];

fn floor(module: &str) -> usize {
    FLOORS
        .iter()
        .position(|f| f.contains(&module))
        .unwrap_or_else(|| {
            panic!("module {module} has no floor: add it to FLOORS and docs/architecture.md")
        })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A source file as a module path below `src` (`pipeline/owner` for owner.rs and its
/// mod.rs alike), and its code before tests.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files
        .into_iter()
        .filter(|p| !p.ends_with("lib.rs") && !p.ends_with("main.rs"))
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let name = rel.to_string_lossy().trim_end_matches("/mod").to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            (name, code)
        })
        .collect()
}

/// The `crate::a::b::...` paths a file names, resolved to the longest module that exists.
fn imports(code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let path: String = code[at + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
        if let Some(m) = (1..=parts.len())
            .rev()
            .map(|k| parts[..k].join("/"))
            .find(|m| known.contains(m))
        {
            out.insert(m);
        }
    }
    out
}

#[test]
fn no_module_imports_from_a_higher_floor() {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut up = Vec::new();
    for (name, code) in &modules {
        let top = name.split('/').next().unwrap();
        for m in imports(code, &known) {
            let target = m.split('/').next().unwrap();
            if floor(target) > floor(top) {
                up.push(format!("{name} imports crate::{}", m.replace('/', "::")));
            }
        }
    }
    assert!(up.is_empty(), "imports that run up:\n{}", up.join("\n"));
}

#[test]
fn no_files_import_each_other_round_a_circle() {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    // A parent and its child modules are one unit here (a module holds its files).
    let related =
        |a: &str, b: &str| a.starts_with(&format!("{b}/")) || b.starts_with(&format!("{a}/"));
    let graph: BTreeMap<&str, Vec<String>> = modules
        .iter()
        .map(|(name, code)| {
            let mut to: Vec<String> = imports(code, &known)
                .into_iter()
                .filter(|m| m != name && !related(m, name))
                .collect();
            // `super::x` within the same directory.
            let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
            for (at, _) in code.match_indices("super::") {
                let next: String = code[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let sibling = if dir.is_empty() {
                    next
                } else {
                    format!("{dir}/{next}")
                };
                if known.contains(&sibling) && sibling != *name && !related(&sibling, name) {
                    to.push(sibling);
                }
            }
            (name.as_str(), to)
        })
        .collect();
    // Depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<&'a str, Vec<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(n, 1);
        path.push(n);
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| *p == m).unwrap();
                    return Some(path[start..].iter().map(|s| s.to_string()).collect());
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(g.get_key_value(m.as_str())?.0, g, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(n, 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if !state.contains_key(n) {
            let cycle = visit(n, &graph, &mut state, &mut Vec::new());
            assert!(cycle.is_none(), "files that import each other: {:?}", cycle);
        }
    }
}

/// A line with its string and character literals and its comment taken out, for counting
/// braces (raw strings with braces in them would fool it; src has none outside tests).
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' if matches!(chars.clone().nth(1), Some('\'')) || chars.peek() == Some(&'\\') => {
                // A character literal: skip to its closing quote.
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn no_function_is_longer_than_100_lines() {
    let mut long = Vec::new();
    for (name, code) in modules() {
        let lines: Vec<&str> = code.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let t = t
                .strip_prefix("pub(crate) ")
                .or(t.strip_prefix("pub(super) "))
                .or(t.strip_prefix("pub "))
                .unwrap_or(t);
            let t = t
                .strip_prefix("async ")
                .or(t.strip_prefix("const "))
                .unwrap_or(t);
            if !t.starts_with("fn ") {
                continue;
            }
            let mut depth = 0i64;
            let mut opened = false;
            for (j, l) in lines[i..].iter().enumerate() {
                let c = code_of(l);
                if !opened && c.trim_end().ends_with(';') {
                    break; // a declaration without a body
                }
                for ch in c.chars() {
                    match ch {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if opened && depth <= 0 {
                    if j + 1 > 100 {
                        long.push(format!("{name}:{} {} lines", i + 1, j + 1));
                    }
                    break;
                }
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over 100 lines:\n{}",
        long.join("\n")
    );
}
