//! Fairness in its own words: J between a group and the reference group is computed by the
//! IV core (group = goods, reference = bads), but what users read must speak of groups.
//! The JSON of a J object and the errors of a comparison, renamed; no statistics here.

use serde_json::{Map, Value};

use crate::stats::{IvStats, StatsError};

/// The IV core's field names and their names for a fairness comparison.
const RENAMES: [(&str, &str); 9] = [
    ("iv", "j"),
    ("G", "group_applications"),
    ("B", "reference_applications"),
    ("p_goods", "p_group"),
    ("q_bads", "q_reference"),
    ("woe", "log_ratio"),
    ("woe_se", "log_ratio_se"),
    ("woe_ci_lower", "log_ratio_ci_lower"),
    ("woe_ci_upper", "log_ratio_ci_upper"),
];

/// The J object of one group against the reference, with the fields named for groups.
pub fn j_json(s: &IvStats) -> Value {
    let Ok(Value::Object(fields)) = serde_json::to_value(s) else {
        return Value::Null;
    };
    let renamed: Map<String, Value> = fields
        .into_iter()
        .map(|(k, v)| {
            let name = RENAMES
                .iter()
                .find(|(from, _)| *from == k)
                .map_or(k.clone(), |(_, to)| (*to).to_string());
            (name, v)
        })
        .collect();
    Value::Object(renamed)
}

/// Why a group could not be compared with the reference, in terms of groups.
pub fn group_error(e: &StatsError, group: &str, reference: &str) -> String {
    match e {
        StatsError::ZeroTotal { vector: "goods" } => {
            format!("group {group} has no applications here")
        }
        StatsError::ZeroTotal { vector: "bads" } => {
            format!("the reference group {reference} has no applications here")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{IvOptions, iv};

    #[test]
    fn a_comparison_speaks_of_groups() {
        let s = iv(&[30.0, 70.0], &[50.0, 50.0], IvOptions::default()).unwrap();
        let v = j_json(&s);
        assert_eq!(v["j"], s.iv);
        assert_eq!(v["group_applications"], 100.0);
        assert_eq!(v["reference_applications"], 100.0);
        for gone in ["iv", "G", "B", "p_goods", "q_bads", "woe"] {
            assert!(v.get(gone).is_none(), "{gone} in {v}");
        }
        let empty = iv(&[0.0, 0.0], &[50.0, 50.0], IvOptions::default()).unwrap_err();
        assert_eq!(
            group_error(&empty, "B", "A"),
            "group B has no applications here"
        );
        let no_ref = iv(&[5.0, 5.0], &[0.0, 0.0], IvOptions::default()).unwrap_err();
        assert_eq!(
            group_error(&no_ref, "B", "A"),
            "the reference group A has no applications here"
        );
    }
}
