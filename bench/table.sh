# Shared by the bench scripts (sourced): reading hyperfine's JSON and
# printing a markdown row with capsa beside its reference.

# Mean wall time (s) of result N of a hyperfine JSON export: mean FILE N.
mean() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["mean"])' "$@"; }
# Mean CPU time (user + system) of a result: for compute, where a shared
# machine's other load inflates wall time more than the work.
cpu() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print(r["user"]+r["system"])' "$@"; }
row() { # figure, capsa seconds, reference seconds, reference name, command
  python3 - "$@" <<'PY'
import sys
fig, a, b, ref, cmd = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
def fmt(s): return f"{s*1e3:.2f} ms" if s < 1 else f"{s:.2f} s"
print(f"| {fig} | {fmt(a)} | {fmt(b)} ({ref}) | {a/b:.2f}x | `{cmd}` |")
PY
}
