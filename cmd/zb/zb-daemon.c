/*
 * zb-daemon.c: "zb daemon up [--bg] [--restart] | down | status": the
 * local dagzd, at the address DAGZ_URL (or the url file, or the
 * default) names. "up --bg" returns once dagzd listens, so that the
 * next command finds it; dagz run uses it on a first run.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>

#include "exitcodes.h"
#include "paths.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"
#include "zb.h"

#define DAEMON_WAIT	10.0	/* seconds for dagzd to come or go */

static int quiet;

/* The running dagzd's ping reply, or NULL when none answers. */
static json_t *
daemon_ping(double timeout)
{
	struct store_reply r;
	json_t *o = NULL;
	char *token = store_token();

	if (store_call(zb_url, token, "GET", STORE_API "/ping", NULL, NULL, 0,
	    timeout, &r) == 0 && r.status == 200)
		o = json_loads(r.body, 0, NULL);
	store_reply_clear(&r);
	free(token);
	if (o != NULL && json_object_get(o, "dagzd") == NULL) {
		json_decref(o);
		o = NULL;
	}
	return (o);
}

/* dagzd: beside zb, in DAGZ_BINDIR, where it was installed, or PATH. */
static char *
daemon_path(void)
{
	char *path = paths_program("dagzd");

	/* Not where dagz is installed either: leave it to PATH. */
	if (access(path, X_OK) == -1) {
		free(path);
		return (xstrdup("dagzd"));
	}
	return (path);
}

/* dagzd's arguments: where to listen, from the URL. */
static char **
daemon_argv(char *path)
{
	struct evhttp_uri *uri;
	const char *host;
	char **argv, *addr = NULL;
	int port;

	if (!store_url_is_local(zb_url))
		errx(DAGZ_EXIT_USAGE, "dagzd at %s is not on this machine: "
		    "start it there", zb_url);
	/* A plain dagzd there would only answer TLS clients with errors. */
	if (strncmp(zb_url, "https:", 6) == 0)
		errx(DAGZ_EXIT_USAGE, "dagzd at %s serves HTTPS: start it "
		    "with dagzd --tls-cert and --tls-key", zb_url);
	argv = xcalloc(4, sizeof *argv);
	argv[0] = path;
	if ((uri = evhttp_uri_parse(zb_url)) != NULL &&
	    (host = evhttp_uri_get_host(uri)) != NULL &&
	    strcmp(zb_url, STORE_DEFAULT_URL) != 0) {
		port = evhttp_uri_get_port(uri);
		if (strcmp(host, "localhost") == 0)
			host = "127.0.0.1";
		if (strchr(host, ':') != NULL)
			xasprintf(&addr, "[%s]:%d", host, port);
		else
			xasprintf(&addr, "%s:%d", host, port == -1 ? 80 : port);
		argv[1] = xstrdup("-l");
		argv[2] = addr;
	}
	if (uri != NULL)
		evhttp_uri_free(uri);
	return (argv);
}

/*
 * Starts dagzd detached, its messages in $DAGZ_HOME/dagzd.log, and waits
 * for its readiness line. Another dagz run may start one at the same
 * moment: whichever wins, a dagzd answering is success.
 */
static int
daemon_start_bg(char **argv)
{
	char *home, *logpath, line[1024];
	struct pollfd pfd;
	size_t n = 0;
	ssize_t r;
	double deadline;
	int p[2], fd, status;
	json_t *o;
	pid_t pid;

	home = store_home();
	mkdir(home, 0700);
	xasprintf(&logpath, "%s/dagzd.log", home);
	if (pipe2(p, O_CLOEXEC) == -1)
		err(DAGZ_EXIT_ERROR, "pipe");
	switch (pid = fork()) {
	case -1:
		err(DAGZ_EXIT_ERROR, "fork");
	case 0:
		setsid();
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600)) !=
		    -1)
			dup2(fd, STDERR_FILENO);
		/* Detach from the caller's descriptors (bats' 3, say). */
		closefrom(STDERR_FILENO + 1);
		signal(SIGPIPE, SIG_IGN);
		execvp(argv[0], argv);
		fprintf(stderr, "zb: cannot execute '%s': %s\n", argv[0],
		    strerror(errno));
		_exit(DAGZ_EXIT_ERROR);
	}
	close(p[1]);
	deadline = time_mono() + DAEMON_WAIT;
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (n < sizeof line - 1 && time_mono() < deadline) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((r = read(p[0], line + n, sizeof line - 1 - n)) <= 0)
			break;
		n += r;
		line[n] = '\0';
		if (strchr(line, '\n') != NULL)
			break;
	}
	line[n] = '\0';
	close(p[0]);
	if (strncmp(line, "dagzd: listening on ", 20) == 0) {
		if (!quiet)
			fputs(line, stdout);
		free(home);
		free(logpath);
		return (DAGZ_EXIT_OK);
	}
	if (waitpid(pid, &status, WNOHANG) == pid && (o = daemon_ping(1.0)) !=
	    NULL) {
		json_decref(o);
		free(home);
		free(logpath);
		return (DAGZ_EXIT_OK);
	}
	warnx("dagzd did not start; see '%s'", logpath);
	free(home);
	free(logpath);
	return (DAGZ_EXIT_ERROR);
}

