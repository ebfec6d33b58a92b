#!/usr/bin/env bash
# Tests of scripts/suite without training: --report-only builds results.md from compare's outputs
# (a hand-written compare.csv and table.md), bad options exit 2 with one line.
# Usage: tests/scripts/test_suite.sh report|errors   (registered with ctest)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
suite="$root/scripts/suite"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

expect_usage_error() {
  local pattern="$1"; shift
  local rc=0
  "$suite" "$@" 2>"$tmp/stderr" >/dev/null || rc=$?
  ((rc == 2)) || fail "$* exited $rc, expected 2"
  (($(wc -l <"$tmp/stderr") == 1)) || fail "$*: stderr is not one line: $(cat "$tmp/stderr")"
  grep -q "^suite: error: $pattern" "$tmp/stderr" || fail "$*: unexpected message: $(cat "$tmp/stderr")"
}

case "${1:-}" in
  report)
    d="$tmp/out/pendulum_2d_stop"
    mkdir -p "$d"
    # two methods, two seeds; 41 epochs for pods2; bptt 20 epochs for seed 1 (no row at epoch 40)
    # and 5 for seed 2 (no row at epoch 10 either: the early columns need every seed)
    {
      echo "method,seed,epoch,wall_s,sim_steps,train_return,test_return_mean,test_return_std,terminal_ke,final_distance,action_mag,alpha_mean,fit_loss,failed"
      for s in 1 2; do
        for e in $(seq 0 40); do echo "pods2,$s,$e,$((e / 2)),0,0,-$((100 - e - s)),1,0.$s,0.5,0,0,0,0"; done
        for e in $(seq 0 $((s == 1 ? 20 : 5))); do echo "bptt,$s,$e,$((e / 2)),0,0,-$((100 - 2 * e)),1,0.2,0.25,0,0,0,0"; done
      done
    } >"$d/compare.csv"
    cat >"$d/table.md" <<'TABLE'
| method | runs | epochs | final test return (mean +- std over seeds) | training s | simulated steps | time to 95% of best (s) | optimality ratio |
|---|---|---|---|---|---|---|---|
| pods2 | 2 | 40 | -59.5 +- 0.71 | 20.0 | 1e+06 | 1.0 | 1.250 |
| bptt | 2 | 20 | -60 +- 0 | 10.0 | 1e+06 | 1.0 | 1.300 |
TABLE
    "$suite" --report-only --scenes pendulum_2d_stop,rope_3d_stop --methods pods2,bptt --out "$tmp/out" >/dev/null
    r="$tmp/out/results.md"
    [[ -f "$r" ]] || fail "results.md was not written"
    # pods2 ends at -59 and -58 (mean -58.5, the best: bold)
    grep -q '^| pods2 | 2 | 40 | \*\*-58.5 +- 0.5\*\* | 0.15 +- 0.05 | 0.5 +- 0 | 20.0 | 1.250 | -88.5 | -58.5 |$' "$r" ||
      fail "pods2 row: $(grep '^| pods2' "$r")"
    # bptt ends at -60 and -90; seed 2 stopped before epoch 10
    grep -q '^| bptt | 2 | 12 | -75 +- 15 | 0.2 +- 0 | 0.25 +- 0 | 6.0 | 1.300 | - | - |$' "$r" ||
      fail "bptt row: $(grep '^| bptt' "$r")"
    grep -q 'Initial policies: test return -98.5' "$r" || fail "initial return missing"
    ! grep -q 'rope_3d_stop' "$r" || fail "a scene without results is in the table"
    ;;
  errors)
    expect_usage_error "--scenes" --scenes nope --out "$tmp/x"
    expect_usage_error "--budget" --budget 0 --out "$tmp/x"
    expect_usage_error "--jobs" --jobs 0 --out "$tmp/x"
    expect_usage_error "--compare-options" --compare-options "--fit-replay '3" --out "$tmp/x"
    expect_usage_error "--podsim" --podsim "$tmp/absent" --out "$tmp/x"
    rc=0
    "$suite" --report-only --out "$tmp/empty" 2>"$tmp/stderr" >/dev/null || rc=$?
    ((rc == 2)) || fail "--report-only on an empty folder exited $rc, expected 2"
    grep -q "^suite: error: $tmp/empty: no scene" "$tmp/stderr" || fail "unexpected message: $(cat "$tmp/stderr")"
    ;;
  *)
    echo "usage: $0 report|errors" >&2
    exit 2
    ;;
esac
echo "ok: suite $1"
