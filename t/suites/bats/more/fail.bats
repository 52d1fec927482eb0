# more/fail.bats: one case passes, one fails (bats exits 1).

@test "true is true" {
	true
}

@test "false is true" {
	false
}
