#!/usr/bin/env bash
# benches/check-vs-tools.sh — `hush check` next to the two PyPI tools people
# use today to keep plaintext out of Git, on the same generated repository.
#
# The corpus is 10,000 YAML files in 1,000 directories (50 teams × 20
# services, ~10 manifests each): 9,970 ConfigMaps, 5 plaintext
# `kind: Secret` files hidden among them, 20 Secrets encrypted with hush
# under secrets/, and 5 unencrypted files under secrets/ that the
# .sops.yaml creation rule (path_regex ^secrets/.*\.yaml$) covers.
#
# Correctness first: hush must report exactly those 10 files (5
# plaintext-secret, 5 unencrypted-file) and nothing else, or the script
# exits 1 before timing. Then each tool is timed (median wall time) and the
# ratios are printed. Targets (informational): hush ≥3× faster than
# sops-checker and ≥100× faster than pre-commit-hook-ensure-sops.
#
#   pre-commit-hook-ensure-sops  gets every file, as pre-commit passes them
#                                with `pass_filenames` on a full run;
#   sops-checker                 walks the repository itself;
#   hush check                   walks the repository itself (no paths).
#
# Usage: benches/check-vs-tools.sh [--no-build]
#   --no-build  use $HUSH_BIN or $CARGO_TARGET_DIR/release/hush as is
#
# Environment knobs (defaults in brackets):
#   RUNS_HUSH [11]  RUNS_SOPS_CHECKER [5]  RUNS_ENSURE [1]
#   SERVICES [20]   service directories per team (50 teams): 20 gives ~10
#                   files per directory; 200 gives one file per directory
#   HUSH_BIN        hush binary to use instead of building one
#   VENV [~/.cache/hush/bench-venv]  where the PyPI tools are installed
#   CARGO_TARGET_DIR [~/.cache/hush/target]
#   KEEP_WORKDIR=1  keep the generated repository
set -euo pipefail
export LC_ALL=C

RUNS_HUSH="${RUNS_HUSH:-11}"
RUNS_SOPS_CHECKER="${RUNS_SOPS_CHECKER:-5}"
RUNS_ENSURE="${RUNS_ENSURE:-1}"
SERVICES="${SERVICES:-20}"
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hush/target}"
VENV="${VENV:-$HOME/.cache/hush/bench-venv}"
log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------
if [ -z "${HUSH_BIN:-}" ]; then
  HUSH_BIN="$CARGO_TARGET_DIR/release/hush"
  if [ "$BUILD" = 1 ]; then
    log "building hush (release)"
    (cd "$ROOT" && cargo build --release -p hush >&2)
  fi
fi
[ -x "$HUSH_BIN" ] || die "no hush binary at $HUSH_BIN"

if [ ! -x "$VENV/bin/sops-checker" ] || [ ! -d "$VENV/lib" ] \
   || ! "$VENV/bin/python" -c 'import pre_commit_hook_ensure_sops' 2>/dev/null; then
  log "installing pre-commit-hook-ensure-sops and sops-checker from PyPI into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    pre-commit-hook-ensure-sops sops-checker >&2
fi
if ! command -v age-keygen >/dev/null 2>&1; then
  log "installing age from apt"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq </dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq age </dev/null >/dev/null
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/hush-check-bench.XXXXXX")"
if [ "${KEEP_WORKDIR:-0}" = 1 ]; then log "keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
REPO="$WORK/repo"
mkdir -p "$REPO"

# --- corpus ------------------------------------------------------------------
log "generating the corpus in $REPO"
age-keygen -o "$WORK/key.txt" 2>/dev/null
RECIPIENT="$(sed -n 's/^# public key: //p' "$WORK/key.txt")"
python3 - "$REPO" "$RECIPIENT" "$SERVICES" <<'PY'
import os, random, sys
repo, recipient, services = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(7)
def write(rel, text):
    p = os.path.join(repo, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
with open(os.path.join(repo, ".sops.yaml"), "w") as f:
    f.write(f"creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n"
            f"    encrypted_regex: ^(data|stringData)$\n    age: {recipient}\n")
def configmap(name):
    keys = "".join(f"  key_{i}: value-{rnd.randrange(10**6)}\n" for i in range(12))
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
            f"  namespace: team-{rnd.randrange(40)}\n  labels:\n    app: {name}\n"
            f"data:\n{keys}")
n_cm, planted = 9970, set()
slots = rnd.sample(range(n_cm + 5), 5)
i = cm = 0
expected = []
for i in range(n_cm + 5):
    rel = f"apps/team-{i % 50:02d}/svc-{(i // 50) % services:03d}/config-{i}.yaml"
    if i in slots:
        write(rel, f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak-{i}\n"
                   f"type: Opaque\nstringData:\n  password: {rnd.randrange(10**12)}\n")
        expected.append(f"{rel}\tplaintext-secret")
    else:
        write(rel, configmap(f"config-{i}"))
for j in range(25):
    rel = f"secrets/team-{j % 5}/secret-{j}.yaml"
    if j % 5 == 4:
        # Covered by the rule, never encrypted: a plain config, not a Secret,
        # holding values the rule's encrypted_regex selects.
        write(rel, f"data:\n  user: app\n  password: pw-{rnd.randrange(10**9)}\n")
        expected.append(f"{rel}\tunencrypted-file")
    else:
        write("../plain/" + rel, f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s-{j}\n"
                                 f"type: Opaque\nstringData:\n  password: {rnd.randrange(10**12)}\n")
