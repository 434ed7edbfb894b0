//! Avro for `psimon loadgen --format avro`: the application event's Avro schemas (the
//! second adds a field with a default, as a producer's schema evolves), their
//! registration with a Confluent-compatible registry, and events in the Confluent wire
//! format (magic byte 0, schema id, datum) carrying the same values as the JSON events.

use anyhow::{Context, Result, anyhow, bail};
use apache_avro::Schema;
use apache_avro::types::Value;

/// The credit application as `Application::to_event` writes it in JSON.
pub(crate) const APPLICATION_V1: &str = r#"{
  "type": "record", "name": "Application", "namespace": "dev.psimon.loadgen",
  "fields": [
    {"name": "application_id", "type": "string"},
    {"name": "submitted_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "model", "type": "string"},
    {"name": "applicant", "type": {"type": "record", "name": "Applicant", "fields": [
      {"name": "income", "type": ["null", "double"], "default": null},
      {"name": "age", "type": "double"},
      {"name": "debt_to_income", "type": "double"},
      {"name": "employment_type", "type": ["null", "string"], "default": null},
      {"name": "region", "type": "string"},
      {"name": "group", "type": ["null", "string"], "default": null}
    ]}},
    {"name": "bureau", "type": {"type": "record", "name": "Bureau", "fields": [
      {"name": "score", "type": "double"},
      {"name": "utilisation", "type": ["null", "double"], "default": null},
      {"name": "delinquencies", "type": "double"}
    ]}},
    {"name": "bad", "type": "int"}
  ]
}"#;

/// Version 2: a new field with a default (a backward-compatible change).
pub(crate) fn application_v2() -> String {
    APPLICATION_V1.replace(
        r#"{"name": "bad", "type": "int"}"#,
        r#"{"name": "bad", "type": "int"},
    {"name": "channel", "type": "string", "default": "web"}"#,
    )
}

/// A writer schema registered under `subject`, with the id the registry gave it.
pub(crate) struct Registered {
    pub schema: Schema,
    pub id: u32,
    /// Version 2 adds `channel`, which the JSON event does not have.
    evolved: bool,
}

/// Registers `text` under `subject` (`POST {url}/subjects/{subject}/versions`).
pub(crate) fn register(url: &str, subject: &str, text: &str, evolved: bool) -> Result<Registered> {
    let schema = Schema::parse_str(text).context("parsing the loadgen's own schema")?;
    let endpoint = format!("{}/subjects/{subject}/versions", url.trim_end_matches('/'));
    let body = serde_json::json!({ "schema": text }).to_string();
    let mut response = ureq::post(&endpoint)
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .send(body.as_bytes())
        .with_context(|| format!("registering the schema at {endpoint}"))?;
    let answer = response
        .body_mut()
        .read_to_string()
        .context("reading the registry's answer")?;
    let doc: serde_json::Value = serde_json::from_str(&answer)
        .map_err(|_| anyhow!("the registry answered {answer:?}, not JSON"))?;
    let Some(id) = doc["id"].as_u64().and_then(|i| u32::try_from(i).ok()) else {
        bail!("the registry answered {answer:?}, without a schema id");
    };
    Ok(Registered {
        schema,
        id,
        evolved,
    })
}

/// The event in the wire format of `writer`.
pub(crate) fn encode(
    writer: &Registered,
    event: &serde_json::Value,
    out: &mut Vec<u8>,
) -> Result<()> {
    let mut event = event.clone();
    if writer.evolved {
        event["channel"] = serde_json::json!("app");
    }
    let value = Value::try_from(event)
        .and_then(|v| v.resolve(&writer.schema))
        .map_err(|e| anyhow!("the event does not fit the loadgen's schema: {e}"))?;
    let datum = apache_avro::writer::datum::GenericDatumWriter::builder(&writer.schema)
        .build()
        .and_then(|w| w.write_value_to_vec(value))
        .map_err(|e| anyhow!("encoding the event: {e}"))?;
    out.clear();
    out.push(0);
    out.extend_from_slice(&writer.id.to_be_bytes());
    out.extend_from_slice(&datum);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synth::{Rng, application_grouped};
    use crate::event::avro::unframe;
    use crate::event::avro_reference::read_datum;

    #[test]
    fn events_round_trip_through_both_schema_versions() {
        let mut rng = Rng::new(3);
        let mut side = Rng::new(4);
        let event = application_grouped(&mut rng, &mut side, 0.2, 10.0).to_event(7, "m", 1_000);
        for (text, evolved) in [
            (APPLICATION_V1.to_string(), false),
            (application_v2(), true),
        ] {
            let writer = Registered {
                schema: Schema::parse_str(&text).unwrap(),
                id: 42,
                evolved,
            };
            let mut bytes = Vec::new();
            encode(&writer, &event, &mut bytes).unwrap();
            let framed = unframe(&bytes).unwrap();
            assert_eq!(framed.schema_id, 42);
            let back =
                serde_json::Value::try_from(read_datum(&writer.schema, framed.body).unwrap())
                    .unwrap();
            for pointer in [
                "/applicant/income",
                "/applicant/employment_type",
                "/applicant/group",
                "/bureau/score",
                "/bureau/utilisation",
                "/submitted_at",
            ] {
                let (a, b) = (&event.pointer(pointer), &back.pointer(pointer));
                let num = |v: &Option<&serde_json::Value>| v.and_then(|v| v.as_f64());
                assert!(a == b || num(a) == num(b), "{pointer}: {a:?} vs {b:?}");
            }
            assert_eq!(back.get("channel").is_some(), evolved);
        }
    }
}
