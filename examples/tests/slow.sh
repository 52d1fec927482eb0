#!/bin/sh
# slow.sh: the suite's long test, about 3 seconds. The manifest gives its
# "estimate", so the scheduler can start it first.
set -eu

for step in 1 2 3 4 5 6; do
	echo "step $step of 6"
	sleep 0.5
done
