#!/bin/sh
# tmpfiles.sh: creates, counts and removes a hundred scratch files in a
# private temporary directory.
set -eu

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for i in $(seq 1 100); do
	echo "$i" >"$tmp/file.$i"
done
set -- "$tmp"/file.*
n=$#
total=$(($(cat "$tmp"/file.* | paste -s -d + -)))
echo "$n files, numbers adding up to $total"
sleep 0.3
[ "$n" -eq 100 ] && [ "$total" -eq 5050 ]
