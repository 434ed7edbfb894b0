//! The state topic's records, pure and versioned: keys name the input partition, model,
//! window and pane (readable with kcat); values are compact binary with a format version.
//! Nothing here does I/O.
//!
//! Keys:
//! - `pane/<topic>/<partition>/<set>/<window>/<pane id>`: a pane's counts; `<set>` is
//!   the model, `<model>~outcomes` or `<model>~fairness~<check>` ([`SetId`]).
//! - `offset/<topic>/<partition>`: the next input offset the partition's panes account for;
//!   written last in every transaction that touches the partition.
//! - `drift/<set>/<window>/<series...>`: the drift state last published for a series
//!   (`<feature>`, `<feature>/population`, or a fairness check's `<group>`).
//!
//! Every name in a key is one segment: `%` and `/` in it are escaped as `%25` and `%2F`,
//! so any UTF-8 name round-trips (a fairness group `a/b/c` broke its key before) and
//! names without either are written as earlier releases wrote them.
//!
//! A pane value: version u8, model fingerprint u64, window fingerprint u64, `as_of` i64 (the
//! offset record it was written with), min and max event time i64, then LEB128 varints:
//! baseline id length and bytes, applications, number of counts, counts.

use thiserror::Error;

pub use super::series::{SetId, SetKind};
use super::series::{name_of, segment};

/// The value format written; a reader refuses others.
pub const FORMAT_VERSION: u8 = 1;

#[derive(Debug, Error, PartialEq)]
pub enum CodecError {
    #[error("state key {0:?} is not one psimon writes")]
    Key(String),
    #[error("state value of format version {0}; this psimon reads version {FORMAT_VERSION}")]
    Version(u8),
    #[error("state value is truncated or malformed")]
    Malformed,
}

/// An input partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionId {
    pub topic: String,
    pub partition: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PaneKey {
    pub set: SetId,
    pub window: String,
    pub part: PartitionId,
    pub pane: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DriftKey {
    pub set: SetId,
    pub window: String,
    /// The series in the set, one segment a name: `[feature]`, `[feature, "population"]`
    /// for its population bins, or `[group]` for a fairness check.
    pub series: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateKey {
    Pane(PaneKey),
    Offset(PartitionId),
    Drift(DriftKey),
}

impl StateKey {
    pub fn encode(&self) -> String {
        match self {
            StateKey::Pane(k) => format!(
                "pane/{}/{}/{}/{}/{}",
                k.part.topic,
                k.part.partition,
                k.set.segment(),
                segment(&k.window),
                k.pane
            ),
            StateKey::Offset(p) => format!("offset/{}/{}", p.topic, p.partition),
            StateKey::Drift(k) => {
                let mut key = format!("drift/{}/{}", k.set.segment(), segment(&k.window));
                for s in &k.series {
                    key.push('/');
                    key.push_str(&segment(s));
                }
                key
            }
        }
    }

    pub fn decode(raw: &[u8]) -> Result<Self, CodecError> {
        let text = std::str::from_utf8(raw)
            .map_err(|_| CodecError::Key(String::from_utf8_lossy(raw).into_owned()))?;
        let bad = || CodecError::Key(text.to_string());
        let parts: Vec<&str> = text.split('/').collect();
        let int = |s: &str| s.parse::<i64>().map_err(|_| bad());
        let set = |s: &str| SetId::from_segment(s).ok_or_else(bad);
        let part = |t: &str, p: &str| -> Result<PartitionId, CodecError> {
            Ok(PartitionId {
                topic: t.to_string(),
                partition: p.parse().map_err(|_| bad())?,
            })
        };
        match parts.as_slice() {
            ["pane", t, p, m, w, id] => Ok(StateKey::Pane(PaneKey {
                set: set(m)?,
                window: name_of(w),
                part: part(t, p)?,
                pane: int(id)?,
            })),
            ["offset", t, p] => Ok(StateKey::Offset(part(t, p)?)),
            ["drift", m, w, series @ ..] if (1..=2).contains(&series.len()) => {
                Ok(StateKey::Drift(DriftKey {
                    set: set(m)?,
                    window: name_of(w),
                    series: series.iter().map(|s| name_of(s)).collect(),
                }))
            }
            _ => Err(bad()),
        }
    }
}

/// A pane as stored: the counts flat (feature after feature) with what identifies the
/// shape and window they were counted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneRecord {
    pub model_fingerprint: u64,
    pub window_fingerprint: u64,
    pub baseline_id: String,
    /// The partition's next offset at the checkpoint that wrote this pane.
    pub as_of: i64,
    pub min_ms: i64,
    pub max_ms: i64,
    pub applications: u64,
    pub counts: Vec<u64>,
}

pub fn encode_pane(r: &PaneRecord, out: &mut Vec<u8>) {
    out.clear();
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&r.model_fingerprint.to_le_bytes());
    out.extend_from_slice(&r.window_fingerprint.to_le_bytes());
    out.extend_from_slice(&r.as_of.to_le_bytes());
    out.extend_from_slice(&r.min_ms.to_le_bytes());
    out.extend_from_slice(&r.max_ms.to_le_bytes());
    put_prefixed(out, r.baseline_id.as_bytes());
    put_varint(out, r.applications);
    put_varint(out, r.counts.len() as u64);
    for &c in &r.counts {
        put_varint(out, c);
    }
}

