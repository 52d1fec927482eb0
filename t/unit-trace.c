/*
 * unit-trace.c: tests of libcommon/trace.c in TAP: records parsed one
 * by one, files as libdagzprobe.so leaves them (grown with zeroes, cut
 * by a kill), directories of them, app spans pieced together from the
 * records of several processes, and merging.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "trace.h"
#include "xmalloc.h"

#include "unit.h"

static char tmpdir[PATH_MAX / 2];

/* Adds each line of text as a record of file "f". */
static void
add_text(struct trace *t, const char *text)
{
	const char *p, *e;
	size_t n = 1;

	for (p = text; *p != '\0'; p = e + 1, n++) {
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		trace_add_line(t, p, e - p, "f", n);
		if (*e == '\0')
			break;
	}
}

/* The lists as one string, "a b c", to compare in one go. */
static char *
joined(char *const *v, size_t n)
{
	static char buf[4096];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(buf, " ", sizeof buf);
		strlcat(buf, v[i], sizeof buf);
	}
	return (buf);
}

static void
write_file(const char *name, const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    write(fd, data, len) != (ssize_t)len || close(fd) == -1) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static void
test_records(void)
{
	struct trace t;

	trace_init(&t);
	add_text(&t,
	    "{\"type\":\"read\",\"path\":\"src/b.c\"}\n"
	    "{\"type\":\"read\",\"path\":\"src/a.c\"}\n"
	    "{\"type\":\"missing\",\"path\":\"conf/local.yaml\"}\n"
	    "{\"type\":\"list\",\"path\":\"src\"}\n"
	    "{\"type\":\"write\",\"path\":\"out/result.txt\"}\n"
	    "{\"type\":\"read\",\"path\":\"src/a.c\"}\n"
	    "{\"path\":\"src\\/a.c\",\"type\":\"read\"}\n"
	    "{\"type\":\"read\",\"path_hex\":\"6c6174696eff\"}\n"
	    "{\"type\":\"read\",\"path\":\"caf\\u00e9 \\\"q\\\"\"}\n"
	    "{\"type\":\"span\",\"what\":\"a record of a later probe\"}");
	trace_finish(&t);
	ok(t.nreads == 4, "duplicate reads are merged, escaped or not: %zu",
	    t.nreads);
	is_str(joined(t.reads, t.nreads),
	    "caf\xc3\xa9 \"q\" latin\xff src/a.c src/b.c",
	    "reads are sorted; escapes and hex paths decoded");
	is_str(joined(t.missing, t.nmissing), "conf/local.yaml",
	    "missing path");
	is_str(joined(t.lists, t.nlists), "src", "listed directory");
	is_str(joined(t.writes, t.nwrites), "out/result.txt", "written path");
	ok(!t.incomplete && t.nreasons == 0,
	    "a record of an unknown type is skipped, not held against it");
	ok(trace_has(t.reads, t.nreads, "src/b.c") &&
	    !trace_has(t.reads, t.nreads, "src/c.c"), "trace_has");
	trace_clear(&t);
}

static void
test_incomplete(void)
{
	struct trace t;

	trace_init(&t);
	add_text(&t,
	    "{\"type\":\"read\",\"path\":\"a\"}\n"
	    "{\"type\":\"read\",\"path\":\n"
	    "[1,2]\n"
	    "{\"type\":\"read\"}\n"
	    "{\"type\":\"read\",\"path_hex\":\"6\"}\n"
	    "{\"type\":\"read\",\"path\":\"a\\u0000b\"}\n"
	    "{\"type\":\"read\",\"path\":\"\"}\n"
	    "{\"type\":\"missing\",\"path\":7}\n"
	    "{\"type\":\"app\",\"pid\":\"1\",\"ppid\":0,\"start\":1,"
	    "\"argv\":[]}\n"
	    "{\"type\":\"incomplete\",\"reason\":\"statically linked program"
	    " '/x/static'\"}\n"
	    "{\"type\":\"incomplete\",\"reason\":\"statically linked program"
	    " '/x/static'\"}");
	trace_finish(&t);
	ok(t.incomplete, "malformed records make the trace incomplete");
	is_str(joined(t.reasons, t.nreasons),
	    "f:2: malformed record f:3: malformed record "
	    "f:4: malformed record f:5: malformed record "
	    "f:6: malformed record f:7: malformed record "
	    "f:8: malformed record f:9: malformed record "
	    "statically linked program '/x/static'",
	    "each reason once, sorted, malformed ones with file and line");
	is_str(joined(t.reads, t.nreads), "a", "good records still count");
	trace_clear(&t);
}

