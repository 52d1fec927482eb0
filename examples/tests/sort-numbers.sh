#!/bin/sh
# sort-numbers.sh: sorts the primes every way and checks the ends; slow on
# purpose (about 1.5 seconds) to give the suite some spread.
set -eu

f=data/primes.txt
low=$(sort -n "$f" | head -n 1)
high=$(sort -rn "$f" | head -n 1)
echo "smallest $low, largest $high"
sleep 1.5
[ "$low" -eq 2 ] && [ "$high" -eq 29 ]
