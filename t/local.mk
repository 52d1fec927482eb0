# t/local.mk: the test suite: bats files and C unit tests of libcommon.
BATS_TESTS = \
	t/dagz-run-statuses.bats \
	t/dagz-run-many.bats \
	t/dagz-run-manifest-errors.bats \
	t/dagz-run-plan.bats \
	t/dagz-run-needs.bats \
	t/dagz-run-after.bats \
	t/dagz-run-repeat.bats \
	t/dagz-run-retries.bats \
	t/dagz-run-fixtures.bats \
	t/dagz-run-workers.bats \
	t/dagz-run-filter.bats
BATS_TESTS += t/dagz-worker-fixtures.bats t/dagz-run-junit.bats
# Cases (TAP, JUnit) and the result keys of a manifest.
BATS_TESTS += t/dagz-run-cases.bats
# One record per result, for the console, the events file and the store.
BATS_TESTS += t/dagz-run-record.bats
# Stopping early: --fail-fast, --max-fail N and NOT_RUN.
BATS_TESTS += t/dagz-run-fail-fast.bats
# Order-dependent tests: the polluter named, and found by bisection.
BATS_TESTS += t/pollution.bats
# Adapters of real suites, each against its native runner.
BATS_TESTS += t/adapter-ctest.bats t/adapter-pytest.bats
EXTRA_DIST += \
	t/suites/cmake/CMakeLists.txt \
	t/suites/cmake/check.c \
	t/suites/pytest/pytest.ini \
	t/suites/pytest/tests/check_units.py \
	t/suites/pytest/tests/test_helpers.py \
	t/suites/pytest/tests/test_math.py \
	t/suites/pytest/tests/test_strings.py
TESTS += t/unit-cases
check_PROGRAMS += t/unit-cases
t_unit_cases_SOURCES = t/unit-cases.c t/unit.h
t_unit_cases_LDADD = $(COMMON_LIBS)
TESTS += t/unit-libcommon $(BATS_TESTS)
check_PROGRAMS += t/unit-libcommon
t_unit_libcommon_SOURCES = t/unit-libcommon.c t/unit.h
t_unit_libcommon_LDADD = $(COMMON_LIBS)
EXTRA_DIST += t/run-bats t/helpers.bash t/pg-helpers.bash $(BATS_TESTS)
# The protocol messages: round trips and the errors of bad ones.
TESTS += t/unit-proto
check_PROGRAMS += t/unit-proto
t_unit_proto_SOURCES = t/unit-proto.c t/unit.h
t_unit_proto_LDADD = $(COMMON_LIBS)
TESTS += t/unit-proc
check_PROGRAMS += t/unit-proc
t_unit_proc_SOURCES = t/unit-proc.c t/unit.h
t_unit_proc_LDADD = $(COMMON_LIBS)
# JUnit XML: the reader and writer, and dagz run --junit's report.
TESTS += t/unit-junit
check_PROGRAMS += t/unit-junit
t_unit_junit_SOURCES = t/unit-junit.c t/unit.h
t_unit_junit_LDADD = $(COMMON_LIBS)
TESTS += t/unit-sched-junit
check_PROGRAMS += t/unit-sched-junit
t_unit_sched_junit_SOURCES = t/unit-sched-junit.c t/unit.h \
	cmd/dagz-sched/sched-report.c
t_unit_sched_junit_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cmd/dagz-sched
t_unit_sched_junit_LDADD = $(COMMON_LIBS)
# The store: dagzd and zb, each test with its own dagzd.
BATS_TESTS += \
	t/dagzd-api.bats \
	t/dagzd-web.bats \
	t/dagzd-restart.bats \
	t/dagz-run-store-start.bats \
	t/zb-jobs.bats \
	t/zb-cases.bats \
	t/zb-rerun.bats \
	t/store-faults.bats
# The dashboard's timeline: the plan drawn against what ran.
BATS_TESTS += t/dagzd-web-plan.bats
# libdagzprobe.so: the trace reader in C, the probe on real programs.
PROBE_BATS_TESTS = \
	t/probe-record.bats \
	t/probe-exec.bats \
	t/probe-compare.bats
TESTS += t/unit-trace $(PROBE_BATS_TESTS)
check_PROGRAMS += t/unit-trace t/probe-dump
t_unit_trace_SOURCES = t/unit-trace.c t/unit.h
t_unit_trace_LDADD = $(COMMON_LIBS)
t_probe_dump_SOURCES = t/probe-dump.c
t_probe_dump_LDADD = $(COMMON_LIBS)
EXTRA_DIST += t/probe-helpers.bash $(PROBE_BATS_TESTS)
TESTS += t/unit-cienv
check_PROGRAMS += t/unit-cienv
t_unit_cienv_SOURCES = t/unit-cienv.c t/unit.h
t_unit_cienv_LDADD = $(COMMON_LIBS)
TESTS += t/unit-store
check_PROGRAMS += t/unit-store
t_unit_store_SOURCES = t/unit-store.c t/unit.h
t_unit_store_LDADD = $(COMMON_LIBS) $(ZLIB_LIBS)
# Baselines and selection.
TESTS += t/unit-baseline
check_PROGRAMS += t/unit-baseline
t_unit_baseline_SOURCES = t/unit-baseline.c t/unit.h
t_unit_baseline_LDADD = $(COMMON_LIBS) $(ZLIB_LIBS)
# Code elements as they are now: the fingerprinter's output and its run.
TESTS += t/unit-elements
check_PROGRAMS += t/unit-elements
t_unit_elements_SOURCES = t/unit-elements.c t/unit.h
t_unit_elements_LDADD = $(COMMON_LIBS)
SELECT_BATS_TESTS = t/select-run.bats t/dagz-baseline.bats \
	t/select-adapters.bats t/select-ignore.bats
