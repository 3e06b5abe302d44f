//! hey's spellings of flags, rewritten to vastar's before clap sees them.
//!
//! hey (Go's `flag` package) spells long flags with one dash: `-disable-keepalive`,
//! `-host X`, `-cpus 2`. Handed to clap as is, `-disable-keepalive` reads as `-d
//! "isable-keepalive"` (a request body) and `-host X` as `-h` (help): a silently different
//! meaning. So before parsing, every such token in *flag position* is rewritten to the vastar
//! spelling with the same meaning, and the few hey flags vastar cannot honour (`-h2`, `-o
//! csv`) are refused with one line that says so.
//!
//! Invariants:
//! - Only tokens in flag position are touched: a value (`-d -disable-keepalive` sends that
//!   body), anything after `--`, and the arguments of a subcommand stay as typed. Which
//!   flags take a value is read from the clap definition itself, so a flag added later
//!   cannot be misjudged.
//! - Pure: argv in, argv (or a usage error) out.

use std::ffi::OsString;

use clap::Command;

use super::build::UsageError;

/// hey's boolean flags and the vastar spelling of each.
const BOOLEANS: [(&str, &str); 3] = [
    ("disable-keepalive", "--disable-keepalive"),
    ("disable-compression", "--disable-compression"),
    ("disable-redirects", "--disable-redirects"),
];

/// hey's flags that take a value, and the vastar spelling of each.
const VALUED: [(&str, &str); 2] = [("host", "--host"), ("cpus", "--cpus")];

/// Refusal of hey's `-h2`: not rewritten, because hey speaks HTTP/1.1 to `http://` URLs even
/// with `-h2`, while `--http2` speaks h2c there; the user picks.
const NO_H2: &str = "-h2: vastar spells HTTP/2 --http2 (h2c for http:// URLs, where hey -h2 \
     spoke HTTP/1.1); drop -h2 to test over HTTP/1.1";

/// Refusal of hey's `-o csv`.
const NO_CSV: &str =
    "-o csv is not available; use --log-requests FILE for one CSV row per request, or -o json";

/// Rewrites hey's spellings in `argv` (program name first) for `command`, the clap
/// definition of the flat form. Refuses `-h2` and `-o csv`.
pub fn normalise(command: &Command, argv: Vec<OsString>) -> Result<Vec<OsString>, UsageError> {
    let mut out = Vec::with_capacity(argv.len());
    let mut tokens = argv.into_iter();
    out.extend(tokens.next());
    let mut seen_positional = false;
    while let Some(token) = tokens.next() {
        let text = token.to_str().map(str::to_owned);
        match text.as_deref() {
            Some("--") => {
                out.push(token);
                break;
            }
            Some(flag) if flag.starts_with('-') && flag != "-" => {
                push_flag(command, flag, token.clone(), &mut tokens, &mut out)?;
            }
            // A subcommand has flags of its own; leave them to clap.
            Some(word) if !seen_positional && command.find_subcommand(word).is_some() => {
                out.push(token);
                break;
            }
            _ => {
                seen_positional = true;
                out.push(token);
            }
        }
    }
    out.extend(tokens);
    Ok(out)
}

/// Pushes flag `text` (the token `token`) in its vastar spelling, then its value when it
/// takes the next token as one.
fn push_flag(
    command: &Command,
    text: &str,
    token: OsString,
    rest: &mut impl Iterator<Item = OsString>,
    out: &mut Vec<OsString>,
) -> Result<(), UsageError> {
    let rewritten = rewrite(text)?;
    let flag = rewritten.as_deref().unwrap_or(text);
    let takes_value = takes_separate_value(command, flag);
    match rewritten.as_deref() {
        Some("") => {}
        Some(vastar) => out.push(vastar.into()),
        None => out.push(token),
    }
    if takes_value {
        let value = rest.next();
        if flag == "-o" && value.as_ref().is_some_and(|v| v == "csv") {
            return Err(UsageError(NO_CSV.into()));
        }
        out.extend(value);
    }
    Ok(())
}

/// The vastar spelling of one flag-position token: `None` to keep it as typed, `Some("")`
/// to drop it (a hey boolean set to false). Refuses what vastar cannot honour.
fn rewrite(token: &str) -> Result<Option<String>, UsageError> {
    if matches!(token, "-ocsv" | "-o=csv") {
        return Err(UsageError(NO_CSV.into()));
    }
    let Some(body) = token.strip_prefix('-') else {
        return Ok(None);
    };
    // Go's flag package accepts one or two dashes alike.
    let body = body.strip_prefix('-').unwrap_or(body);
    let (name, value) = match body.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (body, None),
    };
    if name == "help" {
        return Ok(Some("--help".to_string()));
    }
    if name == "h2" {
        return match value.map(go_bool) {
            None | Some(Some(true)) | Some(None) => Err(UsageError(NO_H2.into())),
            Some(Some(false)) => Ok(Some(String::new())),
        };
    }
    if let Some(&(_, vastar)) = BOOLEANS.iter().find(|(hey, _)| *hey == name) {
        return match value.map(go_bool) {
            None | Some(Some(true)) => Ok(Some(vastar.to_string())),
            Some(Some(false)) => Ok(Some(String::new())),
            Some(None) => Err(UsageError(format!(
                "invalid boolean {token:?}: use {vastar} (or leave it out)"
            ))),
        };
    }
    if let Some(&(_, vastar)) = VALUED.iter().find(|(hey, _)| *hey == name) {
        return Ok(Some(match value {
            Some(v) => format!("{vastar}={v}"),
            None => vastar.to_string(),
        }));
    }
    Ok(None)
}

