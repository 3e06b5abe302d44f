//! `--arrival`, `--burstiness`, `--seed`: how an open-loop `--rate` spaces its requests
//! (the flat form and `ai-bench`); validated by `build::arrival`.

use clap::{Args, ValueEnum};

/// How `--rate` spaces its requests (the flat form and `ai-bench`).
#[derive(Debug, Args)]
pub struct ArrivalArgs {
    /// With --rate: how requests are spaced in time.
    ///
    /// constant (default): request i is due at i/RPS, an even beat.
    /// poisson: independent random gaps with mean 1/RPS (exponential, see --burstiness), as
    /// independent users arrive; the schedule comes from --seed, so it repeats exactly.
    /// Either way the schedule is one for the whole run, not one per connection.
    #[arg(long, value_enum, value_name = "KIND", verbatim_doc_comment)]
    pub arrival: Option<ArrivalKind>,
    /// With --rate: gaps are gamma-distributed with shape B and mean 1/RPS, as vLLM's
    /// benchmark does: 1 is a Poisson process, below 1 burstier (clusters and lulls), above
    /// 1 more even. Implies --arrival poisson [default: 1].
    #[arg(long, value_name = "B", allow_negative_numbers = true)]
    pub burstiness: Option<f64>,
    /// Seed of the --arrival poisson schedule: the same seed sends on the same schedule
    /// (recorded in the JSON params) [default: 0].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// `--arrival`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArrivalKind {
    Constant,
    Poisson,
}