pub fn decode_pane(raw: &[u8]) -> Result<PaneRecord, CodecError> {
    let mut r = Reader { raw, at: 0 };
    r.version()?;
    let model_fingerprint = r.u64()?;
    let window_fingerprint = r.u64()?;
    let as_of = r.u64()? as i64;
    let min_ms = r.u64()? as i64;
    let max_ms = r.u64()? as i64;
    let baseline_id = std::str::from_utf8(r.prefixed()?)
        .map_err(|_| CodecError::Malformed)?
        .to_string();
    let applications = r.varint()?;
    let n = r.varint()? as usize;
    if n > raw.len() {
        return Err(CodecError::Malformed);
    }
    let counts = (0..n).map(|_| r.varint()).collect::<Result<Vec<_>, _>>()?;
    if r.at != raw.len() {
        return Err(CodecError::Malformed);
    }
    Ok(PaneRecord {
        model_fingerprint,
        window_fingerprint,
        baseline_id,
        as_of,
        min_ms,
        max_ms,
        applications,
        counts,
    })
}

pub fn encode_offset(next_offset: i64) -> Vec<u8> {
    let mut out = vec![FORMAT_VERSION];
    out.extend_from_slice(&next_offset.to_le_bytes());
    out
}

pub fn decode_offset(raw: &[u8]) -> Result<i64, CodecError> {
    let mut r = Reader { raw, at: 0 };
    r.version()?;
    let v = r.u64()? as i64;
    if r.at != raw.len() {
        return Err(CodecError::Malformed);
    }
    Ok(v)
}

/// A drift state as published: the state (0 ok, 1 warning, 2 alert) and the baseline id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftRecord {
    pub state: u8,
    pub baseline_id: String,
}

pub fn encode_drift(r: &DriftRecord) -> Vec<u8> {
    let mut out = vec![FORMAT_VERSION, r.state];
    put_prefixed(&mut out, r.baseline_id.as_bytes());
    out
}

pub fn decode_drift(raw: &[u8]) -> Result<DriftRecord, CodecError> {
    let mut r = Reader { raw, at: 0 };
    r.version()?;
    let state = r.bytes(1)?[0];
    let baseline_id = std::str::from_utf8(r.prefixed()?)
        .map_err(|_| CodecError::Malformed)?
        .to_string();
    if r.at != raw.len() || state > 2 {
        return Err(CodecError::Malformed);
    }
    Ok(DriftRecord { state, baseline_id })
}

