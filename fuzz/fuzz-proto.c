/*
 * fuzz-proto.c: one NDJSON line as dagz-sched, dagz-vassal and
 * dagz-worker read it (ndjson.c's parse, then proto.c's decoder for its
 * type): a message that decodes encodes again and decodes the same way;
 * any other is refused with a reason, never a crash.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "proto.h"

/* Decodes msg as its type says; a decoded message is encoded into *again. */
static int
fuzz_decode(json_t *msg, json_t **again, char *err, size_t len)
{
	struct msg_hello hello;
	struct msg_config config;
	struct test_def def;
	struct fixture_def fix;
	struct msg_error error;
	struct msg_run run;
	struct msg_exec exec;
	struct msg_started started;
	struct msg_result result;
	struct msg_worker worker;
	int n, rc = 0;

	*again = NULL;
	switch (proto_type(msg)) {
	case PROTO_HELLO:
		if ((rc = proto_hello_decode(msg, &hello, err, len)) == 0)
			*again = proto_hello_encode(&hello);
		break;
	case PROTO_CONFIG:
		if ((rc = proto_config_decode(msg, &config, err, len)) == 0)
			*again = proto_config_encode(&config);
		proto_config_clear(&config);
		break;
	case PROTO_TEST:
		if ((rc = proto_test_decode(msg, &def, err, len)) == 0)
			*again = proto_test_encode(&def);
		testdef_clear(&def);
		break;
	case PROTO_FIXTURE:
		if ((rc = proto_fixture_decode(msg, &fix, err, len)) == 0)
			*again = proto_fixture_encode(&fix);
		fixturedef_clear(&fix);
		break;
	case PROTO_LOADED:
		if ((rc = proto_loaded_decode(msg, &n, err, len)) == 0)
			*again = proto_loaded_encode(n);
		break;
	case PROTO_ERROR:
		if ((rc = proto_error_decode(msg, &error, err, len)) == 0)
			*again = proto_error_encode(error.kind, error.message);
		proto_error_clear(&error);
		break;
	case PROTO_RUN:
		if ((rc = proto_run_decode(msg, &run, err, len)) == 0)
			*again = proto_run_encode(&run);
		proto_run_clear(&run);
		break;
	case PROTO_EXEC:
		if ((rc = proto_exec_decode(msg, &exec, err, len)) == 0)
			*again = proto_exec_encode(&exec.def, exec.attempt,
			    exec.timeout, exec.phase, exec.cases);
		proto_exec_clear(&exec);
		break;
	case PROTO_STARTED:
		if ((rc = proto_started_decode(msg, &started, err, len)) == 0)
			*again = proto_started_encode(&started);
		proto_started_clear(&started);
		break;
	case PROTO_RESULT:
		if ((rc = proto_result_decode(msg, &result, err, len)) == 0)
			*again = proto_result_encode(&result);
		proto_result_clear(&result);
		break;
	case PROTO_WORKER:
		if ((rc = proto_worker_decode(msg, &worker, err, len)) == 0)
			*again = proto_worker_encode(&worker);
		proto_worker_clear(&worker);
		break;
	case PROTO_SHUTDOWN:
	case PROTO_BYE:
	case PROTO_UNKNOWN:
		break;
	}
	return (rc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *msg, *again, *twice;
	char err[1024];

	msg = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (msg == NULL || !json_is_object(msg) ||
	    !json_is_string(json_object_get(msg, "type"))) {
		json_decref(msg);
		return (0);
	}
	err[0] = '\0';
	if (fuzz_decode(msg, &again, err, sizeof err) == -1)
		fuzz_check_error(err, "");
	else if (again != NULL) {
		/* What was accepted is sent on as encoded: it must decode. */
		if (fuzz_decode(again, &twice, err, sizeof err) == -1) {
			fprintf(stderr, "re-encoded message refused: %s\n",
			    err);
			abort();
		}
		json_decref(twice);
	}
	json_decref(again);
	json_decref(msg);
	return (0);
}
