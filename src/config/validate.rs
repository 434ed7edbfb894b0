//! The checks of a parsed configuration: every problem that needs no file to be read, each
//! with its path and value (`problems`). Pure; loading and the parse problems are
//! `check`'s.

use std::collections::HashSet;
use std::net::SocketAddr;

use super::problem::Problem;
use super::types::{Config, WindowConfig};

mod outcomes;
use outcomes::outcomes_problems;

/// What is wrong with a bootstrap list (`host:port[,host:port...]`, each optionally
/// `protocol://host:port`, IPv6 hosts in brackets), if anything.
fn broker_problem(list: &str) -> Option<String> {
    for entry in list.split(',').map(str::trim) {
        let address = entry.split_once("://").map_or(entry, |(_, a)| a);
        // One entry is the whole value, already shown: name it only in a list.
        let it = if entry == list.trim() {
            "it".to_string()
        } else {
            format!("\"{entry}\"")
        };
        let Some((host, port)) = address.rsplit_once(':') else {
            return Some(format!("{it} is not host:port"));
        };
        let host_ok = !host.is_empty()
            && (host.starts_with('[') && host.ends_with(']')
                || host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)));
        if !host_ok {
            return Some(format!("{it} does not name a host"));
        }
        if !port.parse::<u16>().is_ok_and(|p| p > 0) {
            return Some(format!("{it}: the port must be a number from 1 to 65535"));
        }
    }
    None
}

fn is_pointer(p: &str) -> bool {
    p.is_empty() || p.starts_with('/')
}

/// The problems of a list of windows (`prefix` is its path: `windows`, `outcomes.windows`).
fn window_problems(windows: &[WindowConfig], prefix: &str, bad: Bad<'_>) {
    let mut seen = HashSet::new();
    for (i, w) in windows.iter().enumerate() {
        let at = format!("{prefix}[{i}]");
        if !seen.insert(w.name()) {
            bad(
                &format!("{at}.name"),
                &format!("\"{}\"", w.name()),
                "is used twice",
            );
        }
        if w.name().is_empty() || w.name().contains('/') {
            bad(
                &format!("{at}.name"),
                &format!("\"{}\"", w.name()),
                "must be non-empty without '/' (it is part of the state topic's keys)",
            );
        }
        match w {
            WindowConfig::Time { length, slide, .. } => {
                let (l, s) = (length.as_millis(), slide.as_millis());
                if s == 0 {
                    bad(
                        &format!("{at}.slide"),
                        &format!("{slide:?}"),
                        "must be at least 1ms",
                    );
                } else if l == 0 || l % s != 0 {
                    bad(
                        &format!("{at}.length"),
                        &format!("{length:?}"),
                        &format!("must be a positive multiple of {at}.slide"),
                    );
                } else if l / s > 10_000 {
                    bad(
                        &format!("{at}.length"),
                        &format!("{length:?}"),
                        &format!("more than 10,000 panes of {at}.slide; use a longer slide"),
                    );
                }
            }
            WindowConfig::Count { size, panes, .. } => {
                if *panes == 0 || *panes > 1000 {
                    bad(&format!("{at}.panes"), panes, "must be between 1 and 1000");
                } else if *size == 0 || size % panes != 0 {
                    bad(
                        &format!("{at}.size"),
                        size,
                        &format!("must be a positive multiple of {at}.panes"),
                    );
                }
            }
        }
    }
}

/// Every problem of a parsed config that needs no file to be read.
pub(crate) fn problems(c: &Config) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut bad = |path: &str, value: &dyn std::fmt::Display, why: &str| {
        out.push(Problem::new(path, Some(value.to_string()), why))
    };
    let sections: [fn(&Config, Bad<'_>); 11] = [
        kafka_problems,
        state_problems,
        http_problems,
        mapping_problems,
        models_problems,
        windows_problems,
        outcomes_problems,
        super::fairness::fairness_problems,
        input_problems,
        durations_problems,
        evaluation_problems,
    ];
    for section in sections {
        section(c, &mut bad);
    }
    out
}

