//! Tests of the JSON contract: real output of synthetic runs, validated against the shipped
//! schema and parsed back into the wire types (which deny unknown fields).

use serde_json::{json, Value};

use super::fixtures;
use super::json::{render, JsonReport, SCHEMA_VERSION};
use super::model::{Report, ReportOptions};

const SCHEMA: &str = include_str!("../../schema/report.schema.json");

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("schema is valid JSON")
}

fn rendered(report: &Report) -> Vec<u8> {
    let mut out = Vec::new();
    render(report, &mut out).expect("writing to a Vec cannot fail");
    out
}

pub(super) fn value(report: &Report) -> Value {
    serde_json::from_slice(&rendered(report)).expect("output is JSON")
}

fn all_fixtures() -> [(&'static str, Report); 7] {
    [
        ("basic", fixtures::report_basic()),
        ("errors", fixtures::report_errors()),
        ("no_responses", fixtures::report_no_responses()),
        ("duration", fixtures::report_duration()),
        ("slo_pass", fixtures::report_slo_pass()),
        ("slo_fail", fixtures::report_slo_fail()),
        ("slo_no_responses", fixtures::report_slo_no_responses()),
    ]
}

pub(super) fn schema_errors(instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(&schema()).expect("schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn schema_is_valid_draft_2020_12() {
    assert!(jsonschema::meta::validate(&schema()).is_ok());
    assert_eq!(
        schema()["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

#[test]
fn every_fixture_validates_against_the_schema() {
    for (name, report) in all_fixtures() {
        let errors = schema_errors(&value(&report));
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn schema_rejects_unknown_and_missing_fields() {
    let mut v = value(&fixtures::report_basic());
    v["summary"]["extra"] = json!(1);
    assert!(!schema_errors(&v).is_empty());
    let mut v = value(&fixtures::report_basic());
    v["latency_ms"].as_object_mut().map(|o| o.remove("p99"));
    assert!(!schema_errors(&v).is_empty());
    let mut v = value(&fixtures::report_basic());
    v["errors"] = json!({"bogus": 1});
    assert!(!schema_errors(&v).is_empty());
}

#[test]
fn output_is_exactly_one_json_document_and_a_newline() {
    for (name, report) in all_fixtures() {
        let bytes = rendered(&report);
        assert_eq!(bytes.last(), Some(&b'\n'), "{name}");
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1, "{name}");
        let docs = serde_json::Deserializer::from_slice(&bytes).into_iter::<Value>();
        let docs: Vec<Value> = docs.collect::<Result<_, _>>().expect("valid JSON");
        assert_eq!(docs.len(), 1, "{name}");
    }
}

#[test]
fn round_trips_through_the_wire_types() {
    for (name, report) in all_fixtures() {
        let parsed: JsonReport = serde_json::from_slice(&rendered(&report)).expect(name);
        assert_eq!(parsed, JsonReport::from(&report), "{name}");
    }
}

#[test]
fn header_and_params_of_a_count_run() {
    let v = value(&fixtures::report_basic());
    assert_eq!(v["schema_version"], SCHEMA_VERSION);
    assert_eq!(
        v["tool"],
        json!({"name": "vastar", "version": env!("CARGO_PKG_VERSION")})
    );
    assert_eq!(
        v["params"],
        json!({
            "url": "http://***@127.0.0.1:8080/bench", "method": "GET", "requests": 3000,
            "concurrency": 50, "duration_s": null, "qps": null, "timeout_s": 20.0,
            "keepalive": true, "compression": false, "rate": null, "latency_correction": false,
            "redirect_limit": 10, "proxy": null, "slo": null, "segment": null,
            "start_at": null, "arrival": null, "burstiness": null, "seed": null,
            "model": null, "prompts": null, "ws": null
        })
    );
    assert_eq!(
        v["redirects"],
        json!({"followed": 0, "limit_reached": 0, "cross_host": 0})
    );
    assert!(!String::from_utf8_lossy(&rendered(&fixtures::report_basic())).contains("secret"));
}

#[test]
fn open_loop_run_reports_its_schedule_and_both_latency_views() {
    let mut config = fixtures::config_z(std::time::Duration::from_secs(10), 4);
    config.rate = Some(400.0);
    let mut result = fixtures::result_with_latencies_ms(1..=100);
    let mut service = crate::engine::result::new_latency_histogram();
    for ms in 1..=100u64 {
        service.record(ms * 100_000).expect("in range");
    }
    result.service_ns = Some(service);
    let mut lateness = crate::engine::result::new_latency_histogram();
    for us in 1..=100u64 {
        lateness.record(us * 1_000).expect("in range");
    }
    result.send_lateness_ns = Some(lateness);
    result.late_sends = 3;
    result.sending = std::time::Duration::from_micros(9_997_500);
    let report = fixtures::report_of(&config, &result, &ReportOptions::default());
    let v = value(&report);
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    assert_eq!(v["params"]["rate"], 400.0);
    assert_eq!(v["rate"]["target_rps"], 400.0);
    assert_eq!(v["rate"]["late_sends"], 3);
    assert_eq!(v["summary"]["send_secs"], 9.9975);
    // 100 requests sent, the last at 9.9975 s, plus one 2.5 ms interval: 10 s.
    assert_eq!(v["rate"]["achieved_rps"], 10.0);
    let near = |x: &Value, expected: f64| (x.as_f64().unwrap_or(f64::NAN) - expected).abs() < 0.05;
    assert!(near(&v["latency_ms"]["p50"], 50.0), "{}", v["latency_ms"]);
    assert!(
        near(&v["service_time_ms"]["p50"], 5.0),
        "{}",
        v["service_time_ms"]
    );
    let lateness = &v["rate"]["send_lateness_ms"];
    assert!(
        near(&lateness["p50"], 0.05) && near(&lateness["p99"], 0.099),
        "{lateness}"
    );
    let closed = value(&fixtures::report_basic());
    assert_eq!(
        (closed["rate"].clone(), closed["service_time_ms"].clone()),
        (Value::Null, Value::Null)
    );
}

#[test]
fn duration_run_has_null_request_count() {
    let v = value(&fixtures::report_duration());
    assert_eq!(v["params"]["requests"], Value::Null);
    assert_eq!(v["params"]["duration_s"], 10.0);
    assert_eq!(v["params"]["timeout_s"], Value::Null);
    assert_eq!(v["summary"]["rps"], 300.0);
}

#[test]
fn errors_statuses_and_phases() {
    let v = value(&fixtures::report_errors());
    assert_eq!(
        v["status_codes"],
        json!({"200": 2900, "404": 30, "503": 20})
    );
    assert_eq!(v["errors"], json!({"connect": 5, "timeout": 45}));
    assert_eq!(v["details_ms"]["connect"], Value::Null);
    assert_eq!(
        v["details_ms"]["write"],
        json!({"avg": 0.015, "min": 0.005, "max": 0.22})
    );
    assert_eq!(
        v["connections"],
        json!({"opened": 55, "reconnects": 5, "preconnect_retries": 1, "goaways": 0})
    );
    let counts: u64 = v["histogram"].as_array().map_or(0, |bins| {
        bins.iter().filter_map(|b| b["count"].as_u64()).sum()
    });
    assert_eq!(counts, 2950);
    assert_eq!(v["summary"]["successful"], 2950);
}

#[test]
fn no_responses_nulls_latency_and_insight() {
    let v = value(&fixtures::report_no_responses());
    assert!(v["latency_ms"]
        .as_object()
        .is_some_and(|o| o.values().all(Value::is_null)));
    assert_eq!(v["insight"], Value::Null);
    assert_eq!(v["histogram"], json!([]));
    assert_eq!(v["status_codes"], json!({}));
    for key in ["slowest_ms", "fastest_ms", "average_ms"] {
        assert_eq!(v["summary"][key], Value::Null, "{key}");
    }
    assert_eq!(v["summary"]["failed"], 40);
}

#[test]
fn basic_run_has_no_errors_and_an_insight() {
    let v = value(&fixtures::report_basic());
    assert_eq!(v["errors"], json!({}));
    assert_eq!(v["insight"]["tail_verdict"], "clean_tail");
    assert!(v["latency_ms"]["p50"]
        .as_f64()
        .is_some_and(|p50| p50 > 0.8 && p50 < 8.8));
}

#[test]
fn slo_is_null_without_gates() {
    for report in [fixtures::report_basic(), fixtures::report_no_responses()] {
        assert_eq!(value(&report)["slo"], Value::Null);
    }
}

#[test]
fn slo_gates_in_natural_units() {
    let v = value(&fixtures::report_slo_fail());
    let p = |q: &str| v["latency_ms"][q].clone();
    assert_eq!(
        v["slo"],
        json!({
            "passed": false,
            "gates": [
                {"name": "p50", "limit": 5.0, "measured": p("p50"), "passed": true},
                {"name": "p99", "limit": 15.0, "measured": p("p99"), "passed": false},
                {"name": "p99.9", "limit": 150.0, "measured": p("p99_9"), "passed": false},
                {"name": "errors", "limit": 0.01, "measured": 50.0 / 3000.0, "passed": false},
                {"name": "rps", "limit": 1000.0, "measured": 1180.0, "passed": true},
            ]
        })
    );
    assert_eq!(value(&fixtures::report_slo_pass())["slo"]["passed"], true);
}

#[test]
fn unmeasurable_gates_are_null_and_failed() {
    let v = value(&fixtures::report_slo_no_responses());
    assert_eq!(
        v["slo"]["gates"][0],
        json!({"name": "p99", "limit": 250.0, "measured": null, "passed": false})
    );
    assert_eq!(v["slo"]["gates"][1]["measured"], 1.0);
    assert_eq!(v["slo"]["passed"], false);
}

#[test]
fn schema_checks_slo_gates() {
    let base = value(&fixtures::report_slo_fail());
    for (field, bad) in [
        ("name", json!("p100")),
        ("name", json!("p99.90")),
        ("name", json!("latency")),
        ("limit", json!(-1.0)),
        ("measured", json!("12 ms")),
        ("passed", json!(null)),
    ] {
        let mut v = base.clone();
        v["slo"]["gates"][0][field] = bad.clone();
        assert!(!schema_errors(&v).is_empty(), "{field} = {bad}");
    }
    let mut v = base.clone();
    v["slo"]["gates"][0]["unit"] = json!("ms");
    assert!(!schema_errors(&v).is_empty());
    let mut v = base;
    v["slo"]["gates"] = json!([]);
    assert!(!schema_errors(&v).is_empty());
}

#[test]
fn a_1_0_document_still_validates() {
    let mut v = value(&fixtures::report_basic());
    v.as_object_mut().map(|o| o.remove("slo"));
    v.as_object_mut().map(|o| o.remove("redirects"));
    for added in ["redirect_limit", "proxy"] {
        v["params"].as_object_mut().map(|o| o.remove(added));
    }
    v["schema_version"] = json!("1.0");
    let errors = schema_errors(&v);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn histogram_scale_says_how_the_bins_are_spaced() {
    use super::model::HistScale;
    for (scale, key) in [(HistScale::Log, "log"), (HistScale::Linear, "linear")] {
        let v = value(&fixtures::report_outlier(scale));
        assert_eq!(v["histogram_scale"], key);
        let errors = schema_errors(&v);
        assert!(errors.is_empty(), "{key}: {errors:#?}");
        let counts: Vec<u64> = v["histogram"].as_array().map_or(Vec::new(), |bins| {
            bins.iter().filter_map(|b| b["count"].as_u64()).collect()
        });
        assert_eq!(counts.iter().sum::<u64>(), 3003, "{key}");
    }
    assert_eq!(value(&fixtures::report_basic())["histogram_scale"], "log");
    let mut v = value(&fixtures::report_basic());
    v["histogram_scale"] = json!("exponential");
    assert!(!schema_errors(&v).is_empty());
}

#[test]
fn a_1_1_document_without_histogram_scale_reads_as_linear() {
    let mut v = value(&fixtures::report_basic());
    v.as_object_mut().map(|o| o.remove("histogram_scale"));
    v["schema_version"] = json!("1.1");
    assert!(schema_errors(&v).is_empty());
    let parsed: JsonReport = serde_json::from_value(v).expect("a 1.1 document parses");
    assert_eq!(parsed.histogram_scale, "linear");
}

#[test]
fn redirects_and_a_redacted_proxy_are_reported() {
    let mut config = fixtures::config_n(100, 4);
    config.proxy = Some(crate::url::Target::parse("http://u:s3cret@10.0.0.1:3128").unwrap());
    config.redirect_limit = 5;
    let mut result = fixtures::result_with_latencies_ms(1..=100);
    result.redirects = crate::engine::result::RedirectStats {
        followed: 30,
        limit_reached: 2,
        cross_host: 1,
    };
    let report = fixtures::report_of(&config, &result, &ReportOptions::default());
    let v = value(&report);
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    assert_eq!(
        v["redirects"],
        json!({"followed": 30, "limit_reached": 2, "cross_host": 1})
    );
    assert_eq!(v["params"]["redirect_limit"], 5);
    assert_eq!(v["params"]["proxy"], "http://***@10.0.0.1:3128");
    assert!(!String::from_utf8_lossy(&rendered(&report)).contains("s3cret"));
}

#[test]
fn a_1_1_document_without_the_1_2_fields_still_validates_and_parses() {
    let mut v = value(&fixtures::report_open_loop());
    v["schema_version"] = json!("1.1");
    v["summary"].as_object_mut().map(|o| o.remove("send_secs"));
    v["rate"]
        .as_object_mut()
        .map(|o| o.remove("send_lateness_ms"));
    let errors = schema_errors(&v);
    assert!(errors.is_empty(), "{errors:#?}");
    let parsed: JsonReport = serde_json::from_value(v).expect("a 1.1 document parses");
    assert_eq!(parsed.summary.send_secs, None);
    let rate = parsed.rate.expect("open-loop fixture");
    assert_eq!(rate.send_lateness_ms.p50, None);
}

#[test]
fn intervals_are_null_without_interval_and_one_entry_each_with_it() {
    use crate::engine::intervals::{Interval, Intervals};
    use crate::report::intervals::IntervalsView;
    use std::time::Duration;
    assert_eq!(value(&fixtures::report_basic())["intervals"], Value::Null);
    let mut report = fixtures::report_basic();
    let mut busy = Interval::empty(0, None);
    busy.latency_ns.record(2_000_000).unwrap();
    (busy.requests, busy.responses, busy.errors) = (3, 1, 2);
    let series = Intervals {
        length: Duration::from_millis(500),
        entries: vec![busy],
    };
    report.intervals = Some(IntervalsView::new(&series, Duration::from_millis(800)));
    let v = value(&report);
    assert!(schema_errors(&v).is_empty(), "{:#?}", schema_errors(&v));
    let entries = v["intervals"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["requests"], 3);
    assert_eq!(entries[0]["errors"], 2);
    assert_eq!(entries[0]["rps"], 2.0);
    assert_eq!(entries[1]["start_s"], 0.5);
    assert_eq!(entries[1]["duration_s"], 0.3);
    assert_eq!(entries[1]["p99_ms"], Value::Null);
    let parsed: JsonReport = serde_json::from_value(v).unwrap();
    assert_eq!(parsed.intervals.unwrap()[0].max_ms, Some(2.007_039));
}
