# pass.sh: passes.
test 1 -eq 1
