#!/usr/bin/env bash
# One vastar test run from several machines over ssh, judged as one.
#
#   deploy/ssh-fleet.sh [--dir DIR] [--start-in SECONDS] [--slo GATES] [-o text|json] \
#                       HOST... -- VASTAR-ARGS...
#
# Host i (0-based) runs `vastar --segment i/N --start-at T -o json VASTAR-ARGS`, all in
# parallel, T being a few seconds ahead so every host has connected before it sends.
# Counts and rates in VASTAR-ARGS (-n, -c, --rate) are totals for the whole fleet.
# The results land in DIR (0.json, 1.json, ...; each host's stderr in i.err), then
# `vastar merge` prints the report of the union here and judges --slo on it: the exit
# code is merge's (1: a gate failed), or the first failing host's.
#
# Each host needs vastar on its PATH (or REMOTE_VASTAR=/path/to/vastar) and a clock
# synchronised by NTP; ssh runs in batch mode (keys or an agent, no password prompts).
# VASTAR names the local vastar that merges (default: vastar).
set -euo pipefail

usage() {
  sed -n 's/^#   //p' "$0" >&2
  echo "ssh-fleet: error: $1" >&2
  exit 2
}

dir="fleet-$(date -u +%Y%m%dT%H%M%SZ)"
start_in=10
merge_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir | --start-in | --slo | -o) [ $# -ge 2 ] || usage "$1 needs a value" ;;
  esac
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --start-in) start_in="$2"; shift 2 ;;
    --slo | -o) merge_args+=("$1" "$2"); shift 2 ;;
    --) usage "no HOST before --" ;;
    -*) usage "unknown option $1" ;;
    *) break ;;
  esac
done
[[ "$start_in" =~ ^[0-9]+$ ]] || usage "--start-in takes whole seconds, not $start_in"

hosts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do hosts+=("$1"); shift; done
[ ${#hosts[@]} -gt 0 ] || usage "no HOST given"
[ $# -gt 0 ] || usage "no -- before the vastar arguments"
shift
[ $# -gt 0 ] || usage "no vastar arguments after --"
for arg in "$@"; do
  case "$arg" in
    --segment* | --start-at* | -o | -o* | --slo*)
      usage "$arg after --: ssh-fleet sets --segment, --start-at and -o itself; give --slo and -o before the hosts (they apply to the merged result)" ;;
  esac
done

n=${#hosts[@]}
start_at=$(($(date +%s) + start_in))
mkdir -p "$dir"
pids=()
for i in "${!hosts[@]}"; do
  remote=$(printf '%q ' "${REMOTE_VASTAR:-vastar}" --segment "$i/$n" --start-at "$start_at" -o json "$@")
  ssh -n -o BatchMode=yes "${hosts[$i]}" "$remote" >"$dir/$i.json" 2>"$dir/$i.err" &
  pids+=($!)
done

failed=0
for i in "${!hosts[@]}"; do
  code=0
  wait "${pids[$i]}" || code=$?
  if [ -s "$dir/$i.err" ]; then sed "s/^/${hosts[$i]}: /" "$dir/$i.err" >&2; fi
  if [ "$code" -ne 0 ]; then
    echo "ssh-fleet: error: segment $i/$n on ${hosts[$i]} exited with $code" >&2
    [ "$failed" -ne 0 ] || failed=$code
  fi
done
[ "$failed" -eq 0 ] || exit "$failed"

files=()
for i in "${!hosts[@]}"; do files+=("$dir/$i.json"); done
exec "${VASTAR:-vastar}" merge "${files[@]}" "${merge_args[@]}"