with open(os.path.join(repo, "..", "expected.tsv"), "w") as f:
    f.write("\n".join(sorted(expected)) + "\n")
PY
# The 20 encrypted Secrets are real: encrypted by hush with the rule's key.
(cd "$WORK/plain" && find secrets -name '*.yaml') | while read -r rel; do
  mkdir -p "$(dirname "$REPO/$rel")"
  "$HUSH_BIN" encrypt --age "$RECIPIENT" --encrypted-regex '^(data|stringData)$' \
    "$WORK/plain/$rel" > "$REPO/$rel"
done
NFILES="$(find "$REPO" -name '*.yaml' ! -name .sops.yaml | wc -l)"
[ "$NFILES" = 10000 ] || die "corpus has $NFILES YAML files, expected 10000"
(cd "$REPO" && find . -name '*.yaml' ! -name .sops.yaml | sed 's|^\./||' | sort) > "$WORK/files.txt"

# --- correctness ---------------------------------------------------------------
log "checking that hush finds exactly the 10 planted files"
set +e
(cd "$REPO" && "$HUSH_BIN" check --format json) > "$WORK/hush.json"
rc=$?
set -e
[ "$rc" = 1 ] || die "hush check exited $rc, expected 1 (findings)"
python3 - "$WORK/hush.json" "$WORK/expected.tsv" <<'PY' || exit 1
import json, sys
report = json.load(open(sys.argv[1]))
got = sorted(f"{f['path']}\t{f['rule']}" for f in report["findings"] if not f["suppressed"])
want = sorted(l for l in open(sys.argv[2]).read().splitlines() if l)
if got != want:
    print("MISMATCH: hush found", len(got), "expected", len(want), file=sys.stderr)
    for l in sorted(set(got) - set(want)): print("  extra:  ", l, file=sys.stderr)
    for l in sorted(set(want) - set(got)): print("  missing:", l, file=sys.stderr)
    sys.exit(1)
print(f"hush: exactly the {len(want)} planted findings in {report['files_checked']} files", file=sys.stderr)
PY

# --- timing ----------------------------------------------------------------------
log "timing (median wall time; RUNS_HUSH=$RUNS_HUSH RUNS_SOPS_CHECKER=$RUNS_SOPS_CHECKER RUNS_ENSURE=$RUNS_ENSURE)"
python3 - "$REPO" "$WORK/files.txt" "$HUSH_BIN" "$VENV" "$RUNS_HUSH" "$RUNS_SOPS_CHECKER" "$RUNS_ENSURE" <<'PY'
import statistics, subprocess, sys, time
repo, files_txt, hush, venv = sys.argv[1:5]
runs = dict(zip(["hush", "sops-checker", "ensure-sops"], map(int, sys.argv[5:8])))
files = open(files_txt).read().split()

def timed(name, argv, count):
    times, out = [], None
    for _ in range(count):
        t = time.perf_counter()
        out = subprocess.run(argv, cwd=repo, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times), out

def found_hush(out):
    return sum(1 for l in out.stdout.splitlines() if l and not l.startswith(" "))
def found_sops_checker(out):
    return sum(1 for l in out.stdout.splitlines()
               if l.strip().startswith("[") and "MISSING_ENCRYPTION" in l)
def found_ensure(out):
    return sum(1 for l in out.stdout.splitlines() if l.strip())

# One warm-up each, so every tool reads from the page cache.
subprocess.run([hush, "check"], cwd=repo, capture_output=True)
subprocess.run([f"{venv}/bin/sops-checker", "."], cwd=repo, capture_output=True)

rows = []
t, out = timed("hush", [hush, "check", "--color", "never"], runs["hush"])
rows.append(("hush check", t, found_hush(out), out.returncode))
t, out = timed("sops-checker", [f"{venv}/bin/sops-checker", "."], runs["sops-checker"])
rows.append(("sops-checker", t, found_sops_checker(out), out.returncode))
t, out = timed("ensure-sops", [f"{venv}/bin/python", "-m", "pre_commit_hook_ensure_sops", *files], runs["ensure-sops"])
rows.append(("pre-commit-hook-ensure-sops", t, found_ensure(out), out.returncode))

hush_t = rows[0][1]
targets = {"sops-checker": 3, "pre-commit-hook-ensure-sops": 100}
print()
dirs = len({f.rsplit("/", 1)[0] for f in files})
print(f"corpus: {len(files)} YAML files in {dirs} directories; planted: 5 plaintext Secrets + 5 unencrypted rule-matched files")
print()
print(f"| {'tool':<28} | {'median time':>11} | {'files flagged':>13} | {'exit':>4} | {'time / hush':>11} | {'target':>8} |")
print(f"|{'-'*30}|{'-'*13}|{'-'*15}|{'-'*6}|{'-'*13}|{'-'*10}|")
for name, t, found, rc in rows:
    ratio = t / hush_t
    tgt = targets.get(name)
    status = "" if tgt is None else (f"≥{tgt}× " + ("ok" if ratio >= tgt else "MISS"))
    print(f"| {name:<28} | {t*1000:>9.1f}ms | {found:>13} | {rc:>4} | {ratio:>10.1f}× | {status:>8} |")
PY
