//! Java Kafka's default partitioner for keyed records (`Utils.murmur2`, then `toPositive`
//! modulo the partition count; librdkafka's `murmur2_random` for non-empty keys): the
//! repartition topic puts an application id's outcome in the partition number where
//! producers using that partitioner put the application. Pure.

/// Kafka's murmur2 of `data` (seed 0x9747b28c), as Java's `Utils.murmur2` returns it.
pub fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    let mut h: u32 = 0x9747_b28c ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M) ^ k;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, &b) in rest.iter().enumerate().rev() {
            h ^= u32::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition of `key` among `partitions`.
pub fn partition_of(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_java_kafka_utils_murmur2() {
        // Kafka's UtilsTest and Akka's Murmur2Spec (checked against the Java client).
        for (key, want) in [
            ("21", -973_932_308),
            ("foobar", -790_332_482),
            ("abc", 479_470_107),
            ("1", -1_993_445_489),
            ("12", 126_087_238),
            ("123", -267_702_483),
            ("1234", -1_614_185_708),
            ("12345", -1_188_365_604),
        ] {
            assert_eq!(murmur2(key.as_bytes()), want, "{key}");
        }
        assert_eq!(partition_of(b"1", 3), (-1_993_445_489i32 & 0x7fff_ffff) % 3);
    }
}
