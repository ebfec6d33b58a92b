#!/usr/bin/env bash
# Tests of scripts/plot on tiny CSV files: PNGs are written, bad input exits 2 with one line.
# Usage: tests/scripts/test_plot.sh curves|rollout|diagnostics|strokes|animate|errors   (registered with ctest)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
plot="$root/scripts/plot"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# a PNG file: exists, starts with the PNG signature, is not trivially small
is_png() {
  [[ -f "$1" ]] || fail "$1 was not written"
  [[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] || fail "$1 is not a PNG"
  (($(stat -c %s "$1") > 2000)) || fail "$1 is too small"
}

# an animated GIF with the expected number of frames
is_gif() {
  [[ -f "$1" ]] || fail "$1 was not written"
  [[ "$(head -c 6 "$1")" == "GIF89a" ]] || fail "$1 is not a GIF"
  local frames
  frames="$(/usr/bin/python3 -c 'import sys; from PIL import Image; print(Image.open(sys.argv[1]).n_frames)' "$1")"
  ((frames == $2)) || fail "$1 has $frames frames, expected $2"
}

log_header="epoch,wall_s,sim_steps,train_return,test_return_mean,test_return_std,terminal_ke,final_distance,action_mag,alpha_mean,fit_loss,failed"

write_compare() {
  echo "method,seed,$log_header"
  for m in pods2 bptt; do
    for s in 1 2; do
      for e in 0 1 2 3 4 5; do
        awk -v m="$m" -v s="$s" -v e="$e" 'BEGIN {
          r = (m == "pods2") ? 0.5 : 0.8; c = 10 * r ^ e * (1 + 0.05 * s)
          printf "%s,%d,%d,%.3f,%d,%.6g,%.6g,%.6g,0.01,0.1,0.5,1,0.02,%d\n",
                 m, s, e, 1.5 * (e + 1) + 0.1 * s, 25600 * e, -1.1 * c, -c, 0.3 * c, (e == 3 && m == "bptt")
        }'
      done
    done
  done
}

write_log() {
  echo "$log_header"
  for e in 0 1 2 3; do
    awk -v e="$e" 'BEGIN { c = 5 * 0.6 ^ e; printf "%d,%.2f,%d,%.6g,%.6g,0.1,0.01,0.1,0.5,1,0.02,0\n", e, 0.7 * e, 100 * e, -c, -c }'
  done
}

write_states() {
  echo "episode,step,time,node,role,x,y,z,vx,vy,vz"
  for ep in 0 1; do
    awk -v ep="$ep" 'BEGIN {
      th = 0.5 + 0.2 * ep; om = 0; p = 0
      for (t = 0; t <= 50; t++) {
        printf "%d,%d,%.2f,handle,handle,%.6f,0,0,0.3,0,0\n", ep, t, 0.01 * t, p
        printf "%d,%d,%.2f,bob,free,%.6f,%.6f,0,%.6f,%.6f,0\n", ep, t, 0.01 * t,
               p + sin(th), -cos(th), cos(th) * om + 0.3, sin(th) * om
        om -= 9.81 * sin(th) * 0.01; th += om * 0.01; p += 0.003
      }
    }'
  done
}

diag_header="step,time,gradient_norm,transition_sigma,accumulated_sigma,ftle"

# diagnostics.csv of `podsim diagnose`: open loop only, or with the closed-loop and BPTT columns
# (the growth factor overflows to inf at one step, a contribution is 0: both left off the log axes)
write_diagnostics() {
  if [[ "$1" == open ]]; then echo "$diag_header"; else
    echo "$diag_header,closed_gradient_norm,closed_transition_sigma,closed_accumulated_sigma,closed_ftle,bptt_norm,bptt_share,bptt_cumulative"; fi
  awk -v mode="$1" 'BEGIN {
    for (t = 0; t < 40; t++) {
      s = (t == 3) ? "inf" : sprintf("%.6g", exp(0.2 * (40 - t)))
      printf "%d,%.2f,%.6g,%.6g,%s,%.6g", t, 0.01 * t, 10 * exp(-0.1 * t), 1.5, s, 20
      if (mode != "open")
        printf ",%.6g,0.9,%.6g,%.6g,%.6g,0.025,%.6g", 5 * exp(-0.05 * t), exp(-0.1 * (40 - t)), -10, (t == 5) ? 0 : 3 * exp(-0.2 * t), (t + 1) / 40
      printf "\n"
    }
  }'
}

