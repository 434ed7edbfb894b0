//! `[kafka.properties]` checked offline, the way librdkafka will take them: its own list of
//! properties (for unknown names, with a did-you-mean), its own verdict on each value, the
//! files it will read, and the pairs that only fail at connection time (a SASL mechanism
//! without a username or password). Nothing connects: `check-config` lists these with
//! the other problems instead of `run` failing on the first.
//!
//! Owns the checks and the list of known names; it prints nothing (values are the
//! caller's to redact) and reads no secret.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use rdkafka::ClientConfig;
use rdkafka::bindings as rd;

/// Every property name librdkafka knows (global and topic-level), from its own table
/// (`rd_kafka_conf_properties_show`, the text of its CONFIGURATION.md).
pub(crate) fn known() -> &'static [String] {
    static KNOWN: OnceLock<Vec<String>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut names: Vec<String> = property_table()
            .lines()
            .filter_map(|l| l.split_once('|').map(|(name, _)| name.trim()))
            .filter(|n| !n.is_empty() && *n != "Property" && !n.starts_with('-'))
            .map(String::from)
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

/// librdkafka's table of properties, written to a temporary file and read back.
fn property_table() -> String {
    use std::io::{Read, Seek};
    use std::os::fd::AsRawFd;
    let Ok(mut file) = tempfile::tempfile() else {
        return String::new();
    };
    // SAFETY: `fdopen` gets a duplicate of the file's descriptor, so `fclose` closes only
    // that one; the FILE is used by librdkafka only during the call.
    unsafe {
        let fd = libc::dup(file.as_raw_fd());
        let fp = libc::fdopen(fd, c"w".as_ptr());
        if fp.is_null() {
            libc::close(fd);
            return String::new();
        }
        rd::rd_kafka_conf_properties_show(fp);
        libc::fclose(fp);
    }
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
    text
}

pub(crate) fn is_known(key: &str) -> bool {
    known().binary_search_by(|k| k.as_str().cmp(key)).is_ok()
}

/// The known name closest to `key`, if it is close (a typo).
fn did_you_mean(key: &str) -> Option<&'static str> {
    known()
        .iter()
        .map(|k| (strsim::damerau_levenshtein(key, k), k))
        .filter(|(d, _)| *d <= 3.max(key.len() / 8))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Sets each of `defaults` that `cfg` does not set already (a `[kafka.properties]` entry
/// or a `-X` wins over psimon's default), under any of its names: librdkafka takes
/// `compression.codec` and `compression.type` for one property, and the later set wins.
pub(crate) fn set_defaults<'a>(
    cfg: &mut ClientConfig,
    defaults: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let mut taken: Vec<String> = cfg
        .config_map()
        .keys()
        .map(|set| canonical(set).to_string())
        .collect();
    for (k, v) in defaults {
        if !taken.iter().any(|t| t == canonical(k)) {
            cfg.set(k, v);
            taken.push(canonical(k).to_string());
        }
    }
}

/// The property `key` names: itself, or the one it is an alias of.
fn canonical(key: &str) -> &str {
    aliases().get(key).map_or(key, String::as_str)
}

/// Alias -> property, from the "Alias for `...`" of librdkafka's table.
fn aliases() -> &'static BTreeMap<String, String> {
    static ALIASES: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    ALIASES.get_or_init(|| {
        property_table()
            .lines()
            .filter_map(|l| {
                let name = l.split('|').next()?.trim();
                let (_, rest) = l.split_once("Alias for `")?;
                let (target, _) = rest.split_once('`')?;
                Some((name.to_string(), target.to_string()))
            })
            .collect()
    })
}

/// Properties naming files librdkafka reads when a client starts.
const FILE_PROPERTIES: &[&str] = &[
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.key.location",
    "ssl.keystore.location",
    "ssl.crl.location",
    "sasl.kerberos.keytab",
];

/// The problems of `props` (every value already known: secret files merged in), each as
/// `kafka.properties."key" = "value": why`.
pub(crate) fn problems(props: &BTreeMap<String, String>) -> Vec<String> {
    let at = |k: &str, v: &str| format!("kafka.properties.\"{k}\" = \"{v}\"");
    let mut out = Vec::new();
    for (k, v) in props {
        if !is_known(k) {
            let hint =
                did_you_mean(k).map_or(String::new(), |m| format!(" (did you mean \"{m}\"?)"));
            out.push(format!(
                "{}: librdkafka has no such property{hint}",
                at(k, v)
            ));
        } else if let Err(e) = ClientConfig::new().set(k, v).create_native_config() {
            out.push(format!("{}: librdkafka refuses it: {e}", at(k, v)));
        } else if FILE_PROPERTIES.contains(&k.as_str())
            && !v.is_empty()
            && v != "probe"
            && std::fs::File::open(Path::new(v)).is_err()
        {
            out.push(format!("{}: the file cannot be read", at(k, v)));
        }
    }
    out.extend(sasl_problems(props));
    out
}

