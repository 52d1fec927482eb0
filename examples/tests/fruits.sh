#!/bin/sh
# fruits.sh: reads a data file found through the working directory (by
# default the directory of the manifest): counts the distinct fruits and
# finds the most frequent one.
set -eu

f=data/fruits.txt
distinct=$(sort -u "$f" | wc -l)
top=$(sort "$f" | uniq -c | sort -k1,1nr -k2 | head -n 1 | tr -s ' ' |
    cut -d ' ' -f 3)
echo "$distinct distinct fruits; the most frequent is $top"
sleep 0.2
if [ "$distinct" -ne 8 ] || [ "$top" != apple ]; then
	echo "expected 8 distinct fruits and apple on top" >&2
	exit 1
fi
