#!/bin/sh
# hello.sh: the smallest test there is: say something and pass.
set -eu

echo "hello from ${DAGZ_TEST_ID:-hello}"
sleep 0.05
