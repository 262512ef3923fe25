#!/usr/bin/env bash
# Everything `npm test` needs beyond npm packages, installed or built when missing (idempotent):
#   tmux (dashboard tests in a real terminal), jq (benchmark baselines, README examples), openssl
#   (throw-away CAs), etcd (Debian's etcd-server), and kube-apiserver + kubectl built from upstream
#   Kubernetes through the Go module proxy (scripts/real-cluster/build.sh, cached by version).
# Under CI=true anything missing fails the run; elsewhere (a laptop without root or Go) it says
# loudly what will not be tested, and the tests that need it are skipped with that reason.
set -uo pipefail
cd "$(dirname "$0")/.."

ci=false
[[ "${CI:-}" == "true" || "${CI:-}" == "1" ]] && ci=true
failed=0
say() { printf '[test-deps] %s\n' "$*" >&2; }
problem() {
  if $ci; then say "ERROR: $*"; failed=1; else say "WARNING: $*"; fi
}

missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo -n)
  if command -v apt-get >/dev/null 2>&1 && { [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null; }; then
    say "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >&2 && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
      || problem "apt-get could not install ${missing[*]}"
  else
    problem "${missing[*]} missing and no apt-get with root here: install them to run every test"
  fi
fi

if command -v go >/dev/null 2>&1; then
  if ! bin=$(bash scripts/real-cluster/build.sh | tail -n 1); then
    problem "building kube-apiserver and kubectl failed (see above): the real-cluster tests cannot run"
  else
    say "real control plane: $bin"
  fi
else
  problem "Go is not installed: kube-apiserver and kubectl cannot be built, THE REAL-CLUSTER TESTS WILL NOT RUN"
fi
exit "$failed"
