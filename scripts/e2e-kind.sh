#!/usr/bin/env bash
# End-to-end test of hush-controller on a throwaway local cluster.
#
# Opt-in: CI does not run it. It needs docker (a running daemon), kubectl,
# helm 3 or 4, curl, cargo, and kind (default) or k3d (K3D=1). It
#   1. creates a cluster (or reuses one of the same name that it finds),
#   2. builds the controller image from ./Dockerfile and loads it into the
#      cluster, and builds the hush CLI with cargo,
#   3. makes a fresh age key, stores it as the controller's key Secret and
#      installs charts/hush-controller with Helm,
#   4. runs the scenarios below, printing PASS or FAIL for each,
#   5. deletes the cluster it created (and always its temporary files).
#
# Usage:
#   scripts/e2e-kind.sh              # kind
#   K3D=1 scripts/e2e-kind.sh        # k3d
#
# Environment:
#   CLUSTER_NAME   cluster name (default hush-e2e); an existing cluster of that
#                  name is reused and left in place afterwards
#   KEEP_CLUSTER=1 keep a cluster this script created, for debugging
#   SKIP_IMAGE_BUILD=1  use an existing image $IMAGE_REPO:$IMAGE_TAG
#   IMAGE_REPO, IMAGE_TAG  image name (default hush-controller:e2e)
#   HUSH_BIN       a hush binary with `seal` (default: cargo build -p hush)
#   TIMEOUT        seconds to wait for each expected state (default 90)
#   METRICS_LOCAL_PORT  local port for the metrics port-forward (default 18080)
#
# It prints one PASS/FAIL line per step and a final "N passed, M failed";
# the exit status is non-zero when any step failed or setup broke.
# Nothing here prints a secret value; the age key lives in a temporary
# directory that is removed on exit.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER_NAME="${CLUSTER_NAME:-hush-e2e}"
IMAGE_REPO="${IMAGE_REPO:-hush-controller}"
IMAGE_TAG="${IMAGE_TAG:-e2e}"
IMAGE="$IMAGE_REPO:$IMAGE_TAG"
TIMEOUT="${TIMEOUT:-90}"
METRICS_LOCAL_PORT="${METRICS_LOCAL_PORT:-18080}"
RELEASE=hush-controller
SYSTEM_NS=hush-system
NS_A=hush-e2e-a
NS_B=hush-e2e-b
CHART="$ROOT/charts/hush-controller"
CRD_FILE="$CHART/crds/encryptedsecrets.hush.dev.yaml"

if [[ "${K3D:-0}" == 1 ]]; then
    PROVIDER=k3d
    CTX="k3d-$CLUSTER_NAME"
else
    PROVIDER=kind
    CTX="kind-$CLUSTER_NAME"
fi

WORK=""
CREATED_CLUSTER=0
PASSED=0
FAILED=0

log() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'e2e: %s\n' "$*" >&2
    exit 2
}

# Every kubectl and helm call names the test cluster's context, so the
# user's current context is never touched.
kc() { kubectl --context "$CTX" "$@"; }
hm() { helm --kube-context "$CTX" "$@"; }

cleanup() {
    local rc=$?
    set +e
    if ((CREATED_CLUSTER)) && [[ "${KEEP_CLUSTER:-0}" != 1 ]]; then
        log "deleting $PROVIDER cluster $CLUSTER_NAME"
        if [[ $PROVIDER == k3d ]]; then
            k3d cluster delete "$CLUSTER_NAME" >/dev/null 2>&1
        else
            kind delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1
        fi
    elif ((CREATED_CLUSTER)); then
        log "KEEP_CLUSTER=1: cluster $CLUSTER_NAME (context $CTX) left running"
    fi
    [[ -n "$WORK" && -d "$WORK" ]] && rm -rf -- "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- prerequisites -----------------------------------------------------------

need() {
    command -v "$1" >/dev/null 2>&1 || die "missing prerequisite: $1 ($2)"
}
need docker "https://docs.docker.com/engine/install/"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
need helm "https://helm.sh/docs/intro/install/"
need base64 "coreutils"
need curl "your OS package manager"
if [[ $PROVIDER == k3d ]]; then
    need k3d "https://k3d.io"
else
    need kind "https://kind.sigs.k8s.io"
fi
[[ -n "${HUSH_BIN:-}" ]] || need cargo "https://rustup.rs"
docker info >/dev/null 2>&1 || die "docker is installed but its daemon is not reachable"
[[ -f "$CRD_FILE" ]] || die "missing $CRD_FILE; generate it with: cargo run -p hush-controller -- crd > ${CRD_FILE#"$ROOT"/}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/hush-e2e.XXXXXX")"
chmod 700 "$WORK"