static void
test_apps(void)
{
	struct trace t;
	const struct trace_app *a;

	/*
	 * sh (100) runs cat (101) and forks a subshell (102) that runs
	 * grep (103); 102 then execs wc; 104 is a static program that
	 * sh's reap says was killed; 105's parent is not traced.
	 */
	trace_init(&t);
	add_text(&t,
	    "{\"type\":\"app\",\"pid\":100,\"ppid\":1,\"start\":10.0,"
	    "\"argv\":[\"sh\",\"t.sh\"]}\n"
	    "{\"type\":\"app\",\"pid\":101,\"ppid\":100,\"start\":10.5,"
	    "\"argv\":[\"cat\",\"data\"]}\n"
	    "{\"type\":\"exit\",\"pid\":101,\"end\":10.75,\"exit\":0}\n"
	    "{\"type\":\"fork\",\"pid\":102,\"ppid\":100,\"start\":11.0}\n"
	    "{\"type\":\"app\",\"pid\":103,\"ppid\":102,\"start\":11.5,"
	    "\"argv\":[\"grep\",\"x\"]}\n"
	    "{\"type\":\"exit\",\"pid\":103,\"end\":11.75,\"exit\":1}\n"
	    "{\"type\":\"app\",\"pid\":102,\"ppid\":100,\"start\":12.0,"
	    "\"argv\":[\"wc\"]}\n"
	    "{\"type\":\"reap\",\"pid\":102,\"end\":12.5,\"exit\":0}\n"
	    "{\"type\":\"app\",\"pid\":104,\"ppid\":100,\"start\":13.0,"
	    "\"argv\":[\"./static\"],\"traced\":false}\n"
	    "{\"type\":\"reap\",\"pid\":104,\"end\":14.0,\"signal\":9}\n"
	    "{\"type\":\"exit\",\"pid\":100,\"end\":15.0,\"exit\":3}\n"
	    "{\"type\":\"reap\",\"pid\":100,\"end\":15.5,\"exit\":3}\n"
	    "{\"type\":\"app\",\"pid\":105,\"ppid\":99,\"start\":16.0,"
	    "\"argv\":[\"orphan\"]}\n");
	trace_finish(&t);
	ok(t.napps == 6, "six apps: %zu", t.napps);
	if (t.napps != 6)
		goto out;
	a = &t.apps[0];
	ok(a->pid == 100 && a->parent == -1 && a->end == 15.0 &&
	    a->exit_code == 3 && a->signal == 0 && !a->exec && a->traced,
	    "sh: its own exit record ends it, no parent");
	is_str(a->argv[1], "t.sh", "sh's argv");
	a = &t.apps[1];
	ok(a->pid == 101 && a->parent == 0 && a->end == 10.75 &&
	    a->exit_code == 0, "cat: child of sh, exit 0");
	a = &t.apps[2];
	ok(a->pid == 103 && a->parent == 0 && a->exit_code == 1,
	    "grep: its parent forked from sh and ran nothing, so sh");
	a = &t.apps[3];
	ok(a->pid == 102 && a->parent == 0 && a->end == 12.5 &&
	    a->exit_code == 0, "wc: the subshell's exec, ended by sh's reap");
	a = &t.apps[4];
	ok(a->pid == 104 && !a->traced && a->end == 14.0 &&
	    a->exit_code == -1 && a->signal == 9,
	    "an untraced program killed: the parent's reap says how");
	a = &t.apps[5];
	ok(a->pid == 105 && a->parent == -1 && a->end == -1 &&
	    a->exit_code == -1, "no parent and no end known");
	trace_check_leader(&t, 100);
	ok(!t.incomplete, "the leader was traced");
	trace_check_leader(&t, 104);
	ok(t.incomplete && streq(t.reasons[0],
	    "the test's command was not traced"), "an untraced leader");
out:
	trace_clear(&t);
}

static void
test_exec_chain(void)
{
	struct trace t;

	/* sh -c 'exec cat x' killed by SIGTERM: one pid, two images. */
	trace_init(&t);
	add_text(&t,
	    "{\"type\":\"app\",\"pid\":7,\"ppid\":2,\"start\":1.0,"
	    "\"argv\":[\"sh\"]}\n"
	    "{\"type\":\"app\",\"pid\":7,\"ppid\":2,\"start\":2.0,"
	    "\"argv\":[\"cat\",\"x\"]}\n"
	    "{\"type\":\"reap\",\"pid\":7,\"end\":3.0,\"signal\":15}\n");
	trace_finish(&t);
	ok(t.napps == 2 && t.apps[0].exec && t.apps[0].end == 2.0 &&
	    t.apps[0].exit_code == -1 && t.apps[0].signal == 0,
	    "the first image ends where the exec'd one starts");
	ok(t.napps == 2 && !t.apps[1].exec && t.apps[1].end == 3.0 &&
	    t.apps[1].signal == 15, "the last image gets the reap");
	trace_clear(&t);
}

