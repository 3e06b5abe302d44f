//! `vastar merge`'s flags: result files in, the report of their union out.

use std::path::PathBuf;

use clap::Args;

use super::{parse_hist_bins, ColorChoice, HistScaleArg, RunOutput};

/// Flags of `vastar merge`.
#[derive(Debug, Args)]
#[command(after_help = MERGE_HELP)]
pub struct MergeArgs {
    /// Result files written by `vastar ... -o json` (one JSON document each, or several
    /// per file as JSON Lines).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format: the report as text or JSON, or (when the files carry an
    /// `--interval` series) the merged series alone as CSV.
    #[arg(short = 'o', value_enum, default_value_t = RunOutput::Text)]
    pub output: RunOutput,
    /// Gates to judge the merged result by (same syntax as the flat form's --slo); exit 1
    /// when one fails. Without it, the gates the files were run with, when they agree.
    #[arg(long, value_name = "GATES")]
    pub slo: Option<String>,
    /// Merge results of different targets or methods deliberately (refused otherwise).
    #[arg(long)]
    pub force: bool,
    /// Number of bars in the latency histogram [default: as in the first file].
    #[arg(long, value_name = "N", value_parser = parse_hist_bins)]
    pub hist_bins: Option<usize>,
    /// Spacing of the histogram's bars [default: as in the first file].
    #[arg(long, value_enum, value_name = "SCALE")]
    pub hist_scale: Option<HistScaleArg>,
    /// When to color the text report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// How `merge` combines, shown under `vastar merge --help`.
const MERGE_HELP: &str = "\
Counts and bytes are summed, histograms added bucket by bucket (percentiles of the union,
never averages of percentiles), and rates are counted over the union of the files'
wall-clock windows. `vastar merge` of one file prints that file's report again.

Exit codes: 0 merged (every gate passed), 1 a gate failed, 2 a file is unreadable, not a
vastar result, of a schema this version cannot merge, or of another target or method.";