static int
daemon_down(void)
{
	struct store_reply r;
	json_t *o;
	char *token = store_token();
	double deadline;

	if ((o = daemon_ping(2.0)) == NULL) {
		if (!quiet)
			fprintf(stderr, "zb: no dagzd answers at %s\n", zb_url);
		free(token);
		return (DAGZ_EXIT_OK);
	}
	json_decref(o);
	if (store_call(zb_url, token, "POST", STORE_API "/shutdown", NULL,
	    "{}", 2, 5.0, &r) == -1 || r.status != 200) {
		warnx("dagzd at %s did not stop: %s", zb_url,
		    r.status != 0 ? "refused" : r.err);
		store_reply_clear(&r);
		free(token);
		return (DAGZ_EXIT_ERROR);
	}
	store_reply_clear(&r);
	free(token);
	deadline = time_mono() + DAEMON_WAIT;
	while (time_mono() < deadline) {
		if ((o = daemon_ping(0.5)) == NULL)
			return (DAGZ_EXIT_OK);
		json_decref(o);
		poll(NULL, 0, 100);
	}
	warnx("dagzd at %s still answers", zb_url);
	return (DAGZ_EXIT_ERROR);
}

static int
daemon_status(int json)
{
	json_t *o;

	if ((o = daemon_ping(2.0)) == NULL) {
		if (!quiet)
			fprintf(stderr, "zb: no dagzd answers at %s\n", zb_url);
		return (DAGZ_EXIT_FAIL);
	}
	if (json || !isatty(STDOUT_FILENO))
		zb_print_line(o);
	else
		printf("dagzd %s at %s: pid %lld, up %.0fs, store %s\n",
		    json_string_value(json_object_get(o, "dagzd")), zb_url,
		    (long long)json_integer_value(json_object_get(o, "pid")),
		    json_number_value(json_object_get(o, "uptime")),
		    json_string_value(json_object_get(o, "store")));
	json_decref(o);
	return (DAGZ_EXIT_OK);
}

int
zb_daemon(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bg", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "restart", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *what;
	char **dargv;
	json_t *o;
	int ch, bg = 0, restart = 0, json = 0, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			bg = 1;
			break;
		case 'J':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'r':
			restart = 1;
			break;
		default:
			zb_usage("daemon");
		}
	}
	if (argc - optind != 1)
		zb_usage("daemon");
	what = argv[optind];
	zb_connect();
	if (strcmp(what, "status") == 0)
		return (daemon_status(json));
	if (strcmp(what, "down") == 0)
		return (daemon_down());
	if (strcmp(what, "up") != 0)
		zb_usage("daemon");
	if (restart && (rc = daemon_down()) != DAGZ_EXIT_OK)
		return (rc);
	if ((o = daemon_ping(1.0)) != NULL) {
		if (!quiet)
			printf("dagzd already answers at %s (pid %lld)\n",
			    zb_url, (long long)json_integer_value(
			    json_object_get(o, "pid")));
		json_decref(o);
		return (DAGZ_EXIT_OK);
	}
	dargv = daemon_argv(daemon_path());
	if (bg) {
		rc = daemon_start_bg(dargv);
		for (ch = 0; dargv[ch] != NULL; ch++)
			free(dargv[ch]);
		free(dargv);
		return (rc);
	}
	execvp(dargv[0], dargv);
	err(DAGZ_EXIT_ERROR, "cannot execute '%s'", dargv[0]);
}
