# t/local.mk: the test suite: bats files and C unit tests of libcommon.
BATS_TESTS = \
	t/dagz-run-statuses.bats \
	t/dagz-run-many.bats \
	t/dagz-run-manifest-errors.bats \
	t/dagz-run-plan.bats \
	t/dagz-run-needs.bats \
	t/dagz-run-retries.bats \
	t/dagz-run-fixtures.bats \
	t/dagz-run-workers.bats
TESTS += t/unit-libcommon $(BATS_TESTS)
check_PROGRAMS += t/unit-libcommon
t_unit_libcommon_SOURCES = t/unit-libcommon.c t/tap.h
t_unit_libcommon_LDADD = $(COMMON_LIBS)
EXTRA_DIST += t/run-bats t/helpers.bash $(BATS_TESTS)
TESTS += t/unit-proc
check_PROGRAMS += t/unit-proc
t_unit_proc_SOURCES = t/unit-proc.c t/tap.h
t_unit_proc_LDADD = $(COMMON_LIBS)
