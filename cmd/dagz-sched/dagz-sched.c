/*
 * dagz-sched: the scheduler of one job; what "dagz run" executes. It
 * reads the options, then sched_run() does the work. See dagz(1) and
 * dagz-sched(1).
 */
#include <err.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "sched.h"
#include "strv.h"
#include "timeutil.h"
#include "workerenv.h"
#include "xmalloc.h"

/* The usage, asked for (stdout, exit 0) or after a mistake (stderr, 2). */
static void __attribute__((noreturn))
usage(int asked)
{
	fprintf(asked ? stdout : stderr,
	    "usage: dagz run [-v] [-j workers] [--all | --observe] [--baseline id]\n"
	    "                [--allow-no-tests] [--color=when] [--events file]\n"
	    "                [--fail-fast | --max-fail n]\n"
	    "                [--global glob] [--grace duration] [--junit file]\n"
	    "                [--leak=kill|fail]\n"
	    "                [--log-dir dir] [--mem-budget size] [--no-store]\n"
	    "                [--plan] [--retries n] [--retry-budget duration]\n"
	    "                [--slow duration] [--status-interval duration]\n"
	    "                [--stuck-after duration] [--timeout duration]\n"
	    "                [--wait-nodes duration] [--reconnect-grace duration]\n"
	    "                [--advertise addr] [--relay] [--baseline-file file]\n"
	    "                [--worker-env name=template] [--worker-init cmd]\n"
	    "                [--worker-cleanup cmd] [--repeat n] [--until-fail]\n"
	    "                [--new-tests-repeat n] [--auto-quarantine n]\n"
	    "                [--worker-mem-budget size] [--coverage python]\n"
	    "                [--filter regex] [--list] [adapter ...] [test-id ...]\n"
	    "       dagz run --bisect-pollution job test [option ...] [adapter ...]\n"
	    "adapters:       --manifest file | --exec glob ... |\n"
	    "                --tap glob ... [--tap-cwd dir] [--tap-exec prog] |\n"
	    "                --bats path ... [--bats-exec prog] | --ctest builddir |\n"
	    "                --automake builddir | --pytest [--python path]\n"
	    "                [-- pytest-args ...]\n"
	    "                (none: those of .dagz/config.yaml)\n");
	exit(asked ? DAGZ_EXIT_OK : DAGZ_EXIT_USAGE);
}

/* Adds a spec for adapter name, given on the command line as --name. */
static struct adapter_spec *
opt_adapter(struct sched *s, const char *name, const char *arg)
{
	struct adapter_spec *a;
	char cwd[PATH_MAX], source[64];

	if (getcwd(cwd, sizeof cwd) == NULL)
		err(DAGZ_EXIT_USAGE, "getcwd");
	snprintf(source, sizeof source, "--%s", name);
	a = adapter_list_add(&s->opt.adapters, name, cwd, source);
	if (arg != NULL)
		a->args = strv_push(a->args, arg);
	return (a);
}

/*
 * Sets a field of every adapter of one kind: a flag's value replaces what
 * the config said (force), a default only fills what is unset.
 */
static void
opt_adapter_set(struct sched *s, const char *name, size_t field,
    const char *value, int force)
{
	struct adapter_spec *a;
	char **p;
	size_t i;

	for (i = 0; i < s->opt.adapters.n; i++) {
		a = &s->opt.adapters.v[i];
		if (strcmp(a->name, name) != 0)
			continue;
		p = (char **)((char *)a + field);
		if (value == NULL || (*p != NULL && !force))
			continue;
		free(*p);
		*p = xstrdup(value);
	}
}

/*
 * With no adapter flags, the adapters of the project's config; its
 * python: for pytest where no --python was given. The name said in the
 * job's first line: a manifest's path, else the adapters' flags.
 */
