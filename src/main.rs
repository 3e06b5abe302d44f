//! `vastar`: parse the command line, run, map the outcome to an exit code.

use clap::Parser;

use vastar::app;
use vastar::cli::Cli;

fn main() {
    let cli = match Cli::try_parse() {
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

/// Help and version go to stdout with exit 0; usage errors become one line and exit 2.
fn exit_on_clap_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("invalid usage")
        .trim_start_matches("error: ");
    eprintln!("vastar: error: {first} (see --help)");
    std::process::exit(app::EXIT_USAGE);
}