static void
test_files(void)
{
	struct trace t;
	char dir[PATH_MAX], err[PATH_MAX + 128], want[PATH_MAX + 128];
	int rc;
	static const char padded[] =
	    "{\"type\":\"app\",\"pid\":5,\"ppid\":1,\"start\":1.5,"
	    "\"argv\":[\"cat\"]}\n"
	    "{\"type\":\"read\",\"path\":\"one\"}\n"
	    "\0\0\0\0\0\0\0\0";
	static const char cut[] =
	    "{\"type\":\"read\",\"path\":\"two\"}\n"
	    "{\"type\":\"read\",\"pa";

	snprintf(dir, sizeof dir, "%s/out", tmpdir);
	mkdir(dir, 0755);
	write_file("out/5.aaaa.trace", padded, sizeof padded - 1);
	write_file("out/6.bbbb.trace", cut, sizeof cut - 1);
	write_file("out/notes.txt", "not a trace\n", 12);
	trace_init(&t);
	rc = trace_read_dir(&t, dir, err, sizeof err);
	ok(rc == 0, "read a directory");
	ok(t.nfiles == 2, "only *.trace files: %zu", t.nfiles);
	is_str(joined(t.reads, t.nreads), "one two",
	    "zero padding ends a file; records before a cut one count");
	is_str(joined(t.reasons, t.nreasons),
	    "6.bbbb.trace:2: record cut short", "a cut record is a reason");
	ok(t.napps == 1 && t.apps[0].end == -1,
	    "an app without an end (killed, unseen)");
	trace_clear(&t);

	snprintf(dir, sizeof dir, "%s/empty", tmpdir);
	mkdir(dir, 0755);
	trace_init(&t);
	rc = trace_read_dir(&t, dir, err, sizeof err);
	ok(rc == 0 && t.incomplete &&
	    streq(t.reasons[0], "nothing was recorded"),
	    "a directory without traces is incomplete");
	trace_clear(&t);

	snprintf(dir, sizeof dir, "%s/nodir", tmpdir);
	snprintf(want, sizeof want, "cannot read trace directory '%s': "
	    "No such file or directory", dir);
	trace_init(&t);
	rc = trace_read_dir(&t, dir, err, sizeof err);
	ok(rc == -1, "no directory");
	is_str(err, want, "the error names the directory");
	trace_clear(&t);
}

static void
test_merge(void)
{
	struct trace a, b;
	json_t *j;
	char *s;

	trace_init(&a);
	trace_init(&b);
	add_text(&a,
	    "{\"type\":\"app\",\"pid\":10,\"ppid\":1,\"start\":1.0,"
	    "\"argv\":[\"sh\"]}\n"
	    "{\"type\":\"read\",\"path\":\"x\"}\n"
	    "{\"type\":\"missing\",\"path\":\"m\"}\n");
	add_text(&b,
	    "{\"type\":\"app\",\"pid\":11,\"ppid\":10,\"start\":2.0,"
	    "\"argv\":[\"cat\"]}\n"
	    "{\"type\":\"exit\",\"pid\":11,\"end\":2.5,\"exit\":0}\n"
	    "{\"type\":\"read\",\"path\":\"x\"}\n"
	    "{\"type\":\"read\",\"path\":\"y\"}\n"
	    "{\"type\":\"incomplete\",\"reason\":\"r\"}\n");
	trace_finish(&a);
	trace_finish(&b);
	trace_merge(&a, &b);
	is_str(joined(a.reads, a.nreads), "x y", "reads are merged");
	is_str(joined(a.missing, a.nmissing), "m", "missing paths kept");
	ok(a.incomplete && a.nreasons == 1, "incomplete is merged");
	ok(a.napps == 2 && a.apps[1].parent == 0 && a.apps[1].end == 2.5,
	    "apps of both are linked again");
	trace_clear(&b);

	j = trace_to_json(&a);
	json_object_del(j, "apps");
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"incomplete\":true,\"lists\":[],\"missing\":[\"m\"],"
	    "\"reads\":[\"x\",\"y\"],\"reasons\":[\"r\"],\"rewrites\":[],"
	    "\"writes\":[]}",
	    "trace_to_json");
	free(s);
	json_decref(j);
	j = trace_to_json(&a);
	s = json_dumps(json_array_get(json_object_get(j, "apps"), 1),
	    JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"argv\":[\"cat\"],\"end\":2.5,\"exec\":false,"
	    "\"exit\":0,\"parent\":0,\"pid\":11,\"ppid\":10,\"signal\":null,"
	    "\"start\":2.0,\"traced\":true}", "an app in JSON");
	free(s);
	json_decref(j);
	trace_clear(&a);
}

static void
cleanup(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", tmpdir);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(tmpdir, sizeof tmpdir, "%s/unit-trace.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		return (1);
	}
	test_records();
	test_incomplete();
	test_apps();
	test_exec_chain();
	test_files();
	test_merge();
	cleanup();
	return (tap_done());
}
