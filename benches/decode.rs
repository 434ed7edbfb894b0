//! Decoding + binning of application events with 20 numeric features (JSON payloads as the
//! load generator writes them): the consumer's per-message work without Kafka.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use psimon::binning::{BinSpec, Binner};
use psimon::data::synth::{Rng, wide_columns, wide_row};
use psimon::event::{Decoder, ModelFields};

/// Deciles of the standard normal: the bins of every feature (the population bins when
/// `population` adds scorecard bins, which are coarser, before them).
const DECILES: [f64; 9] = [
    -1.2816, -0.8416, -0.5244, -0.2533, 0.0, 0.2533, 0.5244, 0.8416, 1.2816,
];

fn wide_decoder(names: &[String], population: bool) -> Decoder {
    let numeric = |edges: &[f64]| {
        Binner::new(BinSpec::Numeric {
            edges: edges.to_vec(),
            special_values: vec![],
        })
    };
    let features = names
        .iter()
        .flat_map(|n| {
            let deciles = (n.clone(), format!("/{n}"), numeric(&DECILES));
            let scorecard = (n.clone(), format!("/{n}"), numeric(&[-1.0, -0.3, 0.4, 1.1]));
            if population {
                vec![scorecard, deciles]
            } else {
                vec![deciles]
            }
        })
        .collect();
    Decoder::new(
        1 << 20,
        Some("/model".into()),
        None,
        Some("/submitted_at".into()),
        vec![ModelFields {
            name: "wide".into(),
            features,
        }],
    )
}

fn bench(c: &mut Criterion) {
    let names = wide_columns();
    let decoder = wide_decoder(&names, false);
    let mut rng = Rng::new(1);
    let payloads: Vec<Vec<u8>> = (0..10_000)
        .map(|i| {
            let mut obj = serde_json::Map::new();
            obj.insert("model".into(), "wide".into());
            obj.insert("submitted_at".into(), (1_700_000_000_000i64 + i).into());
            for (n, v) in names.iter().zip(wide_row(&mut rng, 0.0)) {
                obj.insert(n.clone(), serde_json::json!(v));
            }
            serde_json::Value::Object(obj).to_string().into_bytes()
        })
        .collect();
    // Scorecard bins only, then every feature binned twice, as scorecard and population
    // bins (the default baseline).
    for (name, population, series) in [
        ("decode_and_bin_20_numeric", false, 20),
        ("decode_and_bin_20_numeric_with_population_bins", true, 40),
    ] {
        let decoder = wide_decoder(&names, population);
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(payloads.len() as u64));
        group.bench_function("10000_events", |b| {
            let mut bins = Vec::with_capacity(64);
            b.iter(|| {
                let mut n = 0usize;
                for p in &payloads {
                    n += decoder.decode(p, &mut bins).map(|d| d.model).unwrap_or(0) + bins.len();
                }
                assert_eq!(n, payloads.len() * series, "every event decodes");
                n
            })
        });
        group.finish();
    }

    // The same events as Avro in the Confluent wire format (one writer schema, cached).
    let fields: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"name": "{n}", "type": ["null", "double"]}}"#))
        .collect();
    let schema = apache_avro::Schema::parse_str(&format!(
        r#"{{"type": "record", "name": "Wide", "fields": [
            {{"name": "model", "type": "string"}},
            {{"name": "submitted_at", "type": "long"}}, {}]}}"#,
        fields.join(", ")
    ))
    .unwrap();
    let writer = apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
        .build()
        .unwrap();
    let avro: Vec<Vec<u8>> = payloads
        .iter()
        .map(|p| {
            let json: serde_json::Value = serde_json::from_slice(p).unwrap();
            let value = apache_avro::types::Value::try_from(json)
                .unwrap()
                .resolve(&schema)
                .unwrap();
            let mut out = vec![0, 0, 0, 0, 7];
            out.extend(writer.write_value_to_vec(value).unwrap());
            out
        })
        .collect();
    let schema = std::sync::Arc::new(psimon::event::avro::WriterSchema::new(schema).unwrap());
    let schema_of = |_: u32| Ok(std::sync::Arc::clone(&schema));
    let mut group = c.benchmark_group("decode_and_bin_20_numeric_avro");
    group.throughput(Throughput::Elements(avro.len() as u64));
    group.bench_function("10000_events", |b| {
        let mut bins = Vec::with_capacity(32);
        let mut extra = psimon::event::Extra::default();
        b.iter(|| {
            let mut n = 0usize;
            for p in &avro {
                n += decoder
                    .decode_avro_with(p, &schema_of, &mut bins, &mut extra)
                    .map(|d| d.model)
                    .unwrap_or(0)
                    + bins.len();
            }
            assert_eq!(n, avro.len() * 20, "every event decodes");
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
