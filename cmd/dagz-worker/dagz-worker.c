/*
 * dagz-worker: runs the tests dagz-vassal hands it, one process tree at
 * a time, and reports each result. It reads its options here, then
 * worker_main() runs the protocol. See dagz-worker(1).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "worker.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: dagz-worker [-dVv] -f fd -i index\n");
	exit(DAGZ_EXIT_USAGE);
}

/*
 * Makes sure 0, 1 and 2 are open, so that no descriptor the worker opens
 * later lands there and gets clobbered when a test's stdio is set up.
 */
static void
stdio_sanitize(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDWR) == -1)
			exit(DAGZ_EXIT_ERROR);
}

int
main(int argc, char **argv)
{
	static char name[32];
	const char *errstr;
	int ch, fd = -1, index = -1, verbose = 0;

	while ((ch = getopt(argc, argv, "df:i:Vv")) != -1) {
		switch (ch) {
		case 'd':
			/* Logging always goes to stderr; kept for symmetry. */
			break;
		case 'f':
			fd = strtonum(optarg, 0, 1 << 20, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "dagz-worker: -f: descriptor is "
				    "%s: %s\n", errstr, optarg);
				exit(DAGZ_EXIT_USAGE);
			}
			break;
		case 'i':
			index = strtonum(optarg, 0, 99999, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "dagz-worker: -i: index is %s: "
				    "%s\n", errstr, optarg);
				exit(DAGZ_EXIT_USAGE);
			}
			break;
		case 'V':
			printf("dagz-worker %s\n", PACKAGE_VERSION);
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
	if (argc != 0 || fd == -1 || index == -1)
		usage();

	/* Several workers share the vassal's stderr: say which one speaks. */
	snprintf(name, sizeof name, "dagz-worker[%d]", index);
	log_init(name, verbose);
	if (fcntl(fd, F_GETFD) == -1) {
		log_warn("-f %d", fd);
		exit(DAGZ_EXIT_USAGE);
	}
	stdio_sanitize();
	return (worker_main(fd, index));
}
