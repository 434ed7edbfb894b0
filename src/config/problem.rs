//! One problem of a configuration (`path = value: why`) and the paths it is named by:
//! `kafka.brokers`, `windows[0].length`, as serde_path_to_error writes them. Finding,
//! removing and setting values of a TOML document by such a path lives here too, because
//! the config check repairs the document as it goes. Pure.

use std::fmt;

use toml::{Table, Value};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub path: String,
    /// The value as written, or as psimon read it where it was not written.
    pub value: Option<String>,
    pub why: String,
}

impl Problem {
    pub(crate) fn new(path: &str, value: Option<String>, why: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            value,
            why: why.into(),
        }
    }
}

/// Whether `inner` is `outer` or a path below it.
pub(crate) fn within(inner: &str, outer: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[', ' ', ':']))
}

/// Whether the text of a problem names `path` anywhere (a problem of one value that is
/// checked against another names the other).
pub(crate) fn mentions(text: &str, path: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(path).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + path.len()..].chars().next();
        !before.is_some_and(|c| word(c) || c == '.') && !after.is_some_and(|c| word(c) || c == '[')
    })
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{} = {}: {}", self.path, v, self.why),
            None => write!(f, "{}: {}", self.path, self.why),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// The segments of a path; "." and "" are the document itself.
fn segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    if path == "." {
        return out;
    }
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        while let Some((n, after)) = rest.split_once(']') {
            if let Ok(i) = n.parse() {
                out.push(Seg::Index(i));
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    out
}

/// How many segments from `segs` name one child of `value`, and that child. Key segments
/// are joined back where a table has a key with dots in it (`kafka.properties.sasl.username`
/// is the key `sasl.username` of `properties`).
fn child_len(value: &Value, segs: &[Seg]) -> Option<usize> {
    match (value, segs.first()?) {
        (Value::Array(a), Seg::Index(i)) => (*i < a.len()).then_some(1),
        (Value::Table(t), Seg::Key(_)) => {
            let mut key = String::new();
            for (n, s) in segs.iter().enumerate() {
                let Seg::Key(k) = s else { break };
                if n > 0 {
                    key.push('.');
                }
                key.push_str(k);
                if t.contains_key(&key) {
                    return Some(n + 1);
                }
            }
            None
        }
        _ => None,
    }
}

fn key_of(segs: &[Seg]) -> String {
    segs.iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn child_mut<'v>(value: &'v mut Value, segs: &[Seg], len: usize) -> Option<&'v mut Value> {
    match value {
        Value::Array(a) => match segs[0] {
            Seg::Index(i) => a.get_mut(i),
            Seg::Key(_) => None,
        },
        Value::Table(t) => t.get_mut(&key_of(&segs[..len])),
        _ => None,
    }
}

/// The value at `path`, if the document has one.
pub(crate) fn get<'v>(doc: &'v Value, path: &str) -> Option<&'v Value> {
    let segs = segments(path);
    let mut at = doc;
    let mut i = 0;
    while i < segs.len() {
        let len = child_len(at, &segs[i..])?;
        at = match at {
            Value::Array(a) => match segs[i] {
                Seg::Index(n) => &a[n],
                Seg::Key(_) => return None,
            },
            Value::Table(t) => &t[&key_of(&segs[i..i + len])],
            _ => return None,
        };
        i += len;
    }
    Some(at)
}

/// The parent of the value at `path` and the segments naming it there.
fn parent_mut<'v>(doc: &'v mut Value, path: &str) -> Option<(&'v mut Value, Vec<Seg>)> {
    let segs = segments(path);
    let mut at = doc;
    let mut i = 0;
    loop {
        let len = child_len(at, &segs[i..])?;
        if i + len == segs.len() {
            return Some((at, segs[i..].to_vec()));
        }
        at = child_mut(at, &segs[i..], len)?;
        i += len;
    }
}

/// Removes the value at `path` (an array element becomes an empty table: removing it
/// would renumber the rest); false if there is none.
pub(crate) fn remove(doc: &mut Value, path: &str) -> bool {
    match parent_mut(doc, path) {
        Some((Value::Table(t), segs)) => t.remove(&key_of(&segs)).is_some(),
        Some((Value::Array(a), segs)) => match segs[0] {
            Seg::Index(i) => {
                a[i] = Value::Table(Table::new());
                true
            }
            Seg::Key(_) => false,
        },
        _ => false,
    }
}

/// The value at the segments `segs` below `at`, to change.
fn value_mut<'v>(at: &'v mut Value, segs: &[Seg]) -> Option<&'v mut Value> {
    if segs.is_empty() {
        return Some(at);
    }
    let len = child_len(at, segs)?;
    value_mut(child_mut(at, segs, len)?, &segs[len..])
}

/// Replaces the value at `path`; false if there is none.
pub(crate) fn replace(doc: &mut Value, path: &str, value: Value) -> bool {
    match value_mut(doc, &segments(path)) {
        Some(at) => {
            *at = value;
            true
        }
        None => false,
    }
}

/// Sets `key` of the table at `path` ("." for the document).
pub(crate) fn insert(doc: &mut Value, path: &str, key: &str, value: Value) -> bool {
    match value_mut(doc, &segments(path)) {
        Some(Value::Table(t)) => {
            t.insert(key.to_string(), value);
            true
        }
        _ => false,
    }
}

/// A value as it reads in the file, shortened where it is a whole table or a long array.
pub(crate) fn written(value: &Value) -> String {
    match value {
        Value::Table(_) => "{…}".to_string(),
        v => {
            let text = v.to_string();
            if text.chars().count() > 80 {
                "[…]".to_string()
            } else {
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        Value::Table(text.parse::<Table>().unwrap())
    }

    #[test]
    fn paths_find_nested_values_array_elements_and_keys_with_dots() {
        let d = doc(
            "[kafka]\nbrokers = \"a:1\"\n[kafka.properties]\n\"sasl.username\" = \"u\"\n[[windows]]\nname = \"w\"\n",
        );
        assert_eq!(get(&d, "kafka.brokers").unwrap().as_str(), Some("a:1"));
        assert_eq!(
            get(&d, "kafka.properties.sasl.username").unwrap().as_str(),
            Some("u")
        );
        assert_eq!(get(&d, "windows[0].name").unwrap().as_str(), Some("w"));
        assert!(get(&d, "windows[1].name").is_none());
        assert!(get(&d, ".").is_some());
    }

    #[test]
    fn values_are_removed_replaced_and_inserted_by_path() {
        let mut d = doc("[kafka]\nbrokers = \"a:1\"\n[[windows]]\nname = \"w\"\n");
        assert!(remove(&mut d, "kafka.brokers"));
        assert!(get(&d, "kafka.brokers").is_none());
        assert!(!remove(&mut d, "kafka.brokers"));
        assert!(replace(
            &mut d,
            "windows[0].name",
            Value::String("v".into())
        ));
        assert_eq!(get(&d, "windows[0].name").unwrap().as_str(), Some("v"));
        assert!(insert(
            &mut d,
            "windows[0]",
            "kind",
            Value::String("time".into())
        ));
        assert!(insert(&mut d, ".", "models", Value::Array(vec![])));
        assert_eq!(get(&d, "windows[0].kind").unwrap().as_str(), Some("time"));
        assert!(get(&d, "models").is_some());
    }
}
