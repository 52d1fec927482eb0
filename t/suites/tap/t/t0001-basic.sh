#!/bin/sh
# t0001-basic.sh: cases that pass, one skipped, one known breakage.

. ./test-lib.sh

test_expect_success 'a file can be written' '
	echo hello >file && test -s file
'

test_expect_success 'runs from t/, beside test-lib.sh' '
	test -f ../test-lib.sh
'

test_expect_success MISSING_PREREQ 'needs what is not here' '
	false
'

test_expect_failure 'reads the future' '
	false
'

test_done
