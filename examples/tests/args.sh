#!/bin/sh
# args.sh: run through "cmd", an argv array: each element arrives as one
# argument, spaces and all, with no shell in between.
set -eu

if [ $# -ne 3 ]; then
	echo "expected 3 arguments, got $#" >&2
	exit 1
fi
printf 'argument: <%s>\n' "$@"
[ "$1" = one ] && [ "$2" = "two words" ] && [ "$3" = "\$HOME" ]
