//! What the join keeps per application id, and its binary form (the same bytes go to the
//! on-disk store and, later, to the changelog topic). Pure: no I/O.
//!
//! Value layout: a version byte, a kind byte, then varints (times zig-zag encoded).

use crate::state::codec::{CodecError, Reader, put_varint, zigzag};

const VERSION: u8 = 1;
const KIND_APP: u8 = 1;
const KIND_OUTCOME: u8 = 2;
const KIND_JOINED: u8 = 3;

/// An application waiting for its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingApp {
    /// The model's index in the plan.
    pub model: u16,
    /// Application (event) time, epoch ms.
    pub app_ms: i64,
    /// The bin of every series of the model, in the plan's order.
    pub bins: Vec<u16>,
}

/// An outcome that arrived before its application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeSeen {
    pub bad: bool,
    /// Outcome time, epoch ms.
    pub outcome_ms: i64,
}

/// The join's state for one application id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Pending(PendingApp),
    Early(OutcomeSeen),
    /// Joined already; kept until the horizon so that a repeated outcome counts once.
    Joined {
        app_ms: i64,
    },
}

impl Entry {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION];
        match self {
            Entry::Pending(a) => {
                out.push(KIND_APP);
                put_varint(&mut out, u64::from(a.model));
                put_varint(&mut out, zigzag(a.app_ms));
                put_varint(&mut out, a.bins.len() as u64);
                for &b in &a.bins {
                    put_varint(&mut out, u64::from(b));
                }
            }
            Entry::Early(o) => {
                out.push(KIND_OUTCOME);
                out.push(u8::from(o.bad));
                put_varint(&mut out, zigzag(o.outcome_ms));
            }
            Entry::Joined { app_ms } => {
                out.push(KIND_JOINED);
                put_varint(&mut out, zigzag(*app_ms));
            }
        }
        out
    }

    pub fn decode(raw: &[u8]) -> Result<Entry, CodecError> {
        let mut r = Reader::new(raw);
        let version = r.byte()?;
        if version != VERSION {
            return Err(CodecError::Version(version));
        }
        let entry = match r.byte()? {
            KIND_APP => {
                let model = u16::try_from(r.varint()?).map_err(|_| CodecError::Malformed)?;
                let app_ms = r.zigzag()?;
                let n = usize::try_from(r.varint()?).map_err(|_| CodecError::Malformed)?;
                if n > raw.len() {
                    return Err(CodecError::Malformed);
                }
                let bins = (0..n)
                    .map(|_| u16::try_from(r.varint()?).map_err(|_| CodecError::Malformed))
                    .collect::<Result<Vec<u16>, CodecError>>()?;
                Entry::Pending(PendingApp {
                    model,
                    app_ms,
                    bins,
                })
            }
            KIND_OUTCOME => {
                let bad = match r.byte()? {
                    0 => false,
                    1 => true,
                    _ => return Err(CodecError::Malformed),
                };
                Entry::Early(OutcomeSeen {
                    bad,
                    outcome_ms: r.zigzag()?,
                })
            }
            KIND_JOINED => Entry::Joined {
                app_ms: r.zigzag()?,
            },
            _ => return Err(CodecError::Malformed),
        };
        r.finish()?;
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_damage_is_refused() {
        let entries = [
            Entry::Pending(PendingApp {
                model: 3,
                app_ms: -5,
                bins: vec![0, 7, 65_535],
            }),
            Entry::Early(OutcomeSeen {
                bad: true,
                outcome_ms: 1_796_025_600_000,
            }),
            Entry::Joined { app_ms: 42 },
        ];
        for e in entries {
            let bytes = e.encode();
            assert_eq!(Entry::decode(&bytes), Ok(e.clone()));
            assert!(Entry::decode(&bytes[..bytes.len() - 1]).is_err());
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(Entry::decode(&longer).is_err());
        }
        assert!(Entry::decode(&[9, 1]).is_err());
    }
}
