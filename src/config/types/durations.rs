//! Durations in the config as text ("15s", "24h", "1h 30m").

/// Durations as text: "15s", "24h", "1h 30m".
pub(super) mod humantime_serde_compat {
    use serde::Deserializer;
    use serde::de::{Error, Visitor};
    use std::fmt;
    use std::time::Duration;

    struct Text;

    impl Visitor<'_> for Text {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a duration as text with a unit, like \"15s\"")
        }

        fn visit_str<E: Error>(self, text: &str) -> Result<Duration, E> {
            humantime::parse_duration(text).map_err(|e| {
                E::custom(format!("not a duration ({e}); write e.g. \"15s\", \"24h\""))
            })
        }

        fn visit_i64<E: Error>(self, _: i64) -> Result<Duration, E> {
            Err(E::custom(
                "a bare number has no unit; write a duration as text, e.g. \"15s\", \"24h\"",
            ))
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<Duration, E> {
            self.visit_i64(v as i64)
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<Duration, E> {
            self.visit_i64(v as i64)
        }
    }

    pub(in crate::config) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Duration, D::Error> {
        d.deserialize_any(Text)
    }
}

pub(super) mod optional_duration {
    use serde::Deserializer;
    use std::time::Duration;

    pub(in crate::config) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        super::humantime_serde_compat::deserialize(d).map(Some)
    }
}
