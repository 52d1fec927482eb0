#!/bin/sh
# greeting.sh: checks the variables the manifest's "env" gives this test.
set -eu

: "${GREETING:?GREETING is not set (the manifest sets it)}"
: "${NAME:?NAME is not set (the manifest sets it)}"
msg="$GREETING, $NAME!"
echo "$msg"
sleep 0.1
if [ "$msg" != "Hello, world!" ]; then
	echo "expected 'Hello, world!', got '$msg'" >&2
	exit 1
fi