# ---- helpers -----------------------------------------------------------------

# step NAME CMD...: runs CMD in a subshell, prints PASS/FAIL. The subshell
# runs in the background and is waited for, because errexit is ignored in
# anything run as an `if` condition; this way the first failing command in a
# scenario fails the step.
step() {
    local name=$1
    shift
    (
        set -E
        trap 'echo "failed at line $LINENO of ${BASH_SOURCE[0]}"' ERR
        "$@"
    ) >"$WORK/step.log" 2>&1 &
    if wait "$!"; then
        printf 'PASS  %s\n' "$name"
        PASSED=$((PASSED + 1))
    else
        printf 'FAIL  %s\n' "$name"
        sed 's/^/      /' "$WORK/step.log"
        FAILED=$((FAILED + 1))
    fi
}

# not CMD...: succeeds when CMD fails. Unlike `! CMD`, a failure here stops
# a scenario under errexit.
not() {
    if "$@"; then
        return 1
    fi
    return 0
}

# poll CMD...: retries CMD every 2 s until it succeeds or $TIMEOUT passes.
poll() {
    local deadline=$((SECONDS + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            echo "timed out after ${TIMEOUT}s waiting for: ${*:1:4}"
            return 1
        fi
        sleep 2
    done
}

# ready_reason NS NAME: the reason of the Ready condition (empty if none).
ready_reason() {
    kc -n "$1" get encryptedsecret "$2" \
        -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'
}
ready_status() {
    kc -n "$1" get encryptedsecret "$2" \
        -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'
}
# reason_is NS NAME REASON...: the Ready reason is one of REASON...
reason_is() {
    local ns=$1 name=$2 got
    shift 2
    got="$(ready_reason "$ns" "$name")" || return 1
    local want
    for want in "$@"; do
        [[ "$got" == "$want" ]] && return 0
    done
    return 1
}
# expect_reason NS NAME STATUS REASON...: waits for Ready=STATUS with one of
# the reasons; on timeout prints what it saw.
expect_reason() {
    local ns=$1 name=$2 status=$3
    shift 3
    if poll reason_is "$ns" "$name" "$@"; then
        [[ "$(ready_status "$ns" "$name")" == "$status" ]] || {
            echo "Ready reason is $(ready_reason "$ns" "$name") but status is $(ready_status "$ns" "$name"), want $status"
            return 1
        }
        return 0
    fi
    echo "want Ready=$status reason in {$*}; got:"
    kc -n "$ns" get encryptedsecret "$name" -o jsonpath='{.status}' || true
    echo
    return 1
}

# secret_value NS NAME KEY: the decoded value of data[KEY].
secret_value() {
    local b64
    b64="$(kc -n "$1" get secret "$2" -o "jsonpath={.data.$3}")" || return 1
    [[ -n "$b64" ]] || return 1
    printf '%s' "$b64" | base64 -d
}
# value_is NS NAME KEY WANT: data[KEY] decodes to WANT (compared, not printed).
value_is() {
    local got
    got="$(secret_value "$1" "$2" "$3")" || return 1
    [[ "$got" == "$4" ]]
}
secret_absent() {
    not kc -n "$1" get secret "$2"
}
# warning_event NS NAME: a Warning event about EncryptedSecret NAME exists.
warning_event() {
    local out
    out="$(kc -n "$1" get events \
        --field-selector "involvedObject.kind=EncryptedSecret,involvedObject.name=$2,type=Warning" \
        -o name)" || return 1
    [[ -n "$out" ]]
}

rand() { head -c 18 /dev/urandom | base64 | tr -d '/+=\n'; }

# ---- cluster, images, install ------------------------------------------------

cluster_exists() {
    if [[ $PROVIDER == k3d ]]; then
        k3d cluster get "$CLUSTER_NAME" >/dev/null 2>&1
    else
        kind get clusters 2>/dev/null | grep -qx -- "$CLUSTER_NAME"
    fi
}

if cluster_exists; then
    log "reusing $PROVIDER cluster $CLUSTER_NAME (it will be left in place)"
else
    log "creating $PROVIDER cluster $CLUSTER_NAME"
    CREATED_CLUSTER=1
    if [[ $PROVIDER == k3d ]]; then
        k3d cluster create "$CLUSTER_NAME" --wait --timeout 180s >/dev/null
    else
        kind create cluster --name "$CLUSTER_NAME" --wait 180s >/dev/null
    fi
fi
kc get nodes >/dev/null || die "cannot reach the cluster through context $CTX"

if [[ "${SKIP_IMAGE_BUILD:-0}" != 1 ]]; then
    log "building image $IMAGE (a release build: slow the first time)"
    DOCKER_BUILDKIT=1 docker build -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" >&2
fi
docker image inspect "$IMAGE" >/dev/null 2>&1 || die "image $IMAGE not found"
log "loading $IMAGE into the cluster"
if [[ $PROVIDER == k3d ]]; then
    k3d image import "$IMAGE" --cluster "$CLUSTER_NAME" >/dev/null
else
    # `kind load docker-image` fails with Docker's containerd image store;
    # an image archive works with both stores.
    if ! kind load docker-image "$IMAGE" --name "$CLUSTER_NAME" >/dev/null 2>"$WORK/kind-load.err"; then
        log "kind load docker-image failed ($(head -n1 "$WORK/kind-load.err")); loading through docker save"
        docker save "$IMAGE" -o "$WORK/image.tar"
        kind load image-archive "$WORK/image.tar" --name "$CLUSTER_NAME" >/dev/null
        rm -f "$WORK/image.tar"
    fi
fi

if [[ -n "${HUSH_BIN:-}" ]]; then
    HUSH="$HUSH_BIN"
else
    log "building the hush CLI"
    (cd "$ROOT" && cargo build --release --locked -p hush >&2)
    HUSH="${CARGO_TARGET_DIR:-$ROOT/target}/release/hush"
fi
[[ -x "$HUSH" ]] || die "no hush binary at $HUSH"
HUSH="$(cd "$(dirname "$HUSH")" && pwd)/$(basename "$HUSH")"
"$HUSH" seal --help >/dev/null 2>&1 || die "$HUSH has no 'seal' command"

log "generating an age key"
RECIPIENT="$("$HUSH" keygen -o "$WORK/keys.txt" 2>/dev/null)"
[[ "$RECIPIENT" == age1* ]] || die "hush keygen printed no recipient"

# The CRD from the image under test (Helm skips crds/ when the CRD exists).
log "installing the CRD and the chart"
docker run --rm "$IMAGE" crd >"$WORK/crd.yaml"
kc apply --server-side --force-conflicts -f "$WORK/crd.yaml" >/dev/null
kc wait --for condition=Established --timeout=60s crd/encryptedsecrets.hush.dev >/dev/null

kc create namespace "$SYSTEM_NS" --dry-run=client -o yaml | kc apply -f - >/dev/null
kc -n "$SYSTEM_NS" create secret generic hush-age-key \
    --from-file=keys.txt="$WORK/keys.txt" --dry-run=client -o yaml | kc apply -f - >/dev/null
hm upgrade --install "$RELEASE" "$CHART" \
    --namespace "$SYSTEM_NS" \
    --set image.repository="$IMAGE_REPO" \
    --set image.tag="$IMAGE_TAG" \
    --set image.pullPolicy=IfNotPresent \
    --set ageKey.secretName=hush-age-key \
    --set controller.logLevel='info\,hush_controller=debug' \
    --wait --timeout 180s >/dev/null
# A reused cluster may run an older build under the same tag.
kc -n "$SYSTEM_NS" rollout restart "deployment/$RELEASE" >/dev/null
kc -n "$SYSTEM_NS" rollout status "deployment/$RELEASE" --timeout=180s >/dev/null \
    || die "the controller did not become ready"

# Fresh test namespaces, so a rerun starts clean.
for ns in "$NS_A" "$NS_B"; do
    kc delete namespace "$ns" --ignore-not-found --wait=true --timeout=120s >/dev/null
    kc create namespace "$ns" >/dev/null
done

# ---- test data ---------------------------------------------------------------

USERNAME_VALUE="user-$(rand)"
PASSWORD_VALUE="pw-$(rand)"
TOKEN_VALUE="tok-$(rand)"
TOKEN_B64="$(printf '%s' "$TOKEN_VALUE" | base64 | tr -d '\n')"

# secret_manifest NAME NS: a plaintext Secret with data and stringData.
secret_manifest() {
    cat <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: $1
  namespace: $2
type: Opaque
data:
  token: $TOKEN_B64
stringData:
  password: $PASSWORD_VALUE
  username: $USERNAME_VALUE
EOF
}

# seal NAME NS SCOPE OUT
seal() {
    secret_manifest "$1" "$2" >"$WORK/$1.plain.yaml"
    (cd "$WORK" && "$HUSH" seal "$1.plain.yaml" --scope "$3" --age "$RECIPIENT" -o "$4")
    rm -f -- "$WORK/$1.plain.yaml"
}

# move FILE FROM_NS TO_NS OUT / rename FILE FROM TO OUT: edit the plaintext
# metadata only, as a user copying the file would.
move() {
    sed -E "s/(^|[[:space:]{,])(namespace:[[:space:]]*)\"?$2\"?([[:space:],}]|$)/\1\2$3\3/" "$1" >"$4"
    [[ "$(kc create --dry-run=client -f "$4" -o jsonpath='{.metadata.namespace}')" == "$3" ]]
}
rename() {
    sed -E "s/(^|[[:space:]{,])(name:[[:space:]]*)\"?$2\"?([[:space:],}]|$)/\1\2$3\3/" "$1" >"$4"
    [[ "$(kc create --dry-run=client -f "$4" -o jsonpath='{.metadata.name}')" == "$3" ]]
}

# ---- scenarios ---------------------------------------------------------------

t_seal_apply() {
    seal db "$NS_A" strict "$WORK/db.esec.yaml"
    not grep -q -- "$PASSWORD_VALUE" "$WORK/db.esec.yaml"
    kc apply -f "$WORK/db.esec.yaml"
    expect_reason "$NS_A" db True Decrypted
    value_is "$NS_A" db username "$USERNAME_VALUE"
    value_is "$NS_A" db password "$PASSWORD_VALUE"
    value_is "$NS_A" db token "$TOKEN_VALUE"
    [[ "$(kc -n "$NS_A" get secret db -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" == hush-controller ]]
    [[ "$(kc -n "$NS_A" get secret db -o jsonpath='{.metadata.ownerReferences[0].kind}')" == EncryptedSecret ]]
    [[ "$(kc -n "$NS_A" get secret db -o jsonpath='{.metadata.ownerReferences[0].controller}')" == true ]]
    [[ "$(kc -n "$NS_A" get encryptedsecret db -o jsonpath='{.status.observedGeneration}')" == \
        "$(kc -n "$NS_A" get encryptedsecret db -o jsonpath='{.metadata.generation}')" ]]
}

t_scope_moved() {
    move "$WORK/db.esec.yaml" "$NS_A" "$NS_B" "$WORK/db.moved.yaml"
    kc apply -f "$WORK/db.moved.yaml"
    expect_reason "$NS_B" db False ScopeMismatch
    secret_absent "$NS_B" db
    poll warning_event "$NS_B" db
}

t_scope_renamed() {
    rename "$WORK/db.esec.yaml" db db-copy "$WORK/db.renamed.yaml"
    kc apply -f "$WORK/db.renamed.yaml"
    expect_reason "$NS_A" db-copy False ScopeMismatch
    secret_absent "$NS_A" db-copy
}

t_scope_namespace() {
    seal shared "$NS_A" namespace "$WORK/shared.esec.yaml"
    rename "$WORK/shared.esec.yaml" shared shared-copy "$WORK/shared.renamed.yaml"
    kc apply -f "$WORK/shared.renamed.yaml"
    expect_reason "$NS_A" shared-copy True Decrypted
    value_is "$NS_A" shared-copy password "$PASSWORD_VALUE"
    move "$WORK/shared.esec.yaml" "$NS_A" "$NS_B" "$WORK/shared.moved.yaml"
    kc apply -f "$WORK/shared.moved.yaml"
    expect_reason "$NS_B" shared False ScopeMismatch
    secret_absent "$NS_B" shared
}

t_drift_edit() {
    kc -n "$NS_A" patch secret db --type merge \
        -p "{\"data\":{\"password\":\"$(printf 'edited' | base64)\"}}"
    poll value_is "$NS_A" db password "$PASSWORD_VALUE"
}

t_drift_delete() {
    kc -n "$NS_A" delete secret db --wait=true
    poll value_is "$NS_A" db password "$PASSWORD_VALUE"
}

t_unmanaged() {
    kc -n "$NS_A" create secret generic preexisting --from-literal=password=keep-me
    seal preexisting "$NS_A" strict "$WORK/preexisting.esec.yaml"
    kc apply -f "$WORK/preexisting.esec.yaml"
    expect_reason "$NS_A" preexisting False SecretNotManaged
    poll warning_event "$NS_A" preexisting
    value_is "$NS_A" preexisting password keep-me
    [[ -z "$(kc -n "$NS_A" get secret preexisting -o jsonpath='{.metadata.ownerReferences}')" ]]
}

t_adopt() {
    kc -n "$NS_A" annotate encryptedsecret preexisting hush.dev/adopt=true --overwrite
    expect_reason "$NS_A" preexisting True Decrypted
    value_is "$NS_A" preexisting password "$PASSWORD_VALUE"
    [[ "$(kc -n "$NS_A" get secret preexisting -o jsonpath='{.metadata.ownerReferences[0].kind}')" == EncryptedSecret ]]
}

# Removing a value leaves every remaining value decryptable, so only the MAC
# can tell: the reason must be MacMismatch.
t_tamper_remove() {
    kc -n "$NS_A" patch encryptedsecret db --type json \
        -p '[{"op":"remove","path":"/spec/stringData/username"}]'
    expect_reason "$NS_A" db False MacMismatch
    poll warning_event "$NS_A" db
    value_is "$NS_A" db username "$USERNAME_VALUE"
    value_is "$NS_A" db password "$PASSWORD_VALUE"
}

# Moving one value's ciphertext under another key: the value's own
# authentication (its path is bound to it) or the MAC catches it.
t_tamper_swap() {
    kc apply -f "$WORK/db.esec.yaml"
    expect_reason "$NS_A" db True Decrypted
    kc -n "$NS_A" patch encryptedsecret db --type json \
        -p '[{"op":"copy","from":"/spec/stringData/username","path":"/spec/stringData/password"}]'
    expect_reason "$NS_A" db False DecryptFailed MacMismatch
    value_is "$NS_A" db password "$PASSWORD_VALUE"
    value_is "$NS_A" db username "$USERNAME_VALUE"
}

t_recover() {
    kc apply -f "$WORK/db.esec.yaml"
    expect_reason "$NS_A" db True Decrypted
    value_is "$NS_A" db password "$PASSWORD_VALUE"
}

# Comment lines are ignored, so the chart's copy may carry a header.
t_crd_current() {
    diff -u <(sed '/^[[:space:]]*#/d' "$CRD_FILE") <(sed '/^[[:space:]]*#/d' "$WORK/crd.yaml")
}

# /metrics of the leader (the pod that has reconciled).
t_metrics() {
    local holder pf ok=0
    holder="$(kc -n "$SYSTEM_NS" get lease "$RELEASE" -o jsonpath='{.spec.holderIdentity}')"
    [[ -n "$holder" ]]
    kc -n "$SYSTEM_NS" port-forward "pod/$holder" "$METRICS_LOCAL_PORT:8080" >"$WORK/pf.log" 2>&1 &
    pf=$!
    for _ in $(seq 1 15); do
        if curl -fsS "http://127.0.0.1:$METRICS_LOCAL_PORT/metrics" >"$WORK/metrics.txt" 2>/dev/null; then
            ok=1
            break
        fi
        sleep 1
    done
    kill "$pf" 2>/dev/null || true
    wait "$pf" 2>/dev/null || true
    ((ok))
    grep -E '^hush_reconciles_total(\{[^}]*\})? [1-9]' "$WORK/metrics.txt"
    grep -q '^hush_reconcile_duration_seconds_bucket' "$WORK/metrics.txt"
}

t_lease() {
    local holder
    holder="$(kc -n "$SYSTEM_NS" get lease "$RELEASE" -o jsonpath='{.spec.holderIdentity}')"
    [[ -n "$holder" ]]
    kc -n "$SYSTEM_NS" get pod "$holder" >/dev/null
}

log "running scenarios"
step "chart CRD matches 'hush-controller crd' of the image" t_crd_current
step "seal (strict), apply: Secret has the plaintext values" t_seal_apply
step "strict: copied to another namespace -> ScopeMismatch, no Secret" t_scope_moved
step "strict: renamed -> ScopeMismatch, no Secret" t_scope_renamed
step "namespace scope: rename works, other namespace -> ScopeMismatch" t_scope_namespace
step "drift: edited managed Secret is restored" t_drift_edit
step "drift: deleted managed Secret is recreated" t_drift_delete
step "unmanaged Secret -> SecretNotManaged, left untouched" t_unmanaged
step "hush.dev/adopt=true -> adopted and written" t_adopt
step "value removed -> MacMismatch, last good Secret kept" t_tamper_remove
step "value swapped -> DecryptFailed/MacMismatch, last good Secret kept" t_tamper_swap
step "re-applied original -> Decrypted again" t_recover
step "leader Lease is held by a running pod" t_lease
step "metrics endpoint serves hush_reconciles_total" t_metrics

if ((FAILED)); then
    log "controller logs (last 50 lines per pod):"
    kc -n "$SYSTEM_NS" logs -l "app.kubernetes.io/instance=$RELEASE" --tail=50 --prefix >&2 || true
fi
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
