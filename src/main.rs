//! `vastar`: parse the command line, run, map the outcome to an exit code.

use clap::{CommandFactory, Parser};

use vastar::app;
use vastar::cli::{hey, Cli, FlagValueError};

fn main() {
    // hey's single-dash long flags would otherwise parse as something else entirely.
    let argv = match hey::normalise(&Cli::command(), std::env::args_os().collect()) {
        Ok(argv) => argv,
        Err(e) => {
            eprintln!("vastar: error: {e}");
            std::process::exit(app::EXIT_USAGE);
        }
    };
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => exit_on_clap_error(e),
    };
    let code = match app::run(cli.command, cli.run) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vastar: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// Clap's message up to its usage block, folded onto one line: some errors name the culprit
/// on a second line (`the following required arguments were not provided:\n  <URL>`).
fn one_line(rendered: &str) -> String {
    let lines: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    match lines.join(" ").trim_start_matches("error: ") {
        "" => "invalid usage".to_string(),
        message => message.to_string(),
    }
}

/// Help and version go to stdout with exit 0; usage errors become one line and exit 2. A
/// value parser's [`FlagValueError`] already names the flag, so it is shown without clap's
/// prefix.
fn exit_on_clap_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    use std::error::Error;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let message = match e.source().and_then(|s| s.downcast_ref::<FlagValueError>()) {
        Some(own) => own.to_string(),
        None => one_line(&e.render().to_string()),
    };
    eprintln!("vastar: error: {message} (see --help)");
    std::process::exit(app::EXIT_USAGE);
}
