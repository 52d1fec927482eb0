#!/bin/sh
# t0002-fail.sh: one case passes, one fails, so the script exits 1.

. ./test-lib.sh

test_expect_success 'true is true' '
	true
'

test_expect_success 'false is true' '
	false
'

test_expect_success TRUE_PREREQ 'a prerequisite that is met' '
	true
'

test_done
