#!/usr/bin/env bash
# Provide a Pulumi CLI matching the pinned Python SDK (the `pulumi==X` line of
# requirements.txt) and print the directory holding it as the LAST line of
# stdout, for the caller to put first on PATH. Progress goes to stderr.
#
# 1. A compatible `pulumi` already on PATH (same major version, not older than
#    the SDK) with a Python language host next to it is used as is.
# 2. Otherwise a previous build in the cache is reused (unless the language
#    host's source changed since).
# 3. Otherwise, if Go is available, the CLI and our Python language host are
#    built from the Go module proxy (the CLI's download site may be unreachable)
#    into $AZUREML_TRAINING_CACHE/pulumi-vX/bin.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

version=$(sed -n 's/^pulumi==\([0-9][0-9.]*\)[[:space:]]*\(#.*\)\{0,1\}$/\1/p' "$root/requirements.txt" | head -n1)
[ -n "$version" ] || die "no 'pulumi==X.Y.Z' line in $root/requirements.txt"

cache=${AZUREML_TRAINING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/azureml-training}
dest=$cache/pulumi-v$version
bin=$dest/bin
tools=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)

export PULUMI_SKIP_UPDATE_CHECK=true

# cli_version DIR: the version a pulumi binary reports, without the leading v.
cli_version() { "$1/pulumi" version 2>/dev/null | sed -n '1s/^v//p'; }

# compatible V: same major version as the SDK and not older than it.
compatible() {
	local have=${1%%[-+]*}
	[ "${have%%.*}" = "${version%%.*}" ] &&
		[ "$(printf '%s\n%s\n' "$version" "$have" | sort -V | head -n1)" = "$version" ]
}

# (1) Ambient install (our own cache dir on PATH is checked as (2) instead).
if ambient=$(command -v pulumi 2>/dev/null) && [ "$(dirname "$ambient")" != "$bin" ]; then
	dir=$(dirname "$ambient")
	have=$(cli_version "$dir" || true) # a broken shim on PATH is skipped, not fatal
	if [ -n "$have" ] && compatible "$have" && [ -x "$dir/pulumi-language-python" ]; then
		log "using pulumi v$have from $dir"
		echo "$dir"
		exit 0
	fi
fi

# Fingerprint of our language host's source, so editing it triggers a rebuild.
host_stamp() { cat "$here"/pulumi-language-python/*.go | cksum; }

cached() {
	local t
	for t in "${tools[@]}"; do [ -x "$bin/$t" ] || return 1; done
	[ "$(cat "$bin/.host-stamp" 2>/dev/null)" = "$(host_stamp)" ] &&
		[ "$(cli_version "$bin")" = "$version" ]
}

# (2) Cache hit.
if cached; then
	echo "$bin"
	exit 0
fi

# (3) Build from Go modules.
if ! command -v go >/dev/null 2>&1; then
	die "Pulumi CLI v$version (or a newer v${version%%.*}.x) was not found on PATH, and Go is not
available to build it. Install Pulumi from https://www.pulumi.com/docs/install/ (for example
'curl -fsSL https://get.pulumi.com | sh -s -- --version $version') and put it on PATH, or
install Go 1.26.6 or newer (https://go.dev/dl/) and rerun
this script, which then builds the CLI and its Python language host from the Go module
proxy into $bin."
fi

grep -q "github.com/pulumi/pulumi/pkg/v3 v$version\$" "$here/go.mod" ||
	die "requirements.txt pins pulumi==$version but $here/go.mod pins another pkg/v3; run there:
  go get github.com/pulumi/pulumi/pkg/v3@v$version github.com/pulumi/pulumi/sdk/v3@v$version && go mod tidy
and copy any new non-local replace directives from pkg/v3's go.mod."

mkdir -p "$dest"
# Serialise concurrent builds (e.g. make -j), then re-check the cache.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dest/.lock"
	flock 9
	if cached; then
		echo "$bin"
		exit 0
	fi
fi

# Building in $dest keeps the final mv on one filesystem, hence atomic.
tmp=$(mktemp -d "$dest/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -buildvcs=false"
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version"
cd "$here"
log "building pulumi v$version with $(go version | cut -d' ' -f3) (first build takes several minutes)"
go build -trimpath -ldflags "$ldflags" -o "$tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
log "building pulumi-language-python"
go build -trimpath -ldflags "$ldflags" -o "$tmp/pulumi-language-python" ./pulumi-language-python

# The Python scripts the host and engine run ship in the sdk/v3 module.
sdk=$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$version" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
[ -d "$sdk/python" ] || die "could not locate the sdk/v3@v$version module directory"
cp "$sdk/python/cmd/pulumi-language-python-exec" "$sdk/python/dist/pulumi-resource-pulumi-python" "$tmp/"
chmod 0755 "$tmp" "$tmp"/*
host_stamp >"$tmp/.host-stamp"

rm -rf "$bin.old"
[ ! -e "$bin" ] || mv "$bin" "$bin.old"
mv "$tmp" "$bin"
rm -rf "$bin.old"
trap - EXIT
log "installed into $bin"
echo "$bin"
