#!/bin/sh
# count-lines.sh: prints the number of lines of a file; the manifest runs
# it from a "sh" line and checks the number there.
set -eu

sleep 0.1
wc -l <"$1"