static void
opt_finish_adapters(struct sched *s, const char *python,
    const char *tap_cwd, const char *tap_exec, const char *bats_exec)
{
	struct adapter_spec *a;
	char cwd[PATH_MAX], cfg[PATH_MAX], errbuf[2048], *name = NULL, *tmp;
	char real[PATH_MAX];
	size_t i;

	if (getcwd(cwd, sizeof cwd) == NULL)
		err(DAGZ_EXIT_USAGE, "getcwd");
	if (projconf_find(cwd, cfg, sizeof cfg) == 1 &&
	    projconf_load(cfg, &s->opt.config, errbuf, sizeof errbuf) == -1)
		errx(DAGZ_EXIT_USAGE, "%s", errbuf);
	if (s->opt.adapters.n == 0) {
		for (i = 0; i < s->opt.config.adapters.n; i++) {
			a = &s->opt.config.adapters.v[i];
			s->opt.adapters.v = xreallocarray(s->opt.adapters.v,
			    s->opt.adapters.n + 1, sizeof *a);
			s->opt.adapters.v[s->opt.adapters.n++] = *a;
		}
		free(s->opt.config.adapters.v);
		adapter_list_init(&s->opt.config.adapters);
	}
	if (s->opt.adapters.n == 0)
		errx(DAGZ_EXIT_USAGE, "no tests: give --manifest FILE, "
		    "--exec GLOB..., --tap GLOB..., --bats PATH..., "
		    "--ctest DIR, --automake DIR or --pytest, or write "
		    ".dagz/config.yaml (zb init)");
	opt_adapter_set(s, "pytest", offsetof(struct adapter_spec, python),
	    python, 1);
	opt_adapter_set(s, "pytest", offsetof(struct adapter_spec, python),
	    s->opt.config.python, 0);
	if (s->opt.coverage == NULL && s->opt.config.coverage != NULL)
		s->opt.coverage = xstrdup(s->opt.config.coverage);
	opt_adapter_set(s, "pytest", offsetof(struct adapter_spec, coverage),
	    s->opt.coverage, 1);
	opt_adapter_set(s, "tap", offsetof(struct adapter_spec, cwd), tap_cwd,
	    1);
	opt_adapter_set(s, "tap", offsetof(struct adapter_spec, exec),
	    tap_exec, 1);
	opt_adapter_set(s, "bats", offsetof(struct adapter_spec, exec),
	    bats_exec, 1);
	for (i = 0; i < s->opt.adapters.n; i++) {
		a = &s->opt.adapters.v[i];
		if (a->args == NULL && strcmp(a->name, "pytest") != 0)
			errx(DAGZ_EXIT_USAGE, "%s: no %s given", a->source,
			    strcmp(a->name, "manifest") == 0 ? "file" :
			    strcmp(a->name, "ctest") == 0 ||
			    strcmp(a->name, "automake") == 0 ? "build directory" :
			    "glob");
		if (strcmp(a->name, "manifest") == 0)
			tmp = xstrdup(a->args[0]);
		else
			xasprintf(&tmp, "%s%s%s", a->source[0] == '-' ?
			    a->source : a->name, a->args != NULL &&
			    (strcmp(a->name, "ctest") == 0 ||
			    strcmp(a->name, "automake") == 0) ? " " : "",
			    a->args != NULL && (strcmp(a->name, "ctest") == 0 ||
			    strcmp(a->name, "automake") == 0) ? a->args[0] : "");
		if (name == NULL)
			name = tmp;
		else {
			char *both;

			xasprintf(&both, "%s + %s", name, tmp);
			free(name);
			free(tmp);
			name = both;
		}
	}
	s->opt.suite_name = name;
	/* Where the suite is: a manifest's directory, else the spec's. */
	a = &s->opt.adapters.v[0];
	if (strcmp(a->name, "manifest") == 0) {
		if (a->args[0][0] == '/')
			tmp = xstrdup(a->args[0]);
		else
			xasprintf(&tmp, "%s/%s", a->dir, a->args[0]);
		if (realpath(tmp, real) != NULL)
			s->opt.suite_dir = xstrdup(dirname(real));
		free(tmp);
	}
	if (s->opt.suite_dir == NULL)
		s->opt.suite_dir = xstrdup(a->dir);
}

/* Getopt values of long options with no letter of their own. */
enum {
	OPT_REPEAT = 1010,
	OPT_UNTIL_FAIL,
	OPT_NEW_TESTS_REPEAT
};

/* Durations: a millisecond to about 31 years, as timers can take them. */
#define OPT_DURATION_MIN	0.001
#define OPT_DURATION_MAX	1e9