/// FNV-1a, 64 bits: a stable fingerprint of a canonical text (not a security hash).
pub fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `bytes` after their length, a varint (`Reader::prefixed` reads them back).
pub(crate) fn put_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Zig-zag: small negative and positive integers both become small varints.
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// A cursor over an encoded value (shared with the join's records).
pub(crate) struct Reader<'a> {
    raw: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(raw: &'a [u8]) -> Self {
        Self { raw, at: 0 }
    }

    pub(crate) fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn zigzag(&mut self) -> Result<i64, CodecError> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// Whether every byte has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.at == self.raw.len()
    }

    /// Refuses trailing bytes.
    pub(crate) fn finish(&self) -> Result<(), CodecError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(CodecError::Malformed)
        }
    }

    /// Bytes written by `put_prefixed`.
    pub(crate) fn prefixed(&mut self) -> Result<&'a [u8], CodecError> {
        let n = usize::try_from(self.varint()?).map_err(|_| CodecError::Malformed)?;
        self.bytes(n)
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.at.checked_add(n).ok_or(CodecError::Malformed)?;
        let s = self.raw.get(self.at..end).ok_or(CodecError::Malformed)?;
        self.at = end;
        Ok(s)
    }

    fn version(&mut self) -> Result<(), CodecError> {
        match self.bytes(1)?[0] {
            FORMAT_VERSION => Ok(()),
            v => Err(CodecError::Version(v)),
        }
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        let b = self.bytes(8)?;
        Ok(u64::from_le_bytes(
            b.try_into().map_err(|_| CodecError::Malformed)?,
        ))
    }

    pub(crate) fn varint(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.bytes(1)?[0];
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> PaneRecord {
        PaneRecord {
            model_fingerprint: 0xdead_beef,
            window_fingerprint: 7,
            baseline_id: "sha256:abc".into(),
            as_of: 12_345,
            min_ms: -5,
            max_ms: 1_795_942_800_000,
            applications: 300,
            counts: vec![0, 1, 127, 128, 300, u64::MAX],
        }
    }

    #[test]
    fn pane_round_trips_and_refuses_damage() {
        let mut buf = Vec::new();
        encode_pane(&record(), &mut buf);
        assert_eq!(decode_pane(&buf), Ok(record()));
        for cut in 0..buf.len() {
            assert!(decode_pane(&buf[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = buf.clone();
        longer.push(0);
        assert_eq!(decode_pane(&longer), Err(CodecError::Malformed));
        buf[0] = 9;
        assert_eq!(decode_pane(&buf), Err(CodecError::Version(9)));
    }

    #[test]
    fn keys_round_trip() {
        let keys = [
            StateKey::Pane(PaneKey {
                set: SetId::drift("retail_v3"),
                window: "24h".into(),
                part: PartitionId {
                    topic: "apps.v1".into(),
                    partition: 11,
                },
                pane: -3,
            }),
            StateKey::Offset(PartitionId {
                topic: "apps".into(),
                partition: 0,
            }),
            StateKey::Drift(DriftKey {
                set: SetId::drift("m"),
                window: "w".into(),
                series: vec!["income".into()],
            }),
            StateKey::Drift(DriftKey {
                set: SetId::drift("m"),
                window: "w".into(),
                series: vec!["income".into(), "population".into()],
            }),
        ];
        for k in keys {
            assert_eq!(StateKey::decode(k.encode().as_bytes()), Ok(k.clone()));
        }
        assert!(StateKey::decode(b"pane/t/x/m/w/1").is_err());
        assert!(StateKey::decode(b"other").is_err());
    }

    #[test]
    fn any_utf8_name_round_trips_and_plain_names_keep_the_keys_of_0_1_0() {
        let odd = ["a/b/c", "50%", "%2F", "x%", "Ünïcode ~ group", "/", "%%2f%"];
        for name in odd {
            let keys = [
                StateKey::Drift(DriftKey {
                    set: SetId::fairness(name, name),
                    window: name.into(),
                    series: vec![name.into()],
                }),
                StateKey::Pane(PaneKey {
                    set: SetId::outcomes(name),
                    window: name.into(),
                    part: PartitionId {
                        topic: "t".into(),
                        partition: 0,
                    },
                    pane: 7,
                }),
            ];
            for k in keys {
                assert_eq!(
                    StateKey::decode(k.encode().as_bytes()),
                    Ok(k.clone()),
                    "{name}"
                );
            }
        }
        // What 0.1.0 wrote (tests/data/state-0.1.0) reads as it did.
        let old = StateKey::decode(b"drift/retail_v3/1h/employment_type/population").unwrap();
        assert_eq!(
            old,
            StateKey::Drift(DriftKey {
                set: SetId::drift("retail_v3"),
                window: "1h".into(),
                series: vec!["employment_type".into(), "population".into()],
            })
        );
        assert_eq!(
            old.encode(),
            "drift/retail_v3/1h/employment_type/population"
        );
        let group = StateKey::Drift(DriftKey {
            set: SetId::fairness("m", "c"),
            window: "w".into(),
            series: vec!["a/b/c".into()],
        });
        assert_eq!(group.encode(), "drift/m~fairness~c/w/a%2Fb%2Fc");
    }

    #[test]
    fn offsets_and_drift_round_trip() {
        assert_eq!(decode_offset(&encode_offset(42)), Ok(42));
        let d = DriftRecord {
            state: 2,
            baseline_id: "b".into(),
        };
        assert_eq!(decode_drift(&encode_drift(&d)), Ok(d));
        assert_ne!(fingerprint("time:1:2:3"), fingerprint("time:1:2:4"));
    }
}
