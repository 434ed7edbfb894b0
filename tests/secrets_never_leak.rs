//! No configured secret is ever printed: a distinctive secret is planted in every secret
//! slot (a Kafka password in the file, a misspelt password property from the environment,
//! a secret file, the schema registry's password) and every failure path is driven: a
//! config with broken Kafka properties (`check-config` and `run`), a broker that cannot be
//! reached, a wrong password on the secured listener. No output (stdout, stderr, the log,
//! `/readyz`) contains any of them.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::kafka::*;

const PLANTED: [&str; 4] = [
    "Pl4nted-in-file-7731",
    "Sup3rS3cret!-from-env-4410",
    "Pl4nted-secret-file-9902",
    "Pl4nted-registry-3318",
];

/// The example config with every secret slot filled and `extra` Kafka properties.
fn planted_config(dir: &Path, brokers: &str, extra: &str) -> std::path::PathBuf {
    std::fs::copy(
        "config/baseline.example.json",
        dir.join("baseline.example.json"),
    )
    .unwrap();
    let secret_file = dir.join("key-password");
    std::fs::write(&secret_file, format!("{}\n", PLANTED[2])).unwrap();
    let text = std::fs::read_to_string("config/psimon.example.toml")
        .unwrap()
        .replace(
            "brokers = \"127.0.0.1:9092\"",
            &format!("brokers = \"{brokers}\""),
        )
        .replace(
            "[kafka.properties]\n",
            &format!(
                "[kafka.properties]\n\"sasl.password\" = \"{}\"\n{extra}\n",
                PLANTED[0]
            ),
        )
        .replace(
            "[kafka.secret_files]\n",
            &format!(
                "[kafka.secret_files]\n\"ssl.key.password\" = \"{}\"\n",
                secret_file.display()
            ),
        )
        .replace(
            "[http]\naddress = \"127.0.0.1:9464\"",
            &format!("[http]\naddress = \"127.0.0.1:{}\"", free_port()),
        );
    let text = format!(
        "{text}\n[input.schema_registry]\nurl = \"http://127.0.0.1:1\"\nusername = \"u\"\npassword = \"{}\"\n",
        PLANTED[3]
    );
    let path = dir.join("psimon.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn assert_clean(what: &str, text: &str) {
    for p in PLANTED {
        assert!(
            !text.contains(p),
            "{what} contains the planted secret {p}:\n{text}"
        );
    }
}

fn psimon(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(args)
        .env("PSIMON_KAFKA__PROPERTIES__SASL.PASWORD", PLANTED[1])
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_lists_every_broken_kafka_property_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let config = planted_config(
        dir.path(),
        "127.0.0.1:9092",
        "\"security.protocol\" = \"SASL_SSLL\"\n\"ssl.ca.location\" = \"/nonexistent/ca.pem\"\n\"sasl.mechanisms\" = \"SCRAM-SHA-512\"",
    );
    let (out, err) = psimon(&["check-config", config.to_str().unwrap()]);
    for needle in [
        "kafka.properties.\"sasl.pasword\" = \"[redacted]\": librdkafka has no such property (did you mean \"sasl.password\"?) (set by the environment variable PSIMON_KAFKA__PROPERTIES__SASL.PASWORD)",
        "kafka.properties.\"security.protocol\" = \"SASL_SSLL\": librdkafka refuses it",
        "kafka.properties.\"ssl.ca.location\" = \"/nonexistent/ca.pem\": the file cannot be read",
        "kafka.properties.\"sasl.username\": missing; SASL mechanism SCRAM-SHA-512 needs it",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert_clean("check-config's output", &format!("{out}{err}"));
    // `run` refuses the same config with the same list, as clean.
    let (out, err) = psimon(&["run", "--config", config.to_str().unwrap()]);
    assert!(err.contains("librdkafka has no such property"), "{err}");
    assert_clean("run's output", &format!("{out}{err}"));
}

/// `psimon run` for `secs` seconds: its stderr and its last `/readyz`.
fn run_for(config: &Path, secs: u64) -> (String, String) {
    let text = std::fs::read_to_string(config).unwrap();
    let port: u16 = text
        .split("address = \"127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    let log = config.with_extension("log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "debug")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(secs));
    let readyz = http_get(port, "/readyz")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    (std::fs::read_to_string(&log).unwrap(), readyz)
}

#[test]
fn an_unreachable_broker_or_a_wrong_password_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    // Valid properties (the misspelt one aside, which only the environment sets here).
    let unreachable = planted_config(dir.path(), "127.0.0.1:1", "");
    common::ok(&["check-config", unreachable.to_str().unwrap()]);
    let (log, readyz) = run_for(&unreachable, 12);
    assert!(readyz.contains("not ready"), "{readyz}");
    assert_clean("the log of an unreachable broker", &log);
    assert_clean("/readyz", &readyz);

    // The secured listener with the planted (wrong) password; debug logging on.
    let dir = tempfile::tempdir().unwrap();
    let ca = Command::new("scripts/kafka.sh")
        .arg("tls-dir")
        .output()
        .unwrap();
    let ca = format!("{}/ca.pem", String::from_utf8_lossy(&ca.stdout).trim());
    let wrong = planted_config(
        dir.path(),
        "127.0.0.1:9094",
        &format!(
            "\"security.protocol\" = \"SASL_SSL\"\n\"sasl.mechanisms\" = \"SCRAM-SHA-512\"\n\"sasl.username\" = \"psimon\"\n\"ssl.ca.location\" = \"{ca}\"\n\"debug\" = \"security,conf\""
        ),
    );
    let (log, readyz) = run_for(&wrong, 15);
    assert!(readyz.contains("authentication failed"), "{readyz}");
    assert_clean("the debug log of a refused password", &log);
    assert_clean("/readyz", &readyz);
}
