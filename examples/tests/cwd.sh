#!/bin/sh
# cwd.sh: runs with "cwd": "data" in the manifest, which is relative to
# the manifest's directory; checks it landed there.
set -eu

here=$(pwd)
echo "running in $here"
case $here in
*/data) ;;
*)
	echo "expected to run in the data directory" >&2
	exit 1
	;;
esac
[ -f fruits.txt ] && [ -f primes.txt ]
sleep 0.1
