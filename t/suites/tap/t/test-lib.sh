# test-lib.sh: a small library in the manner of git's t/test-lib.sh, for
# dagz's own tests of --tap. Each t[0-9]*.sh script sources it from t/,
# declares its cases and ends with test_done, which prints the plan and
# exits 1 when a case failed.

test_count=0
test_failed=0
TRASH_DIRECTORY="trash directory.$(basename "$0" .sh)"
rm -rf "$TRASH_DIRECTORY"
mkdir "$TRASH_DIRECTORY" || exit 1

# test_run DESCRIPTION SCRIPT: runs SCRIPT in the trash directory.
test_run_() {
	(cd "$TRASH_DIRECTORY" && eval "$1") >/dev/null 2>&1
}

# test_have_prereq NAME: the prerequisites this library knows of.
test_have_prereq() {
	case $1 in
	TRUE_PREREQ) return 0 ;;
	*) return 1 ;;
	esac
}

# test_expect_success [PREREQ] DESCRIPTION SCRIPT
test_expect_success() {
	test_count=$((test_count + 1))
	if test $# = 3; then
		if ! test_have_prereq "$1"; then
			echo "ok $test_count # skip $2 (missing $1)"
			return 0
		fi
		shift
	fi
	if test_run_ "$2"; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
	fi
}

# test_expect_failure DESCRIPTION SCRIPT: a known breakage (TODO).
test_expect_failure() {
	test_count=$((test_count + 1))
	if test_run_ "$2"; then
		echo "ok $test_count - $1 # TODO known breakage vanished"
	else
		echo "not ok $test_count - $1 # TODO known breakage"
	fi
}

test_done() {
	echo "1..$test_count"
	rm -rf "$TRASH_DIRECTORY"
	test "$test_failed" = 0 || exit 1
	exit 0
}
