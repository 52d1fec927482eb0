# xfail.sh: fails, as XFAIL_TESTS expects.
exit 1
