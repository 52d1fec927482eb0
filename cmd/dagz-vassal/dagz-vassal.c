/*
 * dagz-vassal: the node's coordinator. It is started by dagz-sched, loads
 * the suite (the manifest or --exec globs), starts the node's workers and
 * relays between them and the scheduler. See dagz-vassal(1).
 */
#include <err.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "paths.h"
#include "proto.h"
#include "strv.h"
#include "timeutil.h"
#include "vassal.h"
#include "xmalloc.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: dagz-vassal [-dVv] -f fd -j workers "
	    "--adapters json\n"
	    "       dagz-vassal [-dVv] --connect addr ... --token-fd fd "
	    "--node n\n"
	    "                   [--job uuid] [--relay]\n"
	    "                   [--worker-init cmd [--worker-cleanup cmd]]\n"
	    "                   [--reconnect-grace duration] [--root dir]\n"
	    "                   -j workers --adapters json\n");
	exit(DAGZ_EXIT_USAGE);
}

/* The job's token, one line read from fd, which is then closed. */
static char *
vassal_read_token(int fd)
{
	char buf[PROTO_TOKEN_MAX + 2];
	ssize_t n;
	size_t len = 0;

	while (len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (buf[0] == '\0' || strlen(buf) > PROTO_TOKEN_MAX)
		return (NULL);
	return (xstrdup(buf));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "adapters", required_argument, NULL, 'a' },
		{ "connect", required_argument, NULL, 'c' },
		{ "job", required_argument, NULL, 'J' },
		{ "node", required_argument, NULL, 'n' },
		{ "relay", no_argument, NULL, 'R' },
		{ "reconnect-grace", required_argument, NULL, 'g' },
		{ "root", required_argument, NULL, 'r' },
		{ "token-fd", required_argument, NULL, 't' },
		{ "worker-init", required_argument, NULL, 'I' },
		{ "worker-cleanup", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	struct vassal v;
	const char *errstr;
	json_t *specs;
	json_error_t jerr;
	char err[512];
	int ch, fd = -1, verbose = 0, adapters = 0, token_fd = -1;

	memset(&v, 0, sizeof v);
	v.nworkers = 1;
	v.grace = 60;
	while ((ch = getopt_long(argc, argv, "df:j:Vv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			break;
		case 'f':
			fd = strtonum(optarg, 0, INT_MAX, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "fd is %s: %s", errstr,
				    optarg);
			break;
		case 'j':
			v.nworkers = strtonum(optarg, 1, 1024, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "workers is %s: %s",
				    errstr, optarg);
			break;
		case 'a':
			specs = json_loads(optarg, 0, &jerr);
			if (specs == NULL)
				errx(DAGZ_EXIT_USAGE, "--adapters: %s",
				    jerr.text);
			adapter_list_clear(&v.adapters);
			if (adapter_list_decode(specs, &v.adapters, err,
			    sizeof err) == -1)
				errx(DAGZ_EXIT_USAGE, "--adapters: %s", err);
			json_decref(specs);
			adapters = 1;
			break;
		case 'c':
			v.connect = strv_push(v.connect, optarg);
			break;
		case 'n':
			v.node = strtonum(optarg, 0, 100000, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "node is %s: %s", errstr,
				    optarg);
			break;
		case 'I':
			free(v.worker_init);
			v.worker_init = xstrdup(optarg);
			break;
		case 'U':
			free(v.worker_cleanup);
			v.worker_cleanup = xstrdup(optarg);
			break;
		case 'J':
			free(v.job);
			v.job = xstrdup(optarg);
			break;
		case 'R':
			v.relay_only = 1;
			break;
		case 'g':
			if (time_parse_duration(optarg, &v.grace) == -1 ||
			    v.grace < 0.001 || v.grace > 1e9)
				errx(DAGZ_EXIT_USAGE, "--reconnect-grace: invalid "
				    "duration '%s'", optarg);
			break;
		case 'r':
			free(v.root);
			v.root = xstrdup(optarg);
			break;
		case 't':
			token_fd = strtonum(optarg, 0, INT_MAX, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "token fd is %s: %s",
				    errstr, optarg);
			break;
		case 'V':
			printf("dagz-vassal %s\n", PACKAGE_VERSION);
			exit(DAGZ_EXIT_OK);
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((fd == -1) == (v.connect == NULL) || !adapters || argc != 0 ||
	    (v.connect != NULL) != (token_fd != -1))
		usage();
	/* The token comes on a descriptor: never in argv or environ. */
	if (token_fd != -1 && (v.token = vassal_read_token(token_fd)) == NULL)
		errx(DAGZ_EXIT_USAGE, "no job token on fd %d", token_fd);
	log_init("dagz-vassal", verbose);
	v.worker_path = paths_program("dagz-worker");
	return (vassal_start(&v, fd));
}
