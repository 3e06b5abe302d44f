//! Paired mode's cached reference (`--ref-from-json`): a curve read from an earlier
//! `vastar sweep -o json` result, so many gateways can be compared against one upstream
//! sweep without re-measuring it. Pure: text in, curve (or one-line reason) out.

use serde::Deserialize;

use super::config::CachedCurve;
use super::point::Measurement;

/// What a cached reference needs of a saved sweep: the seed's 1.0 fields, so a document
/// with none of vastar's additions still reads. Unknown fields are ignored.
#[derive(Deserialize)]
struct SavedSweep {
    schema_version: String,
    params: SavedParams,
    baseline: Option<SavedLevel>,
    #[serde(default)]
    sweep_points: Vec<SavedLevel>,
}

#[derive(Deserialize)]
struct SavedParams {
    url: String,
    method: String,
}

/// One level (or the baseline). Only rps, p50 and p99 are required, as in the seed's
/// baseline; a missing p95 or p99.9 reads as the p99, a missing error rate as 0.
#[derive(Deserialize)]
struct SavedLevel {
    concurrency: usize,
    rps: Option<f64>,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    p99_ms: Option<f64>,
    p999_ms: Option<f64>,
    error_rate: Option<f64>,
}

impl SavedLevel {
    /// `None` for a level that measured nothing (disqualified without numbers).
    fn measurement(&self) -> Option<Measurement> {
        let p99_ms = self.p99_ms?;
        Some(Measurement {
            rps: self.rps?,
            p50_ms: self.p50_ms?,
            p95_ms: self.p95_ms.unwrap_or(p99_ms),
            p99_ms,
            p999_ms: self.p999_ms.unwrap_or(p99_ms),
            error_rate: self.error_rate.unwrap_or(0.0),
        })
    }
}

/// Reads a saved sweep result as a reference curve, or says in one line why it is not one.
pub fn load_reference(path: &str, text: &str) -> Result<CachedCurve, String> {
    let not_a_sweep =
        |why: String| format!("--ref-from-json {path} is not a vastar sweep result: {why}");
    let doc: SavedSweep = serde_json::from_str(text).map_err(|e| not_a_sweep(e.to_string()))?;
    if !doc.schema_version.starts_with("1.") {
        return Err(not_a_sweep(format!(
            "schema_version {:?}",
            doc.schema_version
        )));
    }
    let (baseline_c, baseline) = doc
        .baseline
        .and_then(|b| Some((b.concurrency, b.measurement()?)))
        .ok_or_else(|| not_a_sweep("it has no baseline (a --find-max result?)".into()))?;
    let mut points: Vec<(usize, Measurement)> = doc
        .sweep_points
        .iter()
        .filter_map(|p| Some((p.concurrency, p.measurement()?)))
        .collect();
    points.sort_by_key(|(c, _)| *c);
    if points.is_empty() {
        return Err(not_a_sweep("it has no measured level".into()));
    }
    Ok(CachedCurve {
        path: path.to_string(),
        url: doc.params.url,
        method: doc.params.method,
        baseline_c,
        baseline,
        points,
    })
}

/// Checks that the cached curve has every level the sweep will visit.
pub fn check_coverage(curve: &CachedCurve, levels: &[usize]) -> Result<(), String> {
    let missing: Vec<String> = levels
        .iter()
        .filter(|c| curve.at(**c).is_none())
        .map(|c| c.to_string())
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "--ref-from-json {} does not cover c={} (it has c={})",
            curve.path,
            missing.join(","),
            curve
                .points
                .iter()
                .map(|(c, _)| c.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anything_but_a_sweep_result_is_refused_in_one_line() {
        for text in ["", "{}", "[1,2]", r#"{"schema_version":"1.2","tool":{}}"#] {
            let err = load_reference("f.json", text).unwrap_err();
            assert!(
                err.starts_with("--ref-from-json f.json is not a vastar sweep result"),
                "{err}"
            );
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn a_document_with_only_the_seeds_fields_is_a_reference() {
        // The seed's own example (ROADMAP Phase 0), a disqualified level without numbers
        // included; none of vastar's additions.
        let seed = r#"{"schema_version": "1.0",
            "params": {"url": "http://up/", "method": "POST", "baseline_c": 1, "pick": "knee"},
            "machine": {"cpu_cores_physical": 8, "cpu_cores_logical": 16, "ram_mb": 20000},
            "baseline": {"concurrency": 2, "rps": 3200, "p50_ms": 0.31, "p99_ms": 0.45},
            "sweep_points": [
              {"concurrency": 10, "repeats": 3, "rps": 6420, "p50_ms": 1.55, "p95_ms": 2.30,
               "p99_ms": 3.10, "p999_ms": 3.80, "error_rate": 0.0, "disqualified": null,
               "score": 2660},
              {"concurrency": 1000, "disqualified": "spread=2.8"}],
            "sweet_spot": null, "notes": []}"#;
        let curve = load_reference("up.json", seed).unwrap();
        assert_eq!(
            (curve.url.as_str(), curve.method.as_str()),
            ("http://up/", "POST")
        );
        assert_eq!(curve.baseline_c, 2);
        assert_eq!((curve.baseline.rps, curve.baseline.p95_ms), (3200.0, 0.45));
        assert_eq!(curve.points.len(), 1);
        assert_eq!(curve.at(10).map(|m| m.p999_ms), Some(3.80));
    }
}