TESTS += $(SELECT_BATS_TESTS)
EXTRA_DIST += $(SELECT_BATS_TESTS)
# The dashboard's Selection tab: why each test ran or was left out.
BATS_TESTS += t/dagzd-web-selection.bats
# The TAP reader.
TESTS += t/unit-tap
check_PROGRAMS += t/unit-tap
t_unit_tap_SOURCES = t/unit-tap.c t/unit.h
t_unit_tap_LDADD = $(COMMON_LIBS)
# .dagz/config.yaml: the reader, zb init, and dagz run with no flags.
TESTS += t/unit-projconf
check_PROGRAMS += t/unit-projconf
t_unit_projconf_SOURCES = t/unit-projconf.c t/unit.h
t_unit_projconf_LDADD = $(COMMON_LIBS)
CONFIG_BATS_TESTS = t/zb-init.bats t/dagz-run-config.bats
TESTS += $(CONFIG_BATS_TESTS)
EXTRA_DIST += $(CONFIG_BATS_TESTS)
# Adapters: each against its native runner on a small suite of t/suites.
ADAPTER_BATS_TESTS = \
	t/adapter-tap.bats \
	t/adapter-bats.bats \
	t/adapter-automake.bats
TESTS += $(ADAPTER_BATS_TESTS)
EXTRA_DIST += $(ADAPTER_BATS_TESTS) t/suites
# UTF-8: any bytes mended before they enter JSON.
TESTS += t/unit-utf8
check_PROGRAMS += t/unit-utf8
t_unit_utf8_SOURCES = t/unit-utf8.c t/unit.h
t_unit_utf8_LDADD = $(COMMON_LIBS)
# dagzd under hostile requests and connections.
BATS_TESTS += t/dagzd-hostile.bats
# dagzd's rendezvous of the slots of one parallel CI step.
BATS_TESTS += t/dagzd-rendezvous.bats
# The store's side of a job of many nodes: results' nodes, the summary's
# nodes, and what a CI retry of a finished job runs again.
BATS_TESTS += t/dagzd-nodes.bats
# Secrets masked out of a job's environment before it is stored.
TESTS += t/unit-envmask
check_PROGRAMS += t/unit-envmask
t_unit_envmask_SOURCES = t/unit-envmask.c t/unit.h
t_unit_envmask_LDADD = $(COMMON_LIBS)
# zb span-logs: command.txt and env.txt safe for sh, names from dagzd
# kept inside the bundle; the stored environment masked.
BATS_TESTS += t/zb-span-logs-safety.bats
# SIGKILLs at random moments of a job: nothing lost, nothing left behind.
TESTS += t/chaos.bats
EXTRA_DIST += t/chaos.bats
# Bad input: exit 2 and one line, nothing half-done; hostile ids.
BATS_TESTS += t/bad-input.bats
BATS_TESTS += t/nodes.bats
EXTRA_DIST += t/tcp-cut
# HTTPS: dagzd --tls-cert, and the store client's verification of it.
BATS_TESTS += t/dagzd-tls.bats
check_PROGRAMS += t/store-client
t_store_client_SOURCES = t/store-client.c
t_store_client_LDADD = $(COMMON_LIBS)
# The relay's client: the request it writes and the replies it reads.
TESTS += t/unit-relay
check_PROGRAMS += t/unit-relay
t_unit_relay_SOURCES = t/unit-relay.c t/unit.h
t_unit_relay_LDADD = $(COMMON_LIBS)
# dagzd's relay, against a real dagzd: both ends of it in relay-probe.
check_PROGRAMS += t/relay-probe
t_relay_probe_SOURCES = t/relay-probe.c
t_relay_probe_LDADD = $(COMMON_LIBS)
BATS_TESTS += t/dagzd-relay.bats
# The event feed and the bundle of the dashboard.
BATS_TESTS += t/dagzd-feed.bats
# The dashboard in a real headless chromium, one browser for the file;
# screenshots of each check in t/screenshots/ of the build tree.
TESTS += t/dashboard-browser.py
EXTRA_DIST += t/dashboard-browser.py
clean-local: clean-screenshots
clean-screenshots:
	rm -rf t/screenshots
BATS_TESTS += t/worker-env.bats
BATS_TESTS += t/worker-recycle.bats
BATS_TESTS += t/worker-env-pg.bats
BATS_TESTS += t/quarantine.bats
# The Python hook: element fingerprints and the pytest plugin, on the
# bundled project t/suites/pyselect.
BATS_TESTS += t/python-hook.bats
# Selection of cases by code element in dagz run, on t/suites/pyselect.
BATS_TESTS += t/select-cases.bats
# Subsets of a .bats file's cases through bats --filter.
BATS_TESTS += t/select-cases-bats.bats
EXTRA_DIST += \
	t/suites/pyselect/pytest.ini \
	t/suites/pyselect/conftest.py \
	t/suites/pyselect/pyselect/__init__.py \
	t/suites/pyselect/pyselect/arith.py \
	t/suites/pyselect/pyselect/proc.py \
	t/suites/pyselect/pyselect/shapes.py \
	t/suites/pyselect/pyselect/text.py \
	t/suites/pyselect/tests/test_one.py \
	t/suites/pyselect/tests/test_two.py
