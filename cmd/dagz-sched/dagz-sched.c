/*
 * dagz-sched: the scheduler of one job; what "dagz run" executes. It
 * reads the options, then sched_run() does the work. See dagz(1) and
 * dagz-sched(1).
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "sched.h"
#include "strv.h"
#include "timeutil.h"
#include "xmalloc.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: dagz run [-v] [-j workers] [--all | --observe] [--baseline id]\n"
	    "                [--color=when] [--events file] [--global glob]\n"
	    "                [--grace duration] [--junit file] [--leak=kill|fail]\n"
	    "                [--log-dir dir] [--mem-budget size] [--no-store]\n"
	    "                [--plan] [--retries n] [--retry-budget duration]\n"
	    "                [--slow duration] [--status-interval duration]\n"
	    "                [--stuck-after duration] [--timeout duration]\n"
	    "                --manifest file | --exec glob ...\n");
	exit(DAGZ_EXIT_USAGE);
}

static double
opt_duration(const char *name, const char *arg)
{
	double d;

	if (time_parse_duration(arg, &d) == -1)
		errx(DAGZ_EXIT_USAGE, "--%s: invalid duration '%s'", name, arg);
	return (d);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'A' },
		{ "baseline", required_argument, NULL, 'B' },
		{ "color", required_argument, NULL, 'C' },
		{ "events", required_argument, NULL, 'e' },
		{ "exec", no_argument, NULL, 'x' },
		{ "global", required_argument, NULL, 'G' },
		{ "grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'J' },
		{ "leak", required_argument, NULL, 'L' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "mem-budget", required_argument, NULL, 'M' },
		{ "no-store", no_argument, NULL, 'N' },
		{ "observe", no_argument, NULL, 'O' },
		{ "plan", no_argument, NULL, 'P' },
		{ "retries", required_argument, NULL, 'r' },
		{ "select-only", no_argument, NULL, 'X' },
		{ "retry-budget", required_argument, NULL, 'R' },
		{ "slow", required_argument, NULL, 's' },
		{ "status-interval", required_argument, NULL, 'S' },
		{ "stuck-after", required_argument, NULL, 'K' },
		{ "timeout", required_argument, NULL, 't' },
		{ "trace", no_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sched s;
	const char *errstr;
	long n;
	int ch, exec = 0, i;

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
	if ((n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	s.opt.workers = n > 1024 ? 1024 : (int)n;
	for (i = 0; i < argc; i++)
		s.opt.argv = strv_push(s.opt.argv, argv[i]);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hj:Vv", longopts, NULL)) != -1) {
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
		case 'S':
			s.opt.status_interval = opt_duration("status-interval",
			    optarg);
			break;
		case 'm':
			if (s.opt.manifest != NULL)
				errx(DAGZ_EXIT_USAGE, "--manifest given twice");
			s.opt.manifest = xstrdup(optarg);
			break;
		case 's':
			s.opt.slow = opt_duration("slow", optarg);
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
			exec = 1;
			break;
		case 'h':
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (s.opt.manifest != NULL && exec)
		errx(DAGZ_EXIT_USAGE, "--manifest and --exec are exclusive");
	if (s.opt.manifest == NULL && !exec)
		errx(DAGZ_EXIT_USAGE, "no tests: give --manifest FILE or "
		    "--exec GLOB...");
	if (exec && argc == 0)
		errx(DAGZ_EXIT_USAGE, "--exec needs at least one glob");
	if (!exec && argc > 0)
		errx(DAGZ_EXIT_USAGE, "unexpected argument '%s'", argv[0]);
	for (i = 0; exec && i < argc; i++)
		s.opt.globs = strv_push(s.opt.globs, argv[i]);
	return (sched_run(&s));
}