/// Where a section reports a problem: its path, the value shown and why.
type Bad<'a> = &'a mut dyn FnMut(&str, &dyn std::fmt::Display, &str);

/// The problems of the `[kafka]` section.
fn kafka_problems(c: &Config, bad: Bad<'_>) {
    let k = &c.kafka;
    if k.brokers.trim().is_empty() {
        bad("kafka.brokers", &"\"\"", "give at least one host:port");
    } else if let Some(why) = broker_problem(&k.brokers) {
        bad("kafka.brokers", &format!("\"{}\"", k.brokers), &why);
    }
    if k.prefetch_bytes < 1 << 20 {
        bad(
            "kafka.prefetch_bytes",
            &k.prefetch_bytes,
            "must be at least 1048576 (1 MiB)",
        );
    }
    if let Some(w) = k.workers
        && !(1..=256).contains(&w)
    {
        bad("kafka.workers", &w, "must lie in 1..=256");
    }
    if k.group_id.trim().is_empty() {
        bad("kafka.group_id", &"\"\"", "must not be empty");
    }
    if k.input_topics.is_empty() {
        bad("kafka.input_topics", &"[]", "give at least one topic");
    }
    for (i, t) in k.input_topics.iter().enumerate() {
        if t == &k.drift_topic || t == &k.dead_letter_topic {
            bad(
                &format!("kafka.input_topics[{i}]"),
                &format!("\"{t}\""),
                "is also the drift or dead-letter topic",
            );
        }
    }
    if k.drift_topic == k.dead_letter_topic {
        bad(
            "kafka.dead_letter_topic",
            &format!("\"{}\"", k.dead_letter_topic),
            "must differ from kafka.drift_topic",
        );
    }
    if k.max_message_bytes == 0 {
        bad("kafka.max_message_bytes", &0, "must be positive");
    }
    for reserved in ["bootstrap.servers", "group.id", "enable.auto.offset.store"] {
        if k.properties.contains_key(reserved) {
            bad(
                &format!("kafka.properties.\"{reserved}\""),
                &"…",
                "is set by psimon; use kafka.brokers / kafka.group_id",
            );
        }
    }
    if k.dead_letter_max_bytes < 4096 {
        bad(
            "kafka.dead_letter_max_bytes",
            &k.dead_letter_max_bytes,
            "must be at least 4096 (room for the headers)",
        );
    }
    if let Some(id) = &k.instance_id
        && (id.is_empty() || id.len() > 200)
    {
        bad(
            "kafka.instance_id",
            &format!("\"{id}\""),
            "must have 1 to 200 characters",
        );
    }
    for reserved in [
        "transactional.id",
        "group.instance.id",
        "isolation.level",
        "enable.auto.commit",
    ] {
        if k.properties.contains_key(reserved) {
            bad(
                &format!("kafka.properties.\"{reserved}\""),
                &"…",
                "is set by psimon (exactly-once state); use kafka.instance_id",
            );
        }
    }
}

/// The problems of the `[state]` section.
fn state_problems(c: &Config, bad: Bad<'_>) {
    let k = &c.kafka;
    let s = &c.state;
    if s.commit_interval.is_zero() {
        bad("state.commit_interval", &"\"0s\"", "must be positive");
    }
    if s.restore_timeout.is_zero() {
        bad("state.restore_timeout", &"\"0s\"", "must be positive");
    }
    if let Some(t) = &s.topic
        && (t.is_empty()
            || k.input_topics.contains(t)
            || t == &k.drift_topic
            || t == &k.dead_letter_topic)
    {
        bad(
            "state.topic",
            &format!("\"{t}\""),
            "must be a topic of its own (not an input, drift or dead-letter topic)",
        );
    }
}

