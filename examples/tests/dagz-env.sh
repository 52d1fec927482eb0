#!/bin/sh
# dagz-env.sh: checks the variables dagz gives every test. Run outside
# dagz, there is nothing to check, so the test skips itself (exit 77).
set -eu

if [ -z "${DAGZ_TEST_ID:-}" ]; then
	echo "not run by dagz: skipped"
	exit 77
fi
for v in DAGZ_JOB_ID DAGZ_TEST_ID DAGZ_WORKER_ID DAGZ_WORKER_SUFFIX \
    DAGZ_ATTEMPT DAGZ_NODE_INDEX; do
	eval "val=\${$v:-}"
	if [ -z "$val" ]; then
		echo "$v is not set" >&2
		exit 1
	fi
	echo "$v=$val"
done
want=$(printf '_jw%02d' "$DAGZ_WORKER_ID")
if [ "$DAGZ_WORKER_SUFFIX" != "$want" ]; then
	echo "DAGZ_WORKER_SUFFIX is '$DAGZ_WORKER_SUFFIX', expected '$want'" >&2
	exit 1
fi
if [ "$DAGZ_TEST_ID" != "dagz-env" ]; then
	echo "DAGZ_TEST_ID is '$DAGZ_TEST_ID', expected 'dagz-env'" >&2
	exit 1
fi