/// A mechanism that needs a username and password, without them; SSL with no CA to check
/// the brokers against.
fn sasl_problems(props: &BTreeMap<String, String>) -> Vec<String> {
    let get = |k: &str| props.get(k).map(String::as_str).unwrap_or_default();
    let protocol = get("security.protocol").to_ascii_uppercase();
    let mechanism = props
        .get("sasl.mechanisms")
        .or_else(|| props.get("sasl.mechanism"))
        .map_or("GSSAPI", String::as_str)
        .to_ascii_uppercase();
    let mut out = Vec::new();
    let needs_password = mechanism == "PLAIN" || mechanism.starts_with("SCRAM-");
    if protocol.starts_with("SASL_") && needs_password {
        for k in ["sasl.username", "sasl.password"] {
            if get(k).is_empty() {
                out.push(format!(
                    "kafka.properties.\"{k}\": missing; SASL mechanism {mechanism} needs it (a password can come from [kafka.secret_files])"
                ));
            }
        }
    }
    let tls = protocol == "SSL" || protocol == "SASL_SSL";
    let ca_given = !get("ssl.ca.location").is_empty() || !get("ssl.ca.pem").is_empty();
    if tls && !ca_given && !system_ca_present() {
        out.push(format!(
            "kafka.properties.\"security.protocol\" = \"{protocol}\": no CA to check the brokers' certificates against: set \"ssl.ca.location\" (this system has no CA bundle)"
        ));
    }
    out
}

/// Whether OpenSSL finds a CA bundle of the system (or `SSL_CERT_FILE`).
fn system_ca_present() -> bool {
    std::env::var_os("SSL_CERT_FILE").is_some_and(|f| Path::new(&f).exists())
        || Path::new("/etc/ssl/certs/ca-certificates.crt").exists()
        || Path::new("/etc/pki/tls/certs/ca-bundle.crt").exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn librdkafkas_own_names_are_known() {
        for k in [
            "security.protocol",
            "sasl.password",
            "compression.type",
            "acks",
        ] {
            assert!(is_known(k), "{k}");
        }
        assert!(!is_known("sasl.pasword"));
        assert!(known().len() > 150, "{}", known().len());
    }

    #[test]
    fn a_default_gives_way_to_the_users_setting_under_any_of_its_names() {
        let mut cfg = ClientConfig::new();
        cfg.set("compression.codec", "gzip")
            .set("fetch.message.max.bytes", "1");
        set_defaults(
            &mut cfg,
            [
                ("compression.type", "lz4"),
                ("max.partition.fetch.bytes", "8000000"),
                ("linger.ms", "20"),
            ],
        );
        assert_eq!(cfg.get("compression.type"), None);
        assert_eq!(cfg.get("max.partition.fetch.bytes"), None);
        assert_eq!(cfg.get("linger.ms"), Some("20"));
        let native = cfg.create_native_config().unwrap();
        assert_eq!(native.get("compression.codec").unwrap(), "gzip");
        assert_eq!(native.get("fetch.message.max.bytes").unwrap(), "1");
    }

    #[test]
    fn every_broken_property_is_listed_with_its_path() {
        let p = problems(&props(&[
            ("sasl.pasword", "x"),
            ("security.protocol", "SASL_SSLL"),
            ("ssl.ca.location", "/nonexistent/ca.pem"),
        ]));
        let all = p.join("\n");
        assert!(
            all.contains("kafka.properties.\"sasl.pasword\" = \"x\": librdkafka has no such property (did you mean \"sasl.password\"?)"),
            "{all}"
        );
        assert!(
            all.contains(
                "kafka.properties.\"security.protocol\" = \"SASL_SSLL\": librdkafka refuses it"
            ),
            "{all}"
        );
        assert!(
            all.contains("kafka.properties.\"ssl.ca.location\" = \"/nonexistent/ca.pem\": the file cannot be read"),
            "{all}"
        );
        assert_eq!(p.len(), 3, "{all}");
    }

    #[test]
    fn a_password_mechanism_without_its_password_is_a_problem() {
        let p = problems(&props(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "psimon"),
        ]));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("kafka.properties.\"sasl.password\": missing"),
            "{p:?}"
        );
        let ok = problems(&props(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "psimon"),
            ("sasl.password", "long-enough"),
        ]));
        assert!(ok.is_empty(), "{ok:?}");
    }
}