/// The problems of the `[http]` section.
fn http_problems(c: &Config, bad: Bad<'_>) {
    if c.http.address.parse::<SocketAddr>().is_err() {
        bad(
            "http.address",
            &format!("\"{}\"", c.http.address),
            "is not an address such as 127.0.0.1:9464",
        );
    }
    if let Some(h) = &c.http.health_address {
        if h.parse::<SocketAddr>().is_err() {
            bad(
                "http.health_address",
                &format!("\"{h}\""),
                "is not an address such as 0.0.0.0:9465",
            );
        } else if *h == c.http.address {
            bad(
                "http.health_address",
                &format!("\"{h}\""),
                "must differ from http.address",
            );
        }
    }
    if c.http.tls_cert_file.is_some() != c.http.tls_key_file.is_some() {
        bad(
            "http.tls_cert_file",
            &"[a path]",
            "give http.tls_cert_file and http.tls_key_file together, or neither",
        );
    }
    for (user, hash) in &c.http.basic_auth_users {
        // bcrypt's modular crypt format: $2a$, $2b$ or $2y$, a cost, then 53 characters.
        let ok = hash.len() == 60 && ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p));
        if !ok {
            bad(
                &format!("http.basic_auth_users.{user}"),
                &"[a hash]",
                "is not a bcrypt hash (htpasswd -nbBC 10 USER PASSWORD, the part after the colon)",
            );
        }
    }
}

/// The problems of the `[mapping]` section.
fn mapping_problems(c: &Config, bad: Bad<'_>) {
    let m = &c.mapping;
    for (name, p) in [
        ("id", &m.id),
        ("event_time", &m.event_time),
        ("model", &m.model),
        ("score", &m.score),
    ] {
        if let Some(p) = p
            && !is_pointer(p)
        {
            bad(
                &format!("mapping.{name}"),
                &format!("\"{p}\""),
                "is not a JSON pointer (it starts with /)",
            );
        }
    }
    if m.features.is_empty() {
        bad(
            "mapping.features",
            &"{}",
            "map at least one feature to a JSON pointer",
        );
    }
    for (f, p) in &m.features {
        if f.contains('/') {
            bad(
                &format!("mapping.features.\"{f}\""),
                &"…",
                "a feature name must not contain '/' (it is part of the state topic's keys)",
            );
        }
        if !is_pointer(p) {
            bad(
                &format!("mapping.features.{f}"),
                &format!("\"{p}\""),
                "is not a JSON pointer (it starts with /)",
            );
        }
    }
    if m.score.is_some() && m.features.contains_key("score") {
        bad(
            "mapping.features.score",
            &"…",
            "the score is mapped by mapping.score already",
        );
    }
    if m.model.is_none() && m.default_model.is_none() && c.models.len() != 1 {
        bad(
            "mapping.model",
            &"(none)",
            "with several models, map the model field or set mapping.default_model",
        );
    }
    let names: Vec<&str> = c.models.iter().map(|m| m.name.as_str()).collect();
    if let Some(d) = &m.default_model
        && !names.contains(&d.as_str())
    {
        bad(
            "mapping.default_model",
            &format!("\"{d}\""),
            "is not one of the models",
        );
    }
}

/// The problems of the `[[models]]`.
fn models_problems(c: &Config, bad: Bad<'_>) {
    if c.models.is_empty() {
        bad("models", &"[]", "configure at least one model");
    }
    let mut seen = HashSet::new();
    for (i, model) in c.models.iter().enumerate() {
        if !seen.insert(model.name.as_str()) {
            bad(
                &format!("models[{i}].name"),
                &format!("\"{}\"", model.name),
                "is used twice",
            );
        }
        if model.name.is_empty() || model.name.contains('/') || model.name.contains('~') {
            bad(
                &format!("models[{i}].name"),
                &format!("\"{}\"", model.name),
                "must be non-empty without '/' or '~' (it is part of the state topic's keys)",
            );
        }
        if model.baseline.trim().is_empty() {
            bad(
                &format!("models[{i}].baseline"),
                &"\"\"",
                "give the baseline file",
            );
        }
    }
}

/// The problems of the `[[windows]]`.
fn windows_problems(c: &Config, bad: Bad<'_>) {
    if c.windows.is_empty() {
        bad("windows", &"[]", "configure at least one window");
    }
    window_problems(&c.windows, "windows", bad);
}