static double
opt_duration(const char *name, const char *arg)
{
	double d;

	if (time_parse_duration(arg, &d) == -1)
		errx(DAGZ_EXIT_USAGE, "--%s: invalid duration '%s'", name, arg);
	if (d < OPT_DURATION_MIN || d > OPT_DURATION_MAX)
		errx(DAGZ_EXIT_USAGE, "--%s: duration '%s' is out of range: "
		    "1ms to %.0fs", name, arg, OPT_DURATION_MAX);
	return (d);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "advertise", required_argument, NULL, 'D' },
		{ "all", no_argument, NULL, 'A' },
		{ "allow-no-tests", no_argument, NULL, 'A' + 256 },
		{ "baseline", required_argument, NULL, 'B' },
		{ "baseline-file", required_argument, NULL, 'B' + 256 },
		{ "bisect-pollution", required_argument, NULL, 1020 },
		{ "color", required_argument, NULL, 'C' },
		{ "coverage", required_argument, NULL, 1050 },
		{ "events", required_argument, NULL, 'e' },
		{ "automake", required_argument, NULL, 'a' },
		{ "bats", required_argument, NULL, 'b' },
		{ "bats-exec", required_argument, NULL, 'E' },
		{ "ctest", required_argument, NULL, 'c' },
		{ "exec", required_argument, NULL, 'x' },
		{ "fail-fast", no_argument, NULL, 1040 },
		{ "filter", required_argument, NULL, 'F' },
		{ "list", no_argument, NULL, 'Y' },
		{ "global", required_argument, NULL, 'G' },
		{ "grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'J' },
		{ "leak", required_argument, NULL, 'L' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "max-fail", required_argument, NULL, 1041 },
		{ "mem-budget", required_argument, NULL, 'M' },
		{ "no-store", no_argument, NULL, 'N' },
		{ "observe", no_argument, NULL, 'O' },
		{ "plan", no_argument, NULL, 'P' },
		{ "pytest", no_argument, NULL, 'p' },
		{ "python", required_argument, NULL, 'y' },
		{ "reconnect-grace", required_argument, NULL, 'Q' },
		{ "relay", no_argument, NULL, 'Q' + 256 },
		{ "new-tests-repeat", required_argument, NULL,
		    OPT_NEW_TESTS_REPEAT },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "retries", required_argument, NULL, 'r' },
		{ "run-in-order", required_argument, NULL, 1021 },
		{ "select-only", no_argument, NULL, 'X' },
		{ "retry-budget", required_argument, NULL, 'R' },
		{ "slow", required_argument, NULL, 's' },
		{ "start-store", no_argument, NULL, 's' + 256 },
		{ "status-interval", required_argument, NULL, 'S' },
		{ "stuck-after", required_argument, NULL, 'K' },
		{ "tap", required_argument, NULL, 'a' + 256 },
		{ "tap-cwd", required_argument, NULL, 'c' + 256 },
		{ "tap-exec", required_argument, NULL, 'e' + 256 },
		{ "timeout", required_argument, NULL, 't' },
		{ "trace", no_argument, NULL, 'T' },
		{ "until-fail", no_argument, NULL, OPT_UNTIL_FAIL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "wait-nodes", required_argument, NULL, 'W' },
		{ "worker-env", required_argument, NULL, 'W' + 256 },
		{ "worker-init", required_argument, NULL, 'I' + 256 },
		{ "worker-cleanup", required_argument, NULL, 'U' + 256 },
		{ "auto-quarantine", required_argument, NULL, 1000 },
		{ "worker-mem-budget", required_argument, NULL, 1030 },
		{ NULL, 0, NULL, 0 }
	};
	struct sched s;
	struct adapter_spec *list = NULL, *pytest = NULL;
	const char *errstr, *python = NULL, *tap_cwd = NULL, *tap_exec = NULL;
	const char *bats_exec = NULL, *relay, *why;
	char *drop;
	long n;
	int ch, i, dashdash = -1, rc;

	/* Errors speak as the command the user typed. */
	setprogname("dagz-run");
	memset(&s, 0, sizeof s);
	s.opt.timeout = 600;
	s.opt.grace = 5;
	s.opt.slow = 60;
	s.opt.leak = LEAK_KILL;
	s.opt.color = COLOR_AUTO;
	s.opt.retries = 2;
	s.opt.status_interval = 30;
	s.opt.stuck_after = 300;
	s.opt.wait_nodes = 30;
	s.opt.reconnect_grace = 60;
	s.opt.new_tests_repeat = -1;
	if ((relay = getenv("DAGZ_RELAY")) != NULL && strcmp(relay, "1") == 0)
		s.opt.relay = 1;
	if ((n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	s.opt.workers = n > 1024 ? 1024 : (int)n;
	/* The command line as the user typed it: not what dagz(1) adds. */
	for (i = 0; i < argc; i++)
		if (i != 1 || strcmp(argv[i], "--start-store") != 0)
			s.opt.argv = strv_push(s.opt.argv, argv[i]);
	/* What a bisection's steps leave out of the command line. */
	drop = xcalloc(argc + 1, 1);

	/*
	 * Options in order ("+"): the arguments after --exec, --tap or
	 * --bats up to the next option are more of its globs; any other is
	 * a TEST_ID; after "--", pytest's arguments.
	 */
	opterr = 0;
	for (;;) {
		if ((ch = getopt_long(argc, argv, "+:hj:Vv", longopts,
		    NULL)) == -1) {
			if (optind >= argc)
				break;
			if (strcmp(argv[optind - 1], "--") == 0) {
				dashdash = optind - 1;
				if (pytest == NULL)
					errx(DAGZ_EXIT_USAGE, "arguments after "
					    "'--' are pytest's: give --pytest");
				for (; optind < argc; optind++)
					pytest->args = strv_push(pytest->args,
					    argv[optind]);
				break;
			}
			if (list != NULL)
				list->args = strv_push(list->args,
				    argv[optind]);
			else {
				s.opt.test_ids = strv_push(s.opt.test_ids,
				    argv[optind]);
				drop[optind] = 1;
			}
			optind++;
			continue;
		}
		if (ch != 'x' && ch != 'b' && ch != 'a' + 256)
			list = NULL;
		switch (ch) {
		case ':':
			errx(DAGZ_EXIT_USAGE, "option '%s' needs an argument; "
			    "see dagz(1)", argv[optind - 1]);
		case '?':
			if (optopt != 0)
				errx(DAGZ_EXIT_USAGE, "unknown option '-%c'; "
				    "see dagz(1)", optopt);
			errx(DAGZ_EXIT_USAGE, "unknown option '%s'; see dagz(1)",
			    argv[optind - 1]);
		case 'A':
			s.opt.select_all = 1;
			break;
		case 'A' + 256:
			s.opt.allow_no_tests = 1;
			break;
		case 1000:
			s.opt.auto_quarantine = strtonum(optarg,
			    PROJCONF_AUTO_QUARANTINE_MIN,
			    PROJCONF_AUTO_QUARANTINE_MAX, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "--auto-quarantine: %s is "
				    "%s: a number of jobs from %d to %d", optarg,
				    errstr, PROJCONF_AUTO_QUARANTINE_MIN,
				    PROJCONF_AUTO_QUARANTINE_MAX);
			break;
		case 'a':
			opt_adapter(&s, "automake", optarg);
			break;
		case 'a' + 256:
			list = opt_adapter(&s, "tap", optarg);
			break;
		case 'b':
			list = opt_adapter(&s, "bats", optarg);
			break;
		case 'c':
			opt_adapter(&s, "ctest", optarg);
			break;
		case 'c' + 256:
			tap_cwd = optarg;
			break;
		case 'E':
			bats_exec = optarg;
			break;
		case 'e' + 256:
			tap_exec = optarg;
			break;
		case 1050:
			if (strcmp(optarg, "python") == 0)
				;
			else if (strcmp(optarg, "gcov") == 0)
				errx(DAGZ_EXIT_USAGE, "--coverage: gcov is not "
				    "in this release (known: python)");
			else
				errx(DAGZ_EXIT_USAGE, "--coverage: unknown hook "
				    "'%s' (known: python)", optarg);
			free(s.opt.coverage);
			s.opt.coverage = xstrdup(optarg);
			break;
		case 1040:
			s.opt.max_fail = 1;
			s.opt.fail_fast = 1;
			break;
		case 1041:
			s.opt.max_fail = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "--max-fail: %s is %s",
				    optarg, errstr);
			s.opt.fail_fast = 0;
			break;
		case 'F':
			if (s.opt.filter != NULL)
				errx(DAGZ_EXIT_USAGE, "--filter given twice");
			s.opt.filter = xstrdup(optarg);
			break;
		case 'p':
			if (pytest != NULL)
				errx(DAGZ_EXIT_USAGE, "--pytest given twice");
			pytest = opt_adapter(&s, "pytest", NULL);
			break;
		case 'Y':
			s.opt.list_only = 1;
			break;
		case 'y':
			python = optarg;
			break;
		case 'D':
			s.opt.advertise = strv_push(s.opt.advertise, optarg);
			break;
		case 'Q' + 256:
			s.opt.relay = 1;
			break;
		case 'Q':
			s.opt.reconnect_grace = opt_duration("reconnect-grace",
			    optarg);
			break;
		case 'I' + 256:
		case 'U' + 256:
			if (*optarg == '\0')
				errx(DAGZ_EXIT_USAGE, "--worker-%s: an empty "
				    "command", ch == 'I' + 256 ? "init" :
				    "cleanup");
			if (ch == 'I' + 256) {
				free(s.opt.worker_init);
				s.opt.worker_init = xstrdup(optarg);
			} else {
				free(s.opt.worker_cleanup);
				s.opt.worker_cleanup = xstrdup(optarg);
			}
			break;
		case 'W' + 256:
			if ((why = workerenv_bad(optarg)) != NULL)
				errx(DAGZ_EXIT_USAGE, "--worker-env '%s': %s",
				    optarg, why);
			s.opt.worker_env = strv_push(s.opt.worker_env, optarg);
			break;
		case 'W':
			s.opt.wait_nodes = opt_duration("wait-nodes", optarg);
			break;
		case 'B' + 256:
			if (access(optarg, R_OK) == -1)
				err(DAGZ_EXIT_USAGE, "--baseline-file '%s'",
				    optarg);
			free(s.opt.baseline_file);
			s.opt.baseline_file = xstrdup(optarg);
			break;
		case 1020:
			free(s.opt.bisect_job);
			s.opt.bisect_job = xstrdup(optarg);
			drop[optind - 1] = 1;
			if (optarg == argv[optind - 1])
				drop[optind - 2] = 1;
			break;
		case 1021:
			s.opt.in_order = 1;
			s.opt.test_ids = strv_push(s.opt.test_ids, optarg);
			break;
		case 'B':
			free(s.opt.baseline);
			s.opt.baseline = xstrdup(optarg);
			break;
		case 'G':
			s.opt.globals = strv_push(s.opt.globals, optarg);
			break;
		case 'O':
			s.opt.select_observe = 1;
			break;
		case 'T':
			s.opt.select_trace = 1;
			break;
		case 'X':
			s.opt.select_only = 1;
			break;
		case 'C':
			if (strcmp(optarg, "auto") == 0)
				s.opt.color = COLOR_AUTO;
			else if (strcmp(optarg, "always") == 0)
				s.opt.color = COLOR_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				s.opt.color = COLOR_NEVER;
			else
				errx(DAGZ_EXIT_USAGE, "--color: expected auto, "
				    "always or never, not '%s'", optarg);
			break;
		case 'e':
			s.opt.events = xstrdup(optarg);
			break;
		case 'g':
			s.opt.grace = opt_duration("grace", optarg);
			break;
		case 'J':
			s.opt.junit = xstrdup(optarg);
			break;
		case 'j':
			s.opt.workers = strtonum(optarg, 1, 1024, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "-j: workers is %s: %s",
				    errstr, optarg);
			break;
		case 'L':
			if (strcmp(optarg, "kill") == 0)
				s.opt.leak = LEAK_KILL;
			else if (strcmp(optarg, "fail") == 0)
				s.opt.leak = LEAK_FAIL;
			else
				errx(DAGZ_EXIT_USAGE, "--leak: expected kill or "
				    "fail, not '%s'", optarg);
			break;
		case 'l':
			s.opt.log_dir = xstrdup(optarg);
			break;
		case 'M':
			if (time_parse_size(optarg, &s.opt.mem_budget) == -1)
				errx(DAGZ_EXIT_USAGE, "--mem-budget: invalid "
				    "size '%s'", optarg);
			break;
		case 1030:
			if (time_parse_size(optarg,
			    &s.opt.worker_mem_budget) == -1)
				errx(DAGZ_EXIT_USAGE, "--worker-mem-budget: "
				    "invalid size '%s'", optarg);
			break;
		case 'K':
			s.opt.stuck_after = opt_duration("stuck-after", optarg);
			break;
		case 'N':
			s.opt.no_store = 1;
			break;
		case 'P':
			s.opt.plan_only = 1;
			break;
		case 'R':
			s.opt.retry_budget = opt_duration("retry-budget",
			    optarg);
			break;
		case 'r':
			s.opt.retries = strtonum(optarg, 0, 100, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "--retries: %s is %s",
				    optarg, errstr);
			break;
		case OPT_REPEAT:
			s.opt.repeat = strtonum(optarg, 2, 100000, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "--repeat: %s is %s: 2 to "
				    "100000", optarg, errstr);
			break;
		case OPT_UNTIL_FAIL:
			s.opt.until_fail = 1;
			break;
		case OPT_NEW_TESTS_REPEAT:
			s.opt.new_tests_repeat = strtonum(optarg, 1, 100,
			    &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "--new-tests-repeat: %s is "
				    "%s: 1 to 100", optarg, errstr);
			break;
		case 'S':
			s.opt.status_interval = opt_duration("status-interval",
			    optarg);
			break;
		case 'm':
			opt_adapter(&s, "manifest", optarg);
			break;
		case 's':
			s.opt.slow = opt_duration("slow", optarg);
			break;
		case 's' + 256:
			s.opt.start_store = 1;
			break;
		case 't':
			s.opt.timeout = opt_duration("timeout", optarg);
			break;
		case 'V':
			printf("dagz %s\n", PACKAGE_VERSION);
			exit(DAGZ_EXIT_OK);
		case 'v':
			s.opt.verbose++;
			break;
		case 'x':
			list = opt_adapter(&s, "exec", optarg);
			break;
		case 'h':
			usage(1);
		default:
			usage(0);
		}
	}
	if (s.opt.worker_cleanup != NULL && s.opt.worker_init == NULL)
		errx(DAGZ_EXIT_USAGE, "--worker-cleanup needs --worker-init");
	opt_finish_adapters(&s, python, tap_cwd, tap_exec, bats_exec);
	if (s.opt.new_tests_repeat == -1)
		s.opt.new_tests_repeat = s.opt.config.new_tests_repeat;
	if (s.opt.bisect_job != NULL) {
		if (strv_len(s.opt.test_ids) != 1 || s.opt.in_order)
			errx(DAGZ_EXIT_USAGE, "--bisect-pollution: give one "
			    "test: --bisect-pollution JOB TEST");
		rc = bisect_run(&s, argc, argv, drop, dashdash);
		sched_options_clear(&s.opt);
		return (rc);
	}
	free(drop);
	/* A bisection's step: these tests, so, and nothing else. */
	if (s.opt.in_order) {
		s.opt.workers = 1;
		s.opt.retries = 0;
		s.opt.select_all = 1;
		s.opt.no_store = 1;
		s.opt.new_tests_repeat = 0;
		s.opt.repeat = s.opt.until_fail = s.opt.max_fail = 0;
	}
	/*
	 * A stress job runs what it was given, each test its number of
	 * times: no selection (test ids and --filter still narrow it), no
	 * retries, and no new tests apart.
	 */
	if (s.opt.repeat > 0 || s.opt.until_fail) {
		s.opt.select_all = 1;
		s.opt.retries = 0;
		s.opt.new_tests_repeat = 0;
	}
	if (s.opt.worker_mem_budget == 0)
		s.opt.worker_mem_budget = s.opt.config.worker_mem_budget;
	if (s.opt.list_only)
		s.opt.no_store = 1;
	return (sched_run(&s));
}
