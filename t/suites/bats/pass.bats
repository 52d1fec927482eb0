# pass.bats: cases that pass and one skipped, for bats --tap and for
# dagz run --bats.

@test "addition" {
	[ $((1 + 1)) -eq 2 ]
}

@test "finds its own directory" {
	[ -f "$BATS_TEST_DIRNAME/pass.bats" ]
}

@test "needs a network" {
	skip "no network here"
	false
}
