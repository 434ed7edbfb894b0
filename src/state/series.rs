//! Which series a state record belongs to, as a type: a set of series counted together
//! (a model's feature drift, its outcomes, its new levels or one of its fairness checks)
//! and its one key
//! segment. The kind is never part of a name: a model is called what the config calls it.
//! Pure; the codec writes and reads the segment.
//!
//! A set's key segment is `<model>` (drift), `<model>~outcomes` or
//! `<model>~fairness~<check>`, as 0.1.0 wrote them, or `<model>~levels` (added since:
//! 0.1.0 finds no such set in its layout and leaves the panes alone). The names in it are escaped as every
//! key segment (`%` and `/` as `%25` and `%2F`) and `~` as `%7E`, so the segment splits on
//! `~` unambiguously whatever the names; a name without those characters is written as is
//! (config validation keeps `~` out of model names and check names are label-safe).

use std::borrow::Cow;
use std::fmt;

/// What the series of a set measure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SetKind {
    /// Every monitored feature's bins: PSI against the baseline.
    Drift,
    /// Every monitored feature's bins twice, goods then bads: IV and its drop.
    Outcomes,
    /// One feature's bins once per group of a fairness check: J per group.
    Fairness { check: String },
    /// Per categorical feature whose development levels are all known, two cells: rows
    /// with a known level (or none), rows with a level new since development.
    NewLevels,
}

/// A set of series counted together in one pane: the model's, of one kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SetId {
    pub model: String,
    pub kind: SetKind,
}

impl SetId {
    pub fn drift(model: &str) -> Self {
        Self::of(model, SetKind::Drift)
    }

    pub fn outcomes(model: &str) -> Self {
        Self::of(model, SetKind::Outcomes)
    }

    pub fn new_levels(model: &str) -> Self {
        Self::of(model, SetKind::NewLevels)
    }

    pub fn fairness(model: &str, check: &str) -> Self {
        Self::of(
            model,
            SetKind::Fairness {
                check: check.to_string(),
            },
        )
    }

    fn of(model: &str, kind: SetKind) -> Self {
        Self {
            model: model.to_string(),
            kind,
        }
    }

    /// The set as one key segment.
    pub fn segment(&self) -> String {
        let model = set_name(&self.model);
        match &self.kind {
            SetKind::Drift => model.into_owned(),
            SetKind::Outcomes => format!("{model}~outcomes"),
            SetKind::NewLevels => format!("{model}~levels"),
            SetKind::Fairness { check } => format!("{model}~fairness~{}", set_name(check)),
        }
    }

    /// The set of a key segment; `None` for a kind this release does not know.
    pub fn from_segment(text: &str) -> Option<Self> {
        let mut parts = text.split('~');
        let model = name_of(parts.next()?);
        let kind = match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => SetKind::Drift,
            (Some("outcomes"), None, _) => SetKind::Outcomes,
            (Some("levels"), None, _) => SetKind::NewLevels,
            (Some("fairness"), Some(check), None) => SetKind::Fairness {
                check: name_of(check),
            },
            _ => return None,
        };
        Some(Self { model, kind })
    }
}

/// For logs and the `model` label of `psimon_state_panes_discarded_total`: the segment's
/// text with the names unescaped.
impl fmt::Display for SetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SetKind::Drift => write!(f, "{}", self.model),
            SetKind::Outcomes => write!(f, "{}~outcomes", self.model),
            SetKind::NewLevels => write!(f, "{}~levels", self.model),
            SetKind::Fairness { check } => write!(f, "{}~fairness~{check}", self.model),
        }
    }
}

/// `name` as one key segment (`%` and `/` escaped); event subjects use it too.
pub(crate) fn segment(name: &str) -> Cow<'_, str> {
    if name.contains(['%', '/']) {
        name.replace('%', "%25").replace('/', "%2F").into()
    } else {
        name.into()
    }
}

/// A name within a set's segment: a segment with `~`, the kind's separator, escaped too.
fn set_name(name: &str) -> Cow<'_, str> {
    match segment(name) {
        s if s.contains('~') => s.replace('~', "%7E").into(),
        s => s,
    }
}

/// The name of a key segment; a `%` that starts no escape is itself.
pub(crate) fn name_of(segment: &str) -> String {
    if !segment.contains('%') {
        return segment.to_string();
    }
    let mut out = String::with_capacity(segment.len());
    let mut rest = segment;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let (text, skip) = match tail.get(..3).map(str::to_ascii_uppercase).as_deref() {
            Some("%25") => ("%", 3),
            Some("%2F") => ("/", 3),
            Some("%7E") => ("~", 3),
            _ => ("%", 1),
        };
        out.push_str(text);
        rest = &tail[skip..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_with_any_names() {
        for name in ["m", "a/b", "50%", "x~outcomes", "~", "%7E", "Ünï ~ c"] {
            for set in [
                SetId::drift(name),
                SetId::outcomes(name),
                SetId::new_levels(name),
                SetId::fairness(name, name),
                SetId::fairness("m", name),
            ] {
                assert_eq!(SetId::from_segment(&set.segment()), Some(set.clone()));
            }
        }
    }

    #[test]
    fn the_segments_of_0_1_0_read_as_their_kinds() {
        assert_eq!(SetId::from_segment("retail"), Some(SetId::drift("retail")));
        assert_eq!(
            SetId::from_segment("retail~outcomes"),
            Some(SetId::outcomes("retail"))
        );
        assert_eq!(
            SetId::from_segment("retail~fairness~by_region"),
            Some(SetId::fairness("retail", "by_region"))
        );
        assert_eq!(
            SetId::fairness("retail", "by_region").segment(),
            "retail~fairness~by_region"
        );
        assert_eq!(
            SetId::from_segment("retail~levels"),
            Some(SetId::new_levels("retail"))
        );
        assert_eq!(SetId::from_segment("retail~segments"), None);
        assert_eq!(SetId::from_segment("retail~outcomes~x"), None);
    }

    #[test]
    fn a_lone_percent_is_itself() {
        assert_eq!(name_of("50%"), "50%");
        assert_eq!(name_of("%2f%7e%zz"), "/~%zz");
    }
}