/// The problems of the `[input]` section.
fn input_problems(c: &Config, bad: Bad<'_>) {
    let input = &c.input;
    match (&input.format, &input.schema_registry) {
        (super::types::InputFormat::Avro, None) => bad(
            "input.schema_registry",
            &"(none)",
            "Avro input needs the schema registry's url",
        ),
        (_, Some(r)) => {
            if !(r.url.starts_with("http://") || r.url.starts_with("https://")) {
                bad(
                    "input.schema_registry.url",
                    &format!("\"{}\"", r.url),
                    "must be an http:// or https:// URL",
                );
            }
            if r.username.is_some() != r.password.is_some() {
                bad(
                    "input.schema_registry.username",
                    &"…",
                    "give both username and password, or neither",
                );
            }
            if r.timeout.is_zero() {
                bad(
                    "input.schema_registry.timeout",
                    &"\"0s\"",
                    "must be positive",
                );
            }
        }
        _ => {}
    }
}

/// The problems of every duration.
fn durations_problems(c: &Config, bad: Bad<'_>) {
    // Durations become i64 milliseconds: anything near that range is a typo.
    const LONGEST: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 24 * 3600);
    let mut durations: Vec<(String, std::time::Duration)> = vec![
        ("evaluation.interval".into(), c.evaluation.interval),
        ("shutdown.deadline".into(), c.shutdown.deadline),
        ("state.commit_interval".into(), c.state.commit_interval),
        ("state.idle_timeout".into(), c.state.idle_timeout),
        ("state.restore_timeout".into(), c.state.restore_timeout),
        ("mapping.max_time_skew".into(), c.mapping.max_time_skew),
    ];
    let outcome_windows = c.outcomes.as_ref().map_or(&[][..], |o| &o.windows[..]);
    for (prefix, windows) in [
        ("windows", &c.windows[..]),
        ("outcomes.windows", outcome_windows),
    ] {
        for (i, w) in windows.iter().enumerate() {
            if let WindowConfig::Time {
                length,
                slide,
                allowed_lateness,
                ..
            } = w
            {
                durations.push((format!("{prefix}[{i}].length"), *length));
                durations.push((format!("{prefix}[{i}].slide"), *slide));
                durations.push((format!("{prefix}[{i}].allowed_lateness"), *allowed_lateness));
            }
        }
    }
    if let Some(o) = &c.outcomes {
        durations.push(("outcomes.horizon".into(), o.horizon));
        durations.push(("outcomes.grace".into(), o.grace));
    }
    for (path, d) in durations {
        if d > LONGEST {
            bad(&path, &format!("{d:?}"), "is longer than 100 years");
        }
    }
}

/// The problems of the `[evaluation]` section.
fn evaluation_problems(c: &Config, bad: Bad<'_>) {
    let e = &c.evaluation;
    if e.interval.is_zero() {
        bad(
            "evaluation.interval",
            &format!("{:?}", e.interval),
            "must be positive",
        );
    }
    if !(e.alpha > 0.0 && e.alpha < 1.0) {
        bad(
            "evaluation.alpha",
            &e.alpha,
            "must lie strictly between 0 and 1",
        );
    }
    if !(e.warning_psi > 0.0 && e.warning_psi.is_finite()) {
        bad("evaluation.warning_psi", &e.warning_psi, "must be positive");
    }
    if !(e.alert_psi > e.warning_psi && e.alert_psi.is_finite()) {
        bad(
            "evaluation.alert_psi",
            &e.alert_psi,
            "must be above evaluation.warning_psi",
        );
    }
    if !(e.clear_ratio > 0.0 && e.clear_ratio <= 1.0) {
        bad(
            "evaluation.clear_ratio",
            &e.clear_ratio,
            "must lie in (0, 1]",
        );
    }
    if e.min_applications == 0 {
        bad("evaluation.min_applications", &0, "must be at least 1");
    }
}
