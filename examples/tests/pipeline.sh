#!/bin/sh
# pipeline.sh: a test that spawns subprocesses: a pipeline, and a
# background job that it waits for. Everything it starts ends before it
# does, so dagz finds nothing left behind.
set -eu

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The background job: works for a while, then leaves its result in a file.
(
	sleep 0.5
	seq 1 1000 | sort -rn | head -n 1 >"$tmp/max"
) &
bg=$!

# Meanwhile, a pipeline: the sum of 1..100, written as 1+2+...+100 by
# paste(1) and evaluated by the shell.
sum=$(($(seq 1 100 | paste -s -d + -)))
echo "sum of 1..100 is $sum"
[ "$sum" -eq 5050 ]

wait "$bg"
max=$(cat "$tmp/max")
echo "background job found $max"
[ "$max" -eq 1000 ]
