//! `/metrics` and `/api/*` behind credentials (bcrypt basic auth, a bearer token file) while
//! the probes stay open, and the probes on a listener of their own that a flood of idle
//! clients on the main listener cannot starve. `psimon run` with an unreachable broker (it
//! serves HTTP while it waits for Kafka).

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use common::kafka::{free_port, http_get_with, wait_for};

/// `GET path` with an optional `Authorization` header: the status code.
fn status(port: u16, path: &str, authorization: Option<&str>) -> Option<u16> {
    http_get_with(port, path, authorization).map(|(status, _)| status)
}

struct Run(Child);

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `psimon run` of the example config (broker unreachable) with `http` as its [http] table.
fn run(dir: &std::path::Path, http: &str) -> (Run, std::path::PathBuf) {
    std::fs::copy(
        "config/baseline.example.json",
        dir.join("baseline.example.json"),
    )
    .unwrap();
    let text = std::fs::read_to_string("config/psimon.example.toml")
        .unwrap()
        .replace("brokers = \"127.0.0.1:9092\"", "brokers = \"127.0.0.1:1\"")
        .replace("[http]\naddress = \"127.0.0.1:9464\"", http);
    let config = dir.join("psimon.toml");
    std::fs::write(&config, text).unwrap();
    let log = dir.join("psimon.log");
    let child = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(["run", "--config", config.to_str().unwrap()])
        .stderr(std::fs::File::create(&log).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    (Run(child), log)
}

#[test]
fn metrics_and_the_api_need_credentials_and_the_probes_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let hash = bcrypt::hash("scrape-Pw-1", 4).unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "bearer-T0ken-PLANTED\n").unwrap();
    let http = format!(
        "[http]\naddress = \"127.0.0.1:{port}\"\nbearer_token_file = \"{}\"\n[http.basic_auth_users]\nprometheus = \"{hash}\"",
        token_file.display()
    );
    let (_run, log) = run(dir.path(), &http);
    wait_for("/livez", Duration::from_secs(20), || {
        status(port, "/livez", None) == Some(200)
    });
    let basic = |user: &str, pw: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
        )
    };
    for path in ["/metrics", "/api/v1/drift", "/"] {
        assert_eq!(status(port, path, None), Some(401), "{path}");
        assert_eq!(
            status(port, path, Some(&basic("prometheus", "wrong"))),
            Some(401)
        );
        assert_eq!(
            status(port, path, Some(&basic("prometheus", "scrape-Pw-1"))),
            Some(200)
        );
        assert_eq!(
            status(port, path, Some("Bearer bearer-T0ken-PLANTED")),
            Some(200)
        );
        assert_eq!(status(port, path, Some("Bearer nope")), Some(401));
    }
    // Not ready (no broker), but answered without credentials.
    assert_eq!(status(port, "/readyz", None), Some(503));
    let log = std::fs::read_to_string(log).unwrap();
    assert!(!log.contains("bearer-T0ken-PLANTED"));
}

#[test]
fn the_probes_on_their_own_listener_answer_while_the_main_one_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let (port, health) = (free_port(), free_port());
    let http =
        format!("[http]\naddress = \"127.0.0.1:{port}\"\nhealth_address = \"127.0.0.1:{health}\"");
    let (_run, _log) = run(dir.path(), &http);
    wait_for("/livez", Duration::from_secs(20), || {
        status(health, "/livez", None) == Some(200)
    });
    // 1,000 idle connections with half a request each: far above the main listener's 128.
    let idle: Vec<TcpStream> = (0..1000)
        .filter_map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost:").ok()?;
            Some(s)
        })
        .collect();
    assert!(idle.len() > 128, "{} connections", idle.len());
    let answered = (0..31)
        .filter(|_| {
            std::thread::sleep(Duration::from_millis(250));
            status(health, "/livez", None) == Some(200)
                && status(health, "/readyz", None) == Some(503)
        })
        .count();
    assert_eq!(
        answered,
        31,
        "the probes failed {} of 31 times",
        31 - answered
    );
    // The health listener serves nothing else.
    assert_eq!(status(health, "/metrics", None), Some(404));
    drop(idle);
}

/// A self-signed certificate for 127.0.0.1 with common name `cn`: (cert, key) PEM files.
fn self_signed(dir: &std::path::Path, cn: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join(format!("{cn}.pem")), dir.join(format!("{cn}.key")));
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            &format!("/CN={cn}"),
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "openssl makes a certificate");
    (cert, key)
}

/// `curl https://127.0.0.1:port/livez` trusting `ca`: the body, if the handshake and the
/// request succeed.
fn https_livez(port: u16, ca: &std::path::Path) -> Option<String> {
    let out = Command::new("curl")
        .args(["-fsS", "--max-time", "3", "--cacert"])
        .arg(ca)
        .arg(format!("https://127.0.0.1:{port}/livez"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn https_with_a_certificate_renewed_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let certs = tempfile::tempdir().unwrap();
    let (first, first_key) = self_signed(certs.path(), "first");
    let (second, second_key) = self_signed(certs.path(), "second");
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::copy(&first, &cert).unwrap();
    std::fs::copy(&first_key, &key).unwrap();
    let port = free_port();
    let http = format!(
        "[http]\naddress = \"127.0.0.1:{port}\"\ntls_cert_file = \"{}\"\ntls_key_file = \"{}\"",
        cert.display(),
        key.display()
    );
    let (_run, _log) = run(dir.path(), &http);
    wait_for("/livez over HTTPS", Duration::from_secs(20), || {
        https_livez(port, &first).as_deref() == Some("ok\n")
    });
    // Plain HTTP gets no answer from a TLS listener.
    assert_eq!(status(port, "/livez", None), None);
    // The second certificate is not trusted yet: the first one is served.
    assert_eq!(https_livez(port, &second), None);
    // Renewed in place (a new file moved over the old, as cert-manager's mounts do).
    std::fs::copy(&second_key, dir.path().join("tls.key.new")).unwrap();
    std::fs::copy(&second, dir.path().join("tls.crt.new")).unwrap();
    std::fs::rename(dir.path().join("tls.key.new"), &key).unwrap();
    std::fs::rename(dir.path().join("tls.crt.new"), &cert).unwrap();
    wait_for(
        "the renewed certificate served",
        Duration::from_secs(30),
        || https_livez(port, &second).as_deref() == Some("ok\n"),
    );
    assert_eq!(https_livez(port, &first), None);
}
