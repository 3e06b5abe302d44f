//! Named percentile gates (`newest_frame_seq_p50=200ms`): a bound on a distribution a run
//! names rather than one every run has. A WebSocket run names one per `--ack-field`, plus
//! `upgrade`; which names exist is only known with the run's flags, so [`parse`](super::parse)
//! accepts any name and the command line checks them with [`unknown_names`].

use std::time::Duration;

use super::{Gate, Rank};

/// An upper bound on one percentile of a named distribution (`oldest_frame_seq_p95=1650ms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedGate {
    /// The distribution's name as the run knows it (case kept: it is a JSON field name).
    pub name: String,
    /// Which percentile of it.
    pub rank: Rank,
    /// The largest acceptable value at that percentile (inclusive).
    pub limit: Duration,
}

/// The distributions a `NAME_pN` gate may name in a run whose sessions ack with
/// `ack_fields` (`None`: not a WebSocket run, so none).
pub fn distribution_names(ack_fields: Option<&[String]>) -> Vec<&str> {
    match ack_fields {
        Some(fields) => fields
            .iter()
            .map(String::as_str)
            .chain(std::iter::once("upgrade"))
            .collect(),
        None => Vec::new(),
    }
}

/// The message for the first named gate whose name is not in `known` (the distributions the
/// run will measure), or `None` when every name is known. A gate nothing will measure can
/// only fail, so the command line refuses it up front (exit 2) instead of failing the run.
pub fn unknown_names(gates: &[Gate], known: &[&str]) -> Option<String> {
    let unknown = gates.iter().find_map(|gate| match gate {
        Gate::Named(g) if !known.contains(&g.name.as_str()) => Some(g),
        _ => None,
    })?;
    let has = match known {
        [] => "no named distribution (NAME_pN gates are for vastar ws: upgrade or an \
               --ack-field NAME)"
            .to_string(),
        names => format!("only {}", names.join(", ")),
    };
    Some(format!(
        "--slo {}: this run measures no distribution named {:?}; it has {has}",
        Gate::Named(unknown.clone()).name(),
        unknown.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slo::parse;

    #[test]
    fn known_names_pass_and_the_first_unknown_is_named() {
        let gates = parse("p99=1s,newest_frame_seq_p50=200ms,upgrade_p99=1s").expect("valid");
        assert_eq!(
            unknown_names(&gates, &["newest_frame_seq", "upgrade"]),
            None
        );
        let err = unknown_names(&gates, &["oldest_frame_seq", "upgrade"]).expect("unknown");
        assert_eq!(
            err,
            "--slo newest_frame_seq_p50: this run measures no distribution named \
             \"newest_frame_seq\"; it has only oldest_frame_seq, upgrade"
        );
    }

    #[test]
    fn a_run_without_named_distributions_refuses_every_named_gate() {
        let gates = parse("ttfb_p99=1ms").expect("parses as a named gate");
        let err = unknown_names(&gates, &[]).expect("unknown");
        assert!(err.starts_with("--slo ttfb_p99: "), "{err}");
        assert!(err.contains("NAME_pN gates are for vastar ws"), "{err}");
        let plain = parse("p99=1s,errors=1%,rps>=1,ttft_p99=1s").expect("valid");
        assert_eq!(unknown_names(&plain, &[]), None);
    }

    #[test]
    fn names_are_case_sensitive_like_json_fields() {
        let gates = parse("newestFrame_P50=1ms").expect("valid");
        assert_eq!(gates[0].name(), "newestFrame_p50");
        assert_eq!(unknown_names(&gates, &["newestFrame"]), None);
        assert!(unknown_names(&gates, &["newestframe"]).is_some());
    }
}
