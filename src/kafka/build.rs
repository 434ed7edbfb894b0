//! What this build's librdkafka can do (its `builtin.features`): `psimon --version` shows
//! it, and a test holds it to what docs/security.md promises (TLS, every SASL mechanism, every
//! codec), so a build that lost one is caught before a user meets it.

use rdkafka::config::ClientConfig;
use rdkafka::util::get_rdkafka_version;

/// librdkafka's `builtin.features`, comma-separated.
pub(crate) fn builtin_features() -> String {
    ClientConfig::new()
        .create_native_config()
        .and_then(|c| c.get("builtin.features"))
        .unwrap_or_default()
}

/// `psimon --version`'s text: psimon's version, librdkafka's and its features.
pub(crate) fn long_version() -> String {
    format!(
        "{}\nlibrdkafka {} ({})",
        env!("CARGO_PKG_VERSION"),
        get_rdkafka_version().1,
        builtin_features()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What docs/security.md promises: TLS, SASL PLAIN/SCRAM/GSSAPI/OAUTHBEARER (with OIDC), and the
    /// codecs gzip, snappy, lz4 and zstd.
    const PROMISED: &[&str] = &[
        "ssl",
        "sasl",
        "sasl_plain",
        "sasl_scram",
        "sasl_gssapi",
        "sasl_oauthbearer",
        "oidc",
        "gzip",
        "snappy",
        "lz4",
        "zstd",
    ];

    /// The promised features this build lacks.
    fn missing() -> Vec<&'static str> {
        let have = builtin_features();
        let have: Vec<&str> = have.split(',').collect();
        PROMISED
            .iter()
            .copied()
            .filter(|f| !have.contains(f))
            .collect()
    }

    #[test]
    fn this_build_has_every_promised_protocol_mechanism_and_codec() {
        assert_eq!(missing(), Vec::<&str>::new(), "{}", builtin_features());
    }
}
