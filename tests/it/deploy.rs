//! `deploy/`: the Kubernetes Job and the ssh fleet script must keep speaking the CLI that
//! ships. The manifests are read as text (no YAML dependency for one list of arguments), and
//! the script runs for real, with a stand-in `ssh` that runs the remote command here.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;

use serde_json::Value;

use crate::support::cmd::RUN_LIMIT;
use crate::support::{builtin_target, run, url_of};

/// A file of the repository, as text.
fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {}: {e}", full.display()))
}

/// The items of the first `args:` list in a manifest, unquoted: the list ends at the first
/// line that is neither an item nor a comment.
fn container_args(yaml: &str) -> Vec<String> {
    let mut lines = yaml.lines().map(str::trim);
    assert!(
        lines.any(|l| l == "args:"),
        "no `args:` list in the manifest"
    );
    lines
        .filter(|l| !l.starts_with('#'))
        .map_while(|l| l.strip_prefix("- "))
        .map(|item| item.trim().trim_matches('"').to_string())
        .collect()
}

/// The flags an `--help` text lists in its `Options:` section (`-x, --proxy <URL>` gives
/// `-x` and `--proxy`).
fn listed_flags(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Options:")
        .filter(|l| l.len() - l.trim_start().len() <= 6 && l.trim_start().starts_with('-'))
        .flat_map(|l| {
            l.split(|c: char| c.is_whitespace() || c == ',')
                .take_while(|token| !token.starts_with('<'))
                .filter(|token| token.starts_with('-'))
        })
        .map(str::to_string)
        .collect()
}

/// `vastar ARGS --help`, which must succeed.
fn help_of(args: &str) -> String {
    let help = run(&format!("{args} --help"), &[]).success();
    help.stdout_text()
}

/// `NAME=value` lines of an env file, comments and blank lines skipped.
fn env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every `$(NAME)` reference in a manifest, comments left out.
fn references(yaml: &str) -> BTreeSet<String> {
    yaml.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.split("$(").skip(1))
        .filter_map(|rest| rest.split_once(')'))
        .map(|(name, _)| name.to_string())
        .collect()
}

#[test]
fn the_jobs_flags_are_flags_vastar_has() {
    let args = container_args(&repo_file("deploy/kubernetes/job.yaml"));
    let listed = listed_flags(&help_of(""));
    let used: Vec<&str> = args
        .iter()
        .filter(|a| a.starts_with('-'))
        .map(|a| a.split('=').next().unwrap_or(a))
        .collect();
    for flag in ["--segment", "--start-at", "-o"] {
        assert!(
            used.contains(&flag),
            "job.yaml does not pass {flag}: {args:?}"
        );
    }
    let unknown: Vec<&&str> = used.iter().filter(|f| !listed.contains(**f)).collect();
    assert!(
        unknown.is_empty(),
        "job.yaml passes {unknown:?}, which `vastar --help` does not list: {listed:?}"
    );
}

#[test]
fn the_merge_flags_ssh_fleet_passes_are_flags_merge_has() {
    let help = help_of("merge");
    // Without a `merge` subcommand, `vastar merge --help` is the top-level help.
    assert!(
        help.contains("Usage: vastar merge"),
        "no `vastar merge`:\n{help}"
    );
    let listed = listed_flags(&help);
    // The options ssh-fleet.sh takes before the hosts and hands to `vastar merge`.
    for flag in ["--slo", "-o"] {
        assert!(
            listed.contains(flag),
            "`vastar merge --help` lacks {flag}: {listed:?}"
        );
    }
}

#[test]
fn the_job_reads_every_parameter_and_only_parameters() {
    let job = repo_file("deploy/kubernetes/job.yaml");
    let params: BTreeSet<String> = env_file(&repo_file("deploy/kubernetes/params.env"))
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    // Kubernetes leaves an undefined $(NAME) as it is: vastar would get the literal text.
    let mut wanted = references(&job);
    assert!(wanted.remove("JOB_COMPLETION_INDEX"), "no segment index");
    assert_eq!(wanted, params, "$(NAME)s in job.yaml vs params.env");
}

