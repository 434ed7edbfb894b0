//! `psimon report --out-dir DIR --sign KEY`: a bundle a committee can file. The report's
//! JSON (the numbers of `--format json`), its HTML and its PDF (printed by Debian's
//! Chromium), a manifest with the SHA-256 of each file, of the baseline and of the sample,
//! and an Ed25519 signature over the manifest made with a key from `openssl genpkey`.
//! `psimon verify` and, independently, `openssl pkeyutl -verify` accept it; one changed
//! byte in any file, or another signer's key, is refused. Without Chromium the bundle has
//! no PDF and says so.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed (scripts/install-test-tools.sh)")
}

/// An Ed25519 key pair from openssl: (private PEM, public PEM).
fn key_pair(dir: &Path, name: &str) -> (String, String) {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    let (p, q) = (path_str(&private), path_str(&public));
    assert!(
        openssl(&["genpkey", "-algorithm", "ed25519", "-out", p])
            .status
            .success()
    );
    assert!(
        openssl(&["pkey", "-in", p, "-pubout", "-out", q])
            .status
            .success()
    );
    (p.to_string(), q.to_string())
}

fn sha256(path: &Path) -> String {
    let out = openssl(&["dgst", "-sha256", "-r", path_str(path)]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    format!("sha256:{}", text.split_whitespace().next().unwrap())
}

#[test]
fn a_signed_bundle_verifies_and_any_changed_byte_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dev = generate(d, "dev.csv", 10_000, 0.0, 1);
    let cur = generate(d, "cur.csv", 4_000, 0.4, 2);
    let base = d.join("base.json");
    stumps_baseline(&dev, &base);
    let (key, public) = key_pair(d, "signer");
    let (_, other_public) = key_pair(d, "other");
    let bundle = d.join("bundle");
    let report = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&cur),
            "--target",
            "bad",
            "--score",
            "bureau_score",
        ];
        args.extend_from_slice(extra);
        ok(&args)
    };
    let listed = report(&["--out-dir", path_str(&bundle), "--sign", &key]);
    for f in [
        "report.json",
        "report.html",
        "report.pdf",
        "MANIFEST.json",
        "MANIFEST.sig",
    ] {
        assert!(listed.contains(f), "{f} not listed: {listed}");
    }
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("MANIFEST.json")).unwrap())
            .unwrap();
    // The hashes, recomputed by openssl.
    for f in ["report.json", "report.html", "report.pdf"] {
        assert_eq!(manifest["files"][f], sha256(&bundle.join(f)), "{f}");
    }
    assert_eq!(manifest["inputs"]["baseline"]["sha256"], sha256(&base));
    assert_eq!(manifest["inputs"]["sample"]["sha256"], sha256(&cur));
    // The JSON is the report's: every number of --format json (but the time it was made).
    let mut filed: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("report.json")).unwrap())
            .unwrap();
    let mut printed: Value = serde_json::from_str(&report(&["--format", "json"])).unwrap();
    filed["generated_at"] = Value::Null;
    printed["generated_at"] = Value::Null;
    assert_eq!(filed, printed);
    let pdf = std::fs::read(bundle.join("report.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let pages = String::from_utf8_lossy(&pdf)
        .split("/Count ")
        .nth(1)
        .and_then(|s| {
            s.split(|c: char| !c.is_ascii_digit())
                .next()
                .map(String::from)
        })
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    assert!(pages >= 2, "{pages} pages");

    let verify = |key: &str| psimon(&["verify", path_str(&bundle), "--public-key", key]);
    assert!(
        verify(&public).status.success(),
        "{}",
        stderr(&verify(&public))
    );
    let independent = openssl(&[
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        &public,
        "-rawin",
        "-in",
        path_str(&bundle.join("MANIFEST.json")),
        "-sigfile",
        path_str(&bundle.join("MANIFEST.sig")),
    ]);
    assert!(independent.status.success(), "openssl: {independent:?}");
    let refused = verify(&other_public);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("signature does not verify"));

    // One byte changed in any file: refused, and the file is named.
    for f in ["report.json", "report.html", "report.pdf", "MANIFEST.json"] {
        let path = bundle.join(f);
        let original = std::fs::read(&path).unwrap();
        let mut changed = original.clone();
        let at = changed.len() / 2;
        changed[at] ^= 0x01;
        std::fs::write(&path, &changed).unwrap();
        let out = verify(&public);
        assert!(!out.status.success(), "{f}: a changed byte was accepted");
        let why = stderr(&out);
        let named = if f == "MANIFEST.json" {
            "signature does not verify"
        } else {
            f
        };
        assert!(why.contains(named), "{f}: {why}");
        std::fs::write(&path, &original).unwrap();
    }
    assert!(verify(&public).status.success());
}

#[test]
fn without_chromium_the_bundle_has_no_pdf_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dev = generate(d, "dev.csv", 5_000, 0.0, 1);
    let base = d.join("base.json");
    stumps_baseline(&dev, &base);
    let bundle = d.join("bundle");
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args([
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&dev),
        ])
        .args(["--out-dir", path_str(&bundle)])
        .env("PSIMON_CHROMIUM", d.join("no-such-chromium"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!bundle.join("report.pdf").exists());
    assert!(stderr(&out).contains("no PDF"), "{}", stderr(&out));
    let manifest = std::fs::read_to_string(bundle.join("MANIFEST.json")).unwrap();
    assert!(!manifest.contains("report.pdf") && !manifest.contains("signature\": {"));
    assert!(psimon(&["verify", path_str(&bundle)]).status.success());
}