/// Go's `strconv.ParseBool`, which hey's boolean flags accept after `=`.
fn go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Whether flag token `token` (`-n`, `--rate`; not `-n5` or `--rate=5`) takes the next
/// token as its value, according to the clap definition.
fn takes_separate_value(command: &Command, token: &str) -> bool {
    let arg = if let Some(long) = token.strip_prefix("--") {
        if long.contains('=') {
            return false;
        }
        command.get_arguments().find(|a| a.get_long() == Some(long))
    } else {
        let mut chars = token.chars().skip(1);
        match (chars.next(), chars.next()) {
            (Some(short), None) => command
                .get_arguments()
                .find(|a| a.get_short() == Some(short)),
            _ => None,
        }
    };
    arg.is_some_and(|a| a.get_action().takes_values())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::CommandFactory;

    fn norm(args: &[&str]) -> Result<Vec<String>, String> {
        let argv = std::iter::once("vastar")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        match normalise(&Cli::command(), argv) {
            Ok(out) => Ok(out[1..]
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect()),
            Err(e) => Err(e.0),
        }
    }

    #[test]
    fn hey_long_flags_become_vastar_flags() {
        assert_eq!(
            norm(&[
                "-disable-keepalive",
                "-disable-compression",
                "-disable-redirects",
                "-host",
                "example.com",
                "-cpus",
                "2",
                "http://h/",
            ]),
            Ok(vec![
                "--disable-keepalive".into(),
                "--disable-compression".into(),
                "--disable-redirects".into(),
                "--host".into(),
                "example.com".into(),
                "--cpus".into(),
                "2".into(),
                "http://h/".into(),
            ])
        );
        assert_eq!(
            norm(&["-host=a.b", "--cpus=3", "-disable-keepalive=false", "u"]),
            Ok(vec!["--host=a.b".into(), "--cpus=3".into(), "u".into()])
        );
        assert_eq!(norm(&["-help"]), Ok(vec!["--help".into()]));
        assert_eq!(
            norm(&["http://h/", "-disable-keepalive=true"]),
            Ok(vec!["http://h/".into(), "--disable-keepalive".into()])
        );
    }

    #[test]
    fn values_are_never_rewritten() {
        let argv = [
            "-d",
            "-disable-keepalive",
            "-H",
            "-host",
            "-m",
            "-h2",
            "-o",
            "json",
            "--slo",
            "-cpus",
            "http://h/",
        ];
        assert_eq!(
            norm(&argv),
            Ok(argv.iter().map(|s| s.to_string()).collect())
        );
    }

    #[test]
    fn nothing_after_a_double_dash_or_in_a_subcommand_is_rewritten() {
        assert_eq!(
            norm(&["-n", "1", "--", "-disable-keepalive"]),
            Ok(vec![
                "-n".into(),
                "1".into(),
                "--".into(),
                "-disable-keepalive".into()
            ])
        );
        assert_eq!(
            norm(&["demo", "-host", "x"]),
            Ok(vec!["demo".into(), "-host".into(), "x".into()])
        );
    }

    #[test]
    fn h2_and_csv_are_refused_with_the_reason() {
        for argv in [
            &["-h2", "http://h/"][..],
            &["--h2", "u"],
            &["u", "-h2=true"],
        ] {
            let err = norm(argv).unwrap_err();
            assert!(err.contains("HTTP/2"), "{argv:?}: {err}");
        }
        assert_eq!(norm(&["-h2=false", "u"]), Ok(vec!["u".into()]));
        for argv in [&["-o", "csv", "u"][..], &["-ocsv", "u"], &["u", "-o=csv"]] {
            let err = norm(argv).unwrap_err();
            assert!(err.contains("-o json"), "{argv:?}: {err}");
        }
        assert!(norm(&["-disable-keepalive=maybe", "u"]).is_err());
    }

    #[test]
    fn vastar_spellings_pass_through() {
        let argv = [
            "-n10",
            "-c",
            "2",
            "--rate=5",
            "--disable-keepalive",
            "-x",
            "http://p:3128",
            "-o",
            "text",
            "http://h/",
        ];
        assert_eq!(
            norm(&argv),
            Ok(argv.iter().map(|s| s.to_string()).collect())
        );
    }
}
