# fail.sh: fails.
echo "expected 1, got 2" >&2
exit 1
