//! From `vastar serve --llm` and `--ws` flags to a validated [`LlmConfig`] and [`WsMode`].
//!
//! Kept apart from the flat form's builder: the target's flags share nothing with a run's.

use super::build::UsageError;
use super::ServeArgs;
use crate::serve::{LlmConfig, WsMode};

/// The simulated model of `serve --llm`, or `None` without `--llm`. Flags not given keep
/// [`LlmConfig::default`]'s values.
pub fn llm_config(args: &ServeArgs) -> Result<Option<LlmConfig>, UsageError> {
    if !args.llm {
        return Ok(None);
    }
    let defaults = LlmConfig::default();
    let jitter_pct = args.jitter.unwrap_or(defaults.jitter_pct);
    if !(0.0..=100.0).contains(&jitter_pct) {
        return Err(UsageError(format!(
            "--jitter must be a percentage from 0 to 100, got {jitter_pct}"
        )));
    }
    if args.tokens == Some(0) {
        return Err(UsageError("--tokens must be at least 1".into()));
    }
    Ok(Some(LlmConfig {
        ttft: args.ttft.unwrap_or(defaults.ttft),
        itl: args.itl.unwrap_or(defaults.itl),
        tokens: args.tokens.unwrap_or(defaults.tokens),
        jitter_pct,
    }))
}

/// The WebSocket mode of `serve --ws` / `--ws-batch D` (`--ws-batch` alone implies `--ws`;
/// its parser already refuses a zero duration), or `None` for HTTP.
pub fn ws_mode(args: &ServeArgs) -> Option<WsMode> {
    match args.ws_batch {
        Some(every) => Some(WsMode::Batch(every)),
        None => args.ws.then_some(WsMode::Echo),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use std::time::Duration;

    fn serve_args(line: &str) -> ServeArgs {
        let cli = Cli::try_parse_from(line.split_whitespace()).expect("flags parse");
        match cli.command {
            Some(Command::Serve(args)) => args,
            other => panic!("not serve: {other:?}"),
        }
    }

    fn llm(line: &str) -> Result<Option<LlmConfig>, UsageError> {
        llm_config(&serve_args(line))
    }

    #[test]
    fn ws_flags_pick_the_mode() {
        let ws = |line| ws_mode(&serve_args(line));
        assert_eq!(ws("vastar serve"), None);
        assert_eq!(ws("vastar serve --ws"), Some(WsMode::Echo));
        let batch = Some(WsMode::Batch(Duration::from_millis(100)));
        assert_eq!(ws("vastar serve --ws-batch 100ms"), batch);
        assert_eq!(ws("vastar serve --ws --ws-batch 100ms --tls"), batch);
        let refused = [
            "--ws --http2",
            "--ws --llm",
            "--ws-batch 1s --delay 1ms",
            "--ws-batch x",
            "--ws-batch 0ms",
        ];
        for line in refused {
            let line = format!("vastar serve {line}");
            assert!(
                Cli::try_parse_from(line.split_whitespace()).is_err(),
                "{line}"
            );
        }
    }

    #[test]
    fn flags_override_the_defaults() {
        assert_eq!(llm("vastar serve").unwrap(), None);
        assert_eq!(
            llm("vastar serve --llm").unwrap(),
            Some(LlmConfig::default())
        );
        let config = llm("vastar serve --llm --ttft 5ms --itl 2ms --tokens 3 --jitter 10")
            .unwrap()
            .unwrap();
        assert_eq!(
            config,
            LlmConfig {
                ttft: Duration::from_millis(5),
                itl: Duration::from_millis(2),
                tokens: 3,
                jitter_pct: 10.0,
            }
        );
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for line in ["--jitter 101", "--jitter -1", "--jitter NaN", "--tokens 0"] {
            let line = format!("vastar serve --llm {line}");
            assert!(llm(&line).is_err(), "{line}");
        }
    }

    #[test]
    fn llm_flags_need_llm_and_exclude_other_modes() {
        for line in [
            "serve --itl 5ms",
            "serve --llm --http2",
            "serve --llm --delay 1ms",
        ] {
            let line = format!("vastar {line}");
            assert!(
                Cli::try_parse_from(line.split_whitespace()).is_err(),
                "{line}"
            );
        }
    }
}
