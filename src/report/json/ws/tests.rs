//! The `ws` object and `params.ws` of the JSON report, on hand-made WebSocket runs.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::config::WsCadence;
use crate::report::fixtures::{self, ws as wsfix};
use crate::report::json::JsonReport;
use crate::report::json_tests::{schema_errors, value};

const QUANTILE_KEYS: [&str; 9] = [
    "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p99_9", "p99_99",
];

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map_or(Vec::new(), |o| o.keys().cloned().collect())
}

fn ms(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

#[test]
fn ws_reports_validate_and_parse_back() {
    for (name, report) in [
        ("acks", wsfix::report_ws_acks()),
        ("echo", wsfix::report_ws_echo()),
    ] {
        let v = value(&report);
        let errors = schema_errors(&v);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let parsed: JsonReport = serde_json::from_value(v.clone()).expect("parses");
        assert_eq!(serde_json::to_value(&parsed).unwrap(), v, "{name}");
        assert!(parsed.ws.is_some() && parsed.params.ws.is_some(), "{name}");
        assert_eq!(v["protocol"], "websocket", "{name}");
    }
}

#[test]
fn http_runs_have_null_ws_and_params_ws() {
    let v = value(&fixtures::report_basic());
    assert_eq!(v["ws"], Value::Null);
    assert_eq!(v["params"]["ws"], Value::Null);
    assert_eq!(v["result"]["ws"], Value::Null);
}

#[test]
fn acks_are_keyed_by_field_name_with_the_latency_keys() {
    let v = value(&wsfix::report_ws_acks());
    let ws = &v["ws"];
    assert_eq!(keys(&ws["acks"]), wsfix::ACK_FIELDS);
    for field in wsfix::ACK_FIELDS {
        assert_eq!(keys(&ws["acks"][field]), keys(&v["latency_ms"]), "{field}");
        assert_eq!(keys(&ws["acks"][field]).len(), QUANTILE_KEYS.len());
    }
    // Fixture: newest uniform in 30..40 ms, oldest in 230..250 ms.
    let newest = ms(&ws["acks"]["newest_frame_seq"]["p50"]);
    let oldest = ms(&ws["acks"]["oldest_frame_seq"]["p50"]);
    assert!((33.0..37.0).contains(&newest), "{newest}");
    assert!((236.0..244.0).contains(&oldest), "{oldest}");
    assert_eq!(ws["latency_ms"], Value::Null, "--every has no echo latency");
    assert!(ms(&ws["send_lateness_ms"]["p99"]) <= 3.0);
    assert!(ms(&ws["upgrade_ms"]["p50"]) >= 2.0);
}

#[test]
fn an_echo_run_has_echo_latency_and_no_acks() {
    let v = value(&wsfix::report_ws_echo());
    let ws = &v["ws"];
    assert_eq!(keys(&ws["latency_ms"]), QUANTILE_KEYS);
    let p50 = ms(&ws["latency_ms"]["p50"]);
    assert!((2.0..3.0).contains(&p50), "{p50}");
    assert_eq!(ws["acks"], json!({}));
    assert_eq!(ws["send_lateness_ms"], Value::Null);
    assert_eq!(ws["errors"], json!({}));
    assert_eq!(ws["error_rate"], 0.0);
}

#[test]
fn counts_and_maps_are_the_sessions() {
    let ws = &value(&wsfix::report_ws_acks())["ws"];
    assert_eq!(
        ws["sessions"],
        json!({"opened": 2, "failed": 3, "closed_by_server": 1})
    );
    assert_eq!(
        ws["messages"],
        json!({"sent": 990, "received": 450, "pings": 4, "warmup_sent": 100})
    );
    assert_eq!(ws["close_codes"], json!({"1011": 1}));
    assert_eq!(ws["upgrade_statuses"], json!({"503": 3}));
}

#[test]
fn errors_merge_failed_sends_with_session_failures_over_messages_attempted() {
    let v = value(&wsfix::report_ws_acks());
    assert_eq!(v["errors"], json!({"reset": 7, "ws_upgrade": 3}));
    let ws = &v["ws"];
    assert_eq!(
        ws["errors"],
        json!({"reset": 7, "ws_upgrade": 3, "ws_unknown_ack": 2, "ws_bad_message": 1,
               "ws_closed": 1})
    );
    // 990 messages exchanged + 10 failed sends attempted; 10 + 4 failures.
    assert_eq!(v["summary"]["requests"], 1000);
    assert_eq!(ws["error_rate"], 14.0 / 1000.0);
}

#[test]
fn no_message_attempted_means_a_null_error_rate() {
    let config = wsfix::ws_config(WsCadence::Echo, &[], Duration::ZERO);
    let mut result = fixtures::empty_result(Duration::from_secs(1));
    result.ws = Some(WsStats::new(Vec::new()));
    let v = value(&fixtures::report_of(&config, &result, &Default::default()));
    assert_eq!(v["ws"]["error_rate"], Value::Null);
    assert_eq!(v["ws"]["upgrade_ms"]["p50"], Value::Null);
    assert!(schema_errors(&v).is_empty(), "{:#?}", schema_errors(&v));
}

#[test]
fn warmup_is_null_without_warmup_and_reported_apart_with_it() {
    assert_eq!(value(&wsfix::report_ws_echo())["ws"]["warmup"], Value::Null);
    let warmup = &value(&wsfix::report_ws_acks())["ws"]["warmup"];
    assert_eq!(warmup["latency_ms"], Value::Null);
    assert_eq!(keys(&warmup["acks"]), wsfix::ACK_FIELDS);
    let newest = ms(&warmup["acks"]["newest_frame_seq"]["p50"]);
    assert!(
        (63.0..67.0).contains(&newest),
        "warm-up acks are their own: {newest}"
    );
}

#[test]
fn params_ws_echo_the_sessions_flags() {
    let v = value(&wsfix::report_ws_acks());
    assert_eq!(
        v["params"]["ws"],
        json!({"mode": "every", "every_ms": 20.0, "ack_fields": wsfix::ACK_FIELDS,
               "warmup_s": 1.0, "ramp_s": 1.0, "frames": 4, "binary": true})
    );
    let echo = value(&wsfix::report_ws_echo());
    assert_eq!(echo["params"]["ws"]["mode"], "echo");
    assert_eq!(echo["params"]["ws"]["every_ms"], Value::Null);
}

#[test]
fn params_ws_read_back_to_the_nanosecond() {
    let config = wsfix::ws_config(
        WsCadence::Every(Duration::from_nanos(16_666_667)),
        &["a"],
        Duration::from_nanos(1_234_567_891),
    );
    let params = crate::results::params::WsParams::of(config.ws.as_ref().unwrap());
    let wire = JsonWsParams::from(&params);
    let text = serde_json::to_string(&wire).unwrap();
    let back: JsonWsParams = serde_json::from_str(&text).unwrap();
    assert_eq!(back.into_params(), Some(params));
    let mut unknown = wire;
    unknown.mode = "burst".into();
    assert_eq!(unknown.into_params(), None);
}

#[test]
fn the_schema_guards_the_ws_object() {
    let base = value(&wsfix::report_ws_acks());
    let mut v = base.clone();
    v["ws"]["extra"] = json!(1);
    assert!(!schema_errors(&v).is_empty());
    let mut v = base.clone();
    v["ws"]["errors"] = json!({"gremlins": 1});
    assert!(!schema_errors(&v).is_empty());
    let mut v = base.clone();
    v["ws"]["acks"]["newest_frame_seq"]
        .as_object_mut()
        .map(|o| o.remove("p99"));
    assert!(!schema_errors(&v).is_empty());
    let mut v = base.clone();
    v["params"]["ws"]["mode"] = json!("burst");
    assert!(!schema_errors(&v).is_empty());
    let mut v = base;
    v["result"]["ws"]["histograms"]["measured"]
        .as_object_mut()
        .map(|o| o.remove("echo"));
    assert!(!schema_errors(&v).is_empty());
}

#[test]
fn ws_gate_names_are_valid_gate_names() {
    let mut v = value(&wsfix::report_ws_acks());
    for name in ["newest_frame_seq_p50", "upgrade_p99.9", "p99", "errors"] {
        v["slo"] = json!({"passed": true, "gates": [
            {"name": name, "limit": 200.0, "measured": 30.0, "passed": true}]});
        assert!(
            schema_errors(&v).is_empty(),
            "{name}: {:#?}",
            schema_errors(&v)
        );
    }
    for name in ["newest_frame_seq", "_p50", "a b_p50", "x_p100"] {
        v["slo"]["gates"][0]["name"] = json!(name);
        assert!(!schema_errors(&v).is_empty(), "{name}");
    }
}
