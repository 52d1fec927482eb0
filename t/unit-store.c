/*
 * unit-store.c: unit tests of the libcommon modules of the store: short
 * job IDs, span ids, zlib and base64, the capped read of a log, and the
 * names of secret variables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cienv.h"
#include "envmask.h"
#include "jobid.h"
#include "unit.h"
#include "zbuf.h"

static void
test_jobid(void)
{
	char buf[JOBID_SHORT_LEN], uuid[JOBID_UUID_LEN], span[JOBID_SPAN_LEN];
	int mmdd, seq;

	jobid_short(20251122, 10, 20251122, buf, sizeof buf);
	ok(strcmp(buf, "j10") == 0, "today's 10th job is j10 (%s)", buf);
	jobid_short(20251201, 1, 20251202, buf, sizeof buf);
	ok(strcmp(buf, "j1201.1") == 0, "1 December's first is j1201.1");
	jobid_short(20250517, 50, 20251202, buf, sizeof buf);
	ok(strcmp(buf, "j0517.50") == 0, "17 May's 50th is j0517.50");
	ok(jobid_parse_short("j10", &mmdd, &seq) == 0 && mmdd == 0 &&
	    seq == 10, "j10 parses as today's 10th");
	ok(jobid_parse_short("j1201.1", &mmdd, &seq) == 0 && mmdd == 1201 &&
	    seq == 1, "j1201.1 parses");
	ok(jobid_parse_short("j0517.50", &mmdd, &seq) == 0 && mmdd == 517 &&
	    seq == 50, "j0517.50 parses");
	ok(jobid_parse_short("j0", &mmdd, &seq) == -1, "j0 is no job");
	ok(jobid_parse_short("j1301.1", &mmdd, &seq) == -1, "no 13th month");
	ok(jobid_parse_short("j1201.", &mmdd, &seq) == -1, "j1201. is bad");
	ok(jobid_parse_short("k3", &mmdd, &seq) == -1, "k3 is bad");
	ok(jobid_parse_short("j3x", &mmdd, &seq) == -1, "j3x is bad");
	jobid_uuid(uuid);
	ok(jobid_is_uuid(uuid) && uuid[14] == '4', "a v4 UUID: %s", uuid);
	ok(!jobid_is_uuid("j3"), "j3 is not a UUID");
	jobid_span(span);
	ok(jobid_is_span(span) && strlen(span) == 16, "a span id: %s", span);
	ok(!jobid_is_span("0123456789abcdeg"), "g is not hex");
}

static void
test_zbuf(void)
{
	static const char text[] = "hello, log\nline two\n";
	unsigned char *z, *back;
	char *b64, *log, path[] = "/tmp/unit-store-XXXXXX";
	size_t zlen, blen, len, i;
	long long size, cut;
	FILE *f;
	int fd;

	z = zbuf_deflate(text, sizeof text - 1, &zlen);
	ok(z != NULL, "deflate");
	back = zbuf_inflate(z, zlen, 1024, &blen);
	ok(back != NULL && blen == sizeof text - 1 &&
	    memcmp(back, text, blen) == 0, "inflate gives it back");
	free(back);
	ok(zbuf_inflate(z, zlen, 5, &blen) == NULL, "inflate honours max");
	ok(zbuf_inflate("garbage", 7, 1024, &blen) == NULL, "corrupt: NULL");
	b64 = zbuf_b64_encode(z, zlen);
	back = zbuf_b64_decode(b64, &blen);
	ok(back != NULL && blen == zlen && memcmp(back, z, zlen) == 0,
	    "base64 round trip");
	free(back);
	free(b64);
	free(z);
	b64 = zbuf_b64_encode("ab", 2);
	ok(strcmp(b64, "YWI=") == 0, "base64 of ab is YWI= (%s)", b64);
	free(b64);
	ok(zbuf_b64_decode("YW=I", &blen) == NULL, "padding in the middle");
	ok(zbuf_b64_decode("YW*=", &blen) == NULL, "not base64");

	fd = mkstemp(path);
	f = fdopen(fd, "w");
	for (i = 0; i < 1000; i++)
		fprintf(f, "line %04zu\n", i);
	fclose(f);
	log = zbuf_read_log(path, 20000, &len, &size, &cut);
	ok(log != NULL && size == 10000 && cut == 0 && len == 10000,
	    "a small log is kept whole");
	free(log);
	log = zbuf_read_log(path, 2000, &len, &size, &cut);
	ok(log != NULL && cut == 8000 && strncmp(log, "line 0000\n", 10) == 0 &&
	    strcmp(log + len - 10, "line 0999\n") == 0 &&
	    strstr(log, "[dagz: 8000 bytes cut from the middle of this log of "
	    "10000 bytes]") != NULL, "a long log keeps head and tail");
	free(log);
	unlink(path);
	ok(zbuf_read_log(path, 100, &len, &size, &cut) == NULL,
	    "a missing log is NULL");
}

static void
test_cienv(void)
{
	char *env[] = { "API_TOKEN=x", "db_password=y", "SSH_KEY=z",
	    "AWS_SECRET_ACCESS_KEY=w", "HOME=/root", NULL };
	json_t *o;

	ok(envmask_name("GITLAB_TOKEN"), "GITLAB_TOKEN is secret");
	ok(envmask_name("my_secret"), "my_secret is secret");
	ok(envmask_name("Password"), "Password is secret");
	ok(envmask_name("KEYRING=x"), "KEYRING is secret");
	ok(!envmask_name("PATH"), "PATH is not");
	o = envmask_environ(env);
	ok(strcmp(json_string_value(json_object_get(o, "API_TOKEN")),
	    "***") == 0 && strcmp(json_string_value(json_object_get(o,
	    "db_password")), "***") == 0 && strcmp(json_string_value(
	    json_object_get(o, "HOME")), "/root") == 0, "values masked");
	json_decref(o);
	setenv("GITLAB_CI", "true", 1);
	setenv("CI_PIPELINE_ID", "77", 1);
	setenv("CI_JOB_NAME", "unit", 1);
	setenv("CI_JOB_ID", "1002", 1);
	setenv("CI_NODE_INDEX", "2", 1);
	setenv("CI_NODE_TOTAL", "3", 1);
	o = cienv_detect();
	ok(o != NULL && strcmp(json_string_value(json_object_get(o, "key")),
	    "gitlab//77/unit/1") == 0 && json_integer_value(json_object_get(o,
	    "shard_index")) == 1 && json_integer_value(json_object_get(o,
	    "shard_total")) == 3, "GitLab: key and shard from the environment");
	json_decref(o);
}

int
main(void)
{
	test_jobid();
	test_zbuf();
	test_cienv();
	return (tap_done());
}
