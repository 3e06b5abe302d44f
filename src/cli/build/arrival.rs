//! Validation of the `--rate` schedule flags (`--arrival`, `--burstiness`, `--seed`).

use super::{usage, UsageError};
use crate::cli::{ArrivalArgs, ArrivalKind};
use crate::config::{Arrival, DEFAULT_SEED};

/// `--arrival`, `--burstiness` and `--seed`: only meaningful with `--rate`, and
/// `--burstiness` shapes random gaps only.
pub fn arrival(args: &ArrivalArgs, rate: bool) -> Result<Arrival, UsageError> {
    let given = [
        ("--arrival", args.arrival.is_some()),
        ("--burstiness", args.burstiness.is_some()),
        ("--seed", args.seed.is_some()),
    ];
    if let (false, Some((flag, _))) = (rate, given.iter().find(|(_, g)| *g)) {
        return Err(usage(format!(
            "{flag} shapes the --rate schedule: add --rate RPS"
        )));
    }
    let burstiness = match args.burstiness {
        Some(b) if !(b.is_finite() && (0.01..=1000.0).contains(&b)) => {
            return Err(usage(format!(
                "--burstiness must be between 0.01 and 1000 (1 = Poisson), got {b}"
            )))
        }
        Some(b) => b,
        None => 1.0,
    };
    let random = Arrival::Poisson {
        burstiness,
        seed: args.seed.unwrap_or(DEFAULT_SEED),
    };
    match (args.arrival, args.burstiness, args.seed) {
        (Some(ArrivalKind::Poisson), _, _) | (None, Some(_), _) => Ok(random),
        (Some(ArrivalKind::Constant), Some(_), _) => Err(usage(
            "--burstiness shapes random gaps: use it with --arrival poisson, not constant",
        )),
        (_, None, Some(_)) => Err(usage(
            "--seed seeds random gaps: use it with --arrival poisson",
        )),
        _ => Ok(Arrival::Constant),
    }
}
