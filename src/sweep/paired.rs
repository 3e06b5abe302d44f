//! Paired mode's cached reference (`--ref-from-json`): a curve read from an earlier
//! `vastar sweep -o json` result, so many gateways can be compared against one upstream
//! sweep without re-measuring it. Pure: text in, curve (or one-line reason) out.

use super::config::CachedCurve;
use super::report_json::SweepJson;

/// Reads a saved sweep result as a reference curve, or says in one line why it is not one.
pub fn load_reference(path: &str, text: &str) -> Result<CachedCurve, String> {
    let not_a_sweep =
        |why: String| format!("--ref-from-json {path} is not a vastar sweep result: {why}");
    let doc: SweepJson = serde_json::from_str(text).map_err(|e| not_a_sweep(e.to_string()))?;
    if !doc.schema_version.starts_with("1.") {
        return Err(not_a_sweep(format!(
            "schema_version {:?}",
            doc.schema_version
        )));
    }
    let baseline = doc
        .baseline
        .ok_or_else(|| not_a_sweep("it has no baseline (a --find-max result?)".into()))?;
    let mut points: Vec<(usize, _)> = doc
        .sweep_points
        .iter()
        .filter_map(|p| {
            let m = super::report_json::MeasurementJson {
                rps: p.rps?,
                p50_ms: p.p50_ms?,
                p95_ms: p.p95_ms?,
                p99_ms: p.p99_ms?,
                p999_ms: p.p999_ms?,
                error_rate: p.error_rate?,
            };
            Some((p.concurrency, m.to_measurement()))
        })
        .collect();
    points.sort_by_key(|(c, _)| *c);
    if points.is_empty() {
        return Err(not_a_sweep("it has no measured level".into()));
    }
    Ok(CachedCurve {
        path: path.to_string(),
        url: doc.params.url,
        method: doc.params.method,
        baseline: baseline.measured.to_measurement(),
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
}
