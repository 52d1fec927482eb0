#!/bin/sh
# skip.sh: a test that cannot run here and says so with exit status 77,
# which dagz reports as SKIPPED (the automake convention).
set -eu

if ! command -v frobnicate >/dev/null 2>&1; then
	echo "frobnicate is not installed: skipping"
	exit 77
fi
frobnicate --self-test