# exits 2 with exactly one stderr line starting "plot: error: <file>"
expect_input_error() {
  local file="$1"; shift
  local rc=0
  "$plot" "$@" 2>"$tmp/stderr" >/dev/null || rc=$?
  ((rc == 2)) || fail "$* exited $rc, expected 2"
  (($(wc -l <"$tmp/stderr") == 1)) || fail "$*: stderr is not one line: $(cat "$tmp/stderr")"
  grep -q "^plot: error: $file" "$tmp/stderr" || fail "$*: unexpected message: $(cat "$tmp/stderr")"
}

case "${1:-}" in
  curves)
    write_compare >"$tmp/compare.csv"
    write_log >"$tmp/log.csv"
    "$plot" curves "$tmp/compare.csv" --out "$tmp/compare"
    is_png "$tmp/compare/return_vs_wall.png"
    is_png "$tmp/compare/return_vs_epoch.png"
    is_png "$tmp/compare/return_vs_sim_steps.png"
    "$plot" curves "$tmp/log.csv" --out "$tmp/log"
    is_png "$tmp/log/return_vs_wall.png"
    is_png "$tmp/log/return_vs_epoch.png"
    ;;
  rollout)
    write_states >"$tmp/states.csv"
    "$plot" rollout "$tmp/states.csv" --out "$tmp/rollout.png"
    is_png "$tmp/rollout.png"
    "$plot" rollout "$tmp/states.csv" --episode 1 --scene "$root/scenes/pendulum_2d_stop.json" \
      --out "$tmp/rollout1.png"
    is_png "$tmp/rollout1.png"
    ;;
  diagnostics)
    mkdir -p "$tmp/open" "$tmp/policy"
    write_diagnostics open >"$tmp/open/diagnostics.csv"
    write_diagnostics policy >"$tmp/policy/diagnostics.csv"
    "$plot" diagnostics "$tmp/open/diagnostics.csv" --out "$tmp/open.png"
    is_png "$tmp/open.png"
    "$plot" diagnostics "$tmp/open/diagnostics.csv" "$tmp/policy/diagnostics.csv" --labels zero,mlp --out "$tmp/both.png"
    is_png "$tmp/both.png"
    write_diagnostics open | cut -d, -f1-4,6 >"$tmp/no_sigma.csv"   # drops accumulated_sigma
    expect_input_error "$tmp/no_sigma.csv" diagnostics "$tmp/no_sigma.csv" --out "$tmp/x.png"
    grep -q "missing column accumulated_sigma" "$tmp/stderr" || fail "message does not name the column"
    expect_input_error "--labels" diagnostics "$tmp/open/diagnostics.csv" --labels a,b --out "$tmp/x.png"
    [[ ! -e "$tmp/x.png" ]] || fail "output written despite bad input"
    ;;
  strokes)
    {
      echo "method,digit,sample,step,x,y,target_x,target_y"
      for m in hndp ndp; do for d in 0 1 2 3 4 5 6 7 8 9; do for j in 0 1 2 3 4 5 6 7 8 9 10; do
        awk -v m="$m" -v d="$d" -v j="$j" 'BEGIN { t = j / 10; printf "%s,%d,0,%d,%.4f,%.4f,%.4f,%.4f\n", m, d, j, 0.5 * cos(6 * t + d), 0.5 * sin(6 * t), 0.45 * cos(6 * t + d), 0.5 * sin(6 * t) }'
      done; done; done
    } >"$tmp/strokes.csv"
    {
      echo "digit,sample,row,col,intensity"
      for d in 0 1 2 3 4 5 6 7 8 9; do for r in 0 1 2 3; do for c in 0 1 2 3; do echo "$d,0,$r,$c,$(((r + c) % 2))"; done; done; done
    } >"$tmp/images.csv"
    "$plot" strokes "$tmp/strokes.csv" --out "$tmp/strokes.png"
    is_png "$tmp/strokes.png"
    "$plot" strokes "$tmp/strokes.csv" --images "$tmp/images.csv" --out "$tmp/strokes_images.png"
    is_png "$tmp/strokes_images.png"
    cut -d, -f1-4,6- "$tmp/strokes.csv" >"$tmp/no_x.csv"
    expect_input_error "$tmp/no_x.csv" strokes "$tmp/no_x.csv" --out "$tmp/x.png"
    expect_input_error "$tmp/strokes.csv" strokes "$tmp/strokes.csv" --sample 3 --out "$tmp/x.png"
    [[ ! -e "$tmp/x.png" ]] || fail "output written despite bad input"
    ;;
  animate)
    # 2D: the pendulum's states, xy view
    write_states >"$tmp/states.csv"
    "$plot" animate "$tmp/states.csv" --scene "$root/scenes/pendulum_2d_stop.json" --frames 12 --out "$tmp/pendulum.gif"
    is_gif "$tmp/pendulum.gif" 12
    is_png "$tmp/pendulum_strip.png"
    # 3D with a contact plane: a bob falling onto a table, next to its handle, drawn in 3D
    cat >"$tmp/table.json" <<'EOF'
{"dim": 3, "dt": 0.01,
 "nodes": [{"name": "handle", "role": "handle", "position": [0, 0.5, 0]},
           {"name": "bob", "mass": 1, "position": [0.2, 0.3, 0.1]}],
 "springs": [{"nodes": ["handle", "bob"], "stiffness": 100}],
 "contact": [{"kind": "plane", "point": [0, 0, 0], "normal": [0, 1, 0], "stiffness": 100}],
 "task": {"horizon": 30, "payload": ["bob"], "target": [0, 0, 0],
          "weights": {"p": 0, "x": 1, "v": 1, "a": 0}, "action_limit": 1}}