#[test]
fn the_jobs_defaults_agree_with_params_env() {
    let job = repo_file("deploy/kubernetes/job.yaml");
    let params = env_file(&repo_file("deploy/kubernetes/params.env"));
    let segments = params.iter().find(|(k, _)| k == "SEGMENTS").map(|(_, v)| v);
    let segments = segments.expect("params.env sets SEGMENTS");
    for field in ["completions", "parallelism"] {
        let line = format!("{field}: {segments}");
        assert!(
            job.lines().any(|l| l.trim() == line),
            "job.yaml lacks `{line}` (kustomize sets it; plain apply reads it)"
        );
    }
    let kustomization = repo_file("deploy/kubernetes/kustomization.yaml");
    for needed in [
        "- job.yaml",
        "- params.env",
        "name: vastar-load",
        "data.SEGMENTS",
    ] {
        assert!(
            kustomization.contains(needed),
            "kustomization lacks {needed}"
        );
    }
    assert!(job.contains("name: vastar-load") && job.contains("completionMode: Indexed"));
}

/// A directory of its own under the test target directory, emptied.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// A stand-in `ssh` in `dir`: `ssh [-n] [-o OPT] HOST COMMAND` runs COMMAND in `sh` here,
/// as sshd would run it on HOST.
fn fake_ssh(dir: &Path) {
    let script = "#!/bin/sh\n\
        while :; do case \"$1\" in -o) shift 2 ;; -*) shift ;; *) break ;; esac; done\n\
        shift\n\
        exec sh -c \"$*\"\n";
    let path = dir.join("ssh");
    fs::write(&path, script).expect("write the fake ssh");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod the fake ssh");
}

/// `bash deploy/ssh-fleet.sh ARGS` with the fake ssh first on PATH and this build's vastar
/// on both ends.
fn ssh_fleet(shims: &Path, args: &[&str]) -> assert_cmd::Command {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/ssh-fleet.sh");
    let vastar = assert_cmd::cargo::cargo_bin("vastar");
    let path = format!(
        "{}:{}",
        shims.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = assert_cmd::Command::new("bash");
    cmd.arg(script).args(args).timeout(RUN_LIMIT);
    cmd.env("PATH", path)
        .env("VASTAR", &vastar)
        .env("REMOTE_VASTAR", &vastar);
    cmd
}

/// `summary.requests` of a JSON result.
fn requests_of(json: &[u8]) -> u64 {
    let report: Value = serde_json::from_slice(json).expect("a JSON result");
    report["summary"]["requests"]
        .as_u64()
        .expect("summary.requests")
}

#[test]
fn ssh_fleet_runs_one_segment_per_host_and_merges_the_union() {
    let target = builtin_target();
    let url = url_of(target.addr());
    let dir = scratch_dir("ssh-fleet-run");
    fake_ssh(&dir);
    let results = dir.join("results");
    let results_arg = results.to_str().expect("a UTF-8 path");
    let hosts = ["gen-0", "gen-1", "gen-2"];
    let mut args = vec!["--dir", results_arg, "--start-in", "2", "-o", "json"];
    args.extend(hosts);
    args.extend(["--", "-n", "300", "-c", "6", "-t", "5", &url]);
    let out = ssh_fleet(&dir, &args).output().expect("run ssh-fleet.sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    for i in 0..hosts.len() {
        let part = fs::read(results.join(format!("{i}.json"))).expect("one result per host");
        assert_eq!(
            requests_of(&part),
            100,
            "segment {i}/3 runs a third of -n 300"
        );
    }
    assert_eq!(
        requests_of(&out.stdout),
        300,
        "the merged report is the union"
    );
    assert_eq!(target.stats().requests.load(Relaxed), 300);
}

#[test]
fn ssh_fleet_refuses_bad_arguments_with_exit_2() {
    let dir = scratch_dir("ssh-fleet-usage");
    fake_ssh(&dir);
    let cases: &[(&[&str], &str)] = &[
        (&[], "no HOST given"),
        (&["gen-0", "http://x/"], "no -- before"),
        (&["--", "http://x/"], "no HOST before --"),
        (&["gen-0", "--"], "no vastar arguments"),
        (
            &["--bogus", "gen-0", "--", "http://x/"],
            "unknown option --bogus",
        ),
        (
            &["--start-in", "soon", "gen-0", "--", "http://x/"],
            "whole seconds",
        ),
        (
            &["gen-0", "--", "-o", "json", "http://x/"],
            "sets --segment",
        ),
        (
            &["gen-0", "--", "--slo", "p99=1s", "http://x/"],
            "give --slo and -o before",
        ),
        (&["--dir"], "--dir needs a value"),
    ];
    for (args, expected) in cases {
        let out = ssh_fleet(&dir, args).output().expect("run ssh-fleet.sh");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: stderr:\n{stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.contains(expected),
            "{args:?}: {last:?} lacks {expected:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: printed on stdout");
    }
}
