#!/usr/bin/env bash
# Builds the real control plane the real-cluster tests run against: kube-apiserver, kubectl and
# kube-controller-manager (the tests run only its ClusterRole aggregation controller) from
# upstream k8s.io/kubernetes through the Go module proxy, cached by version, so a second run takes
# seconds. Prints the folder holding the binaries on its last line (stdout); progress goes to stderr.
#
# Why a module of our own: k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces every
# staging module with a path inside its own tree), so we require it and replace each staging module
# with the published v0.x.y of the same release, the list read from that release's own go.mod.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
CACHE_ROOT="${KSA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-sensitive-access}"
OUT="$CACHE_ROOT/kubernetes/$K8S_VERSION"
WORK="$CACHE_ROOT/kubernetes/build-$K8S_VERSION"

log() { printf '[real-cluster build] %s\n' "$*" >&2; }

BINARIES=(kube-apiserver kubectl kube-controller-manager)
cached=true
for binary in "${BINARIES[@]}"; do [[ -x "$OUT/$binary" ]] || cached=false; done
if $cached && [[ -f "$OUT/.complete" ]]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null 2>&1 || { log "Go is not installed: cannot build kube-apiserver $K8S_VERSION"; exit 3; }

start=$(date +%s)
mkdir -p "$WORK" "$OUT"
staging_version="v0.${K8S_VERSION#v1.}"
cd "$WORK"

log "reading $K8S_VERSION's go.mod for its staging modules"
modfile=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
[[ -f "$modfile" ]] || { log "could not download k8s.io/kubernetes@$K8S_VERSION"; exit 3; }
go_line=$(grep -m1 '^go ' "$modfile")

{
  echo "module ksa.local/realcluster"
  echo
  echo "$go_line"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  grep -E '^\s*k8s\.io/[^ ]+ => \./staging/src/' "$modfile" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package realcluster

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO

log "resolving modules (go mod tidy)"
GOFLAGS=-mod=mod go mod tidy >&2

# Version stamps as Kubernetes' own build sets them (hack/lib/version.sh): without them both report
# v0.0.0-master and kubectl warns of version skew.
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

log "building ${BINARIES[*]} $K8S_VERSION (minutes from an empty Go cache)"
rm -f "$OUT/.complete"
GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$OUT/" \
  "${BINARIES[@]/#/k8s.io/kubernetes/cmd/}" >&2
touch "$OUT/.complete"
log "built in $(( $(date +%s) - start ))s: $OUT"
echo "$OUT"