EOF
    {
      echo "episode,step,time,node,role,x,y,z,vx,vy,vz"
      awk 'BEGIN { for (t = 0; t <= 30; t++) {
        printf "0,%d,%.2f,handle,handle,0,0.5,%.4f,0,0,0.1\n", t, 0.01 * t, 0.001 * t
        printf "0,%d,%.2f,bob,free,0.2,%.4f,0.1,0,-1,0\n", t, 0.01 * t, 0.3 - 0.01 * t } }'
    } >"$tmp/table_states.csv"
    "$plot" animate "$tmp/table_states.csv" --scene "$tmp/table.json" --frames 8 --fps 10 --out "$tmp/table.gif"
    is_gif "$tmp/table.gif" 8
    is_png "$tmp/table_strip.png"
    # the springs podsim writes beside states.csv replace the scene's
    mkdir -p "$tmp/written"
    cp "$tmp/table_states.csv" "$tmp/written/states.csv"
    printf 'a,b,kind\nhandle,bob,unilateral\n' >"$tmp/written/springs.csv"
    "$plot" animate "$tmp/written/states.csv" --scene "$tmp/table.json" --frames 4 --out "$tmp/written.gif"
    is_gif "$tmp/written.gif" 4
    "$plot" rollout "$tmp/written/states.csv" --out "$tmp/written.png"
    is_png "$tmp/written.png"
    printf 'a,b,kind\nhandle,rope_1,bilateral\n' >"$tmp/written/springs.csv"
    expect_input_error "$tmp/written/springs.csv" animate "$tmp/written/states.csv" --scene "$tmp/table.json" --out "$tmp/x.gif"
    grep -q "line 2: node rope_1 is not in" "$tmp/stderr" || fail "message does not name the line and node"
    # bad options and bad scenes: exit 2 with one line, nothing written
    expect_input_error "--frames" animate "$tmp/states.csv" --scene "$root/scenes/pendulum_2d_stop.json" --frames 1 --out "$tmp/x.gif"
    expect_input_error "$tmp/absent.json" animate "$tmp/states.csv" --scene "$tmp/absent.json" --out "$tmp/x.gif"
    sed 's/"normal": \[0, 1, 0\]/"normal": [0, 0, 0]/' "$tmp/table.json" >"$tmp/zero_normal.json"
    expect_input_error "$tmp/zero_normal.json" animate "$tmp/table_states.csv" --scene "$tmp/zero_normal.json" --out "$tmp/x.gif"
    [[ ! -e "$tmp/x.gif" && ! -e "$tmp/x_strip.png" ]] || fail "output written despite bad input"
    ;;
  errors)
    write_compare | cut -d, -f1-6,8- >"$tmp/no_test_return.csv"   # drops test_return_mean
    expect_input_error "$tmp/no_test_return.csv" curves "$tmp/no_test_return.csv" --out "$tmp/x"
    grep -q "missing column test_return_mean" "$tmp/stderr" || fail "message does not name the column"
    write_states | cut -d, -f1-5,7- >"$tmp/no_y.csv"                # drops y
    expect_input_error "$tmp/no_y.csv" rollout "$tmp/no_y.csv" --out "$tmp/x.png"
    expect_input_error "$tmp/absent.csv" curves "$tmp/absent.csv" --out "$tmp/x"
    write_states >"$tmp/states.csv"
    expect_input_error "$tmp/states.csv" rollout "$tmp/states.csv" --episode 9 --out "$tmp/x.png"
    write_log | sed '3s/^1,0.70,/1,fast,/' >"$tmp/bad_number.csv"
    expect_input_error "$tmp/bad_number.csv" curves "$tmp/bad_number.csv" --out "$tmp/x"
    [[ ! -e "$tmp/x" && ! -e "$tmp/x.png" ]] || fail "output written despite bad input"
    ;;
  *)
    echo "usage: $0 curves|rollout|diagnostics|strokes|animate|errors" >&2
    exit 2
    ;;
esac
echo "ok: plot $1"
