/*
 * dagzd: the store daemon. It owns the SQLite database of jobs, spans,
 * results and logs, and serves it over HTTP: dagz-sched streams a job
 * into it, zb and the dashboard read from it. It stays in the foreground
 * and prints one line once it listens. See dagzd(1).
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dagzd.h"
#include "exitcodes.h"
#include "log.h"
#include "paths.h"
#include "store.h"
#include "timeutil.h"
#include "tls.h"
#include "xmalloc.h"

#define DAGZD_SWEEP_EVERY	10	/* seconds between stale-job checks */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: dagzd [-dVv] [-H home] [-l address:port]\n"
	    "             [--allow-backdate] [--max-request size]\n"
	    "             [--public-url url] [--stale-after duration]\n"
	    "             [--tls-cert file --tls-key file] [--token-file file]\n");
	exit(DAGZ_EXIT_USAGE);
}

/* The token: the file's first line, which must not be empty. */
static char *
read_token(const char *path)
{
	char line[1024];
	struct stat st;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		err(DAGZ_EXIT_USAGE, "cannot read token file '%s'", path);
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		warnx("token file '%s' can be read by others", path);
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (strlen(line) < 8)
		errx(DAGZ_EXIT_USAGE, "token file '%s': the token must be a "
		    "line of 8 characters or more", path);
	return (xstrdup(line));
}

/* "127.0.0.1:29111" or "[::1]:29111" into host and port. */
int
dagzd_split_addr(const char *addr, char *host, size_t len, int *port)
{
	const char *colon, *errstr;
	size_t n;

	if (addr[0] == '[') {
		if ((colon = strstr(addr, "]:")) == NULL)
			return (-1);
		n = colon - addr - 1;
		colon++;
		addr++;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL)
			return (-1);
		n = colon - addr;
	}
	if (n == 0 || n >= len)
		return (-1);
	memcpy(host, addr, n);
	host[n] = '\0';
	*port = strtonum(colon + 1, 0, 65535, &errstr);
	return (errstr == NULL ? 0 : -1);
}

/* Whether sa is 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
int
dagzd_addr_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

	if (sa->sa_family == AF_INET)
		return ((ntohl(s4->sin_addr.s_addr) >> 24) == 127);
	if (sa->sa_family != AF_INET6)
		return (0);
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return (1);
	return (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
	    s6->sin6_addr.s6_addr[12] == 127);
}

/*
 * Whether every address host resolves to is a loopback one: the name
 * decides nothing ("127.x.example" may be anywhere).
 */
static int
is_loopback(const char *addr, const char *host)
{
	struct addrinfo hints, *res, *ai;
	int rc, all = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0)
		errx(DAGZ_EXIT_USAGE, "-l: cannot resolve '%s': %s", addr,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (!dagzd_addr_is_loopback(ai->ai_addr))
			all = 0;
	freeaddrinfo(res);
	return (all);
}

/* --public-url's host and port, as a Host header names them. */
static char *
public_host(const char *url)
{
	const char *p, *end;

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		errx(DAGZ_EXIT_USAGE, "--public-url: expected http:// or "
		    "https://, not '%s'", url);
	end = p + strcspn(p, "/?#");
	if (end == p || memchr(p, '@', end - p) != NULL)
		errx(DAGZ_EXIT_USAGE, "--public-url: no host in '%s'", url);
	return (xstrndup(p, end - p));
}

/* Refuses to start when a dagzd already answers where we would listen. */
static void
check_not_running(struct dagzd *d)
{
	struct store_reply r;
	json_t *o;
	char host[256], *url;
	int i, port;

	for (i = 0; i < d->nlisten; i++) {
		if (dagzd_split_addr(d->listen[i], host, sizeof host, &port) ==
		    -1 || port == 0)
			continue;
		if (strcmp(host, "0.0.0.0") == 0)
			strlcpy(host, "127.0.0.1", sizeof host);
		else if (strcmp(host, "::") == 0)
			strlcpy(host, "::1", sizeof host);
		if (strchr(host, ':') != NULL)
			xasprintf(&url, "http://[%s]:%d", host, port);
		else
			xasprintf(&url, "http://%s:%d", host, port);
		if (store_call(url, d->token, "GET", STORE_API "/ping", NULL,
		    NULL, 0, 1.0, &r) == 0 && r.status == 200 &&
		    (o = json_loads(r.body, 0, NULL)) != NULL) {
			if (json_object_get(o, "dagzd") != NULL)
				errx(DAGZ_EXIT_ERROR, "another dagzd (pid "
				    "%lld) already answers at %s",
				    (long long)json_integer_value(
				    json_object_get(o, "pid")), url);
			json_decref(o);
		}
		store_reply_clear(&r);
		free(url);
	}
}

/* One dagzd per home: the database has one writer. */
static void
lock_home(struct dagzd *d)
{
	char *path;

	xasprintf(&path, "%s/dagzd.lock", d->home);
	if ((d->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		err(DAGZ_EXIT_ERROR, "cannot open '%s'", path);
	if (flock(d->lockfd, LOCK_EX | LOCK_NB) == -1)
		errx(DAGZ_EXIT_ERROR, "another dagzd uses '%s'", d->home);
	free(path);
}

/* Tells clients on this machine where we are: local.env/url. */
static void
write_url_file(struct dagzd *d)
{
	char *dir, *tmp;
	FILE *f;

	xasprintf(&dir, "%s/local.env", d->home);
	if (paths_mkdirs(dir, 0700) == -1) {
		log_warn("cannot create '%s'", dir);
		free(dir);
		return;
	}
	xasprintf(&d->urlfile, "%s/url", dir);
	xasprintf(&tmp, "%s/url.%d", dir, (int)getpid());
	free(dir);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("cannot write '%s'", tmp);
		free(tmp);
		return;
	}
	fprintf(f, "%s\n", d->url);
	if (fclose(f) != 0 || rename(tmp, d->urlfile) == -1)
		log_warn("cannot write '%s'", d->urlfile);
	free(tmp);
}

/* Removes the url file if it still names us. */
static void
remove_url_file(struct dagzd *d)
{
	char line[1024];
	FILE *f;

	if (d->urlfile == NULL || (f = fopen(d->urlfile, "re")) == NULL)
		return;
	if (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, d->url) == 0)
			unlink(d->urlfile);
	}
	fclose(f);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct dagzd *d = arg;

	log_info("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopexit(d->base, NULL);
}

static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	db_sweep(arg);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "allow-backdate", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-request", required_argument, NULL, 'M' },
		{ "public-url", required_argument, NULL, 'P' },
		{ "stale-after", required_argument, NULL, 'S' },
		{ "tls-cert", required_argument, NULL, 'c' + 256 },
		{ "tls-key", required_argument, NULL, 'k' + 256 },
		{ "token-file", required_argument, NULL, 'T' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct dagzd d;
	struct timeval sweep;
	char host[256];
	const char *tokenfile = NULL, *certfile = NULL, *keyfile = NULL;
	char tlserr[512];
	long long size;
	int ch, i, port, verbose = 0;

	memset(&d, 0, sizeof d);
	d.stale_after = 300;
	d.max_request = DAGZD_MAX_REQUEST;
	d.lockfd = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":dH:hl:Vv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case ':':
			errx(DAGZ_EXIT_USAGE, "option '%s' needs an argument; "
			    "see dagzd(1)", argv[optind - 1]);
		case '?':
			errx(DAGZ_EXIT_USAGE, "unknown option '%s'; see "
			    "dagzd(1)", argv[optind - 1]);
		case 'B':
			d.allow_backdate = 1;
			break;
		case 'd':
			verbose = 2;
			break;
		case 'H':
			free(d.home);
			d.home = xstrdup(optarg);
			break;
		case 'l':
			if (d.nlisten == DAGZD_MAX_LISTEN)
				errx(DAGZ_EXIT_USAGE, "-l: at most %d "
				    "addresses", DAGZD_MAX_LISTEN);
			if (dagzd_split_addr(optarg, host, sizeof host,
			    &port) == -1)
				errx(DAGZ_EXIT_USAGE, "-l: expected "
				    "ADDRESS:PORT, not '%s'", optarg);
			d.listen[d.nlisten++] = xstrdup(optarg);
			break;
		case 'M':
			if (time_parse_size(optarg, &size) == -1 ||
			    size < 4096 || size > (1LL << 30))
				errx(DAGZ_EXIT_USAGE, "--max-request: invalid "
				    "size '%s'", optarg);
			d.max_request = size;
			break;
		case 'P':
			free(d.public_url);
			free(d.public_host);
			d.public_url = xstrdup(optarg);
			d.public_host = public_host(optarg);
			break;
		case 'S':
			if (time_parse_duration(optarg, &d.stale_after) == -1)
				errx(DAGZ_EXIT_USAGE, "--stale-after: invalid "
				    "duration '%s'", optarg);
			break;
		case 'T':
			tokenfile = optarg;
			break;
		case 'c' + 256:
			certfile = optarg;
			break;
		case 'k' + 256:
			keyfile = optarg;
			break;
		case 'V':
			printf("dagzd %s\n", PACKAGE_VERSION);
			exit(DAGZ_EXIT_OK);
		case 'v':
			verbose++;
			break;
		case 'h':
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("dagzd", verbose);
	if (d.nlisten == 0) {
		xasprintf(&d.listen[0], "127.0.0.1:%d", STORE_DEFAULT_PORT);
		xasprintf(&d.listen[1], "[::1]:%d", STORE_DEFAULT_PORT);
		d.nlisten = 2;
	}
	if (tokenfile != NULL)
		d.token = read_token(tokenfile);
	if ((certfile != NULL) != (keyfile != NULL))
		errx(DAGZ_EXIT_USAGE, "%s needs %s: give both or neither",
		    certfile != NULL ? "--tls-cert" : "--tls-key",
		    certfile != NULL ? "--tls-key" : "--tls-cert");
	if (certfile != NULL) {
		if (!http_tls_supported())
			errx(DAGZ_EXIT_ERROR, "--tls-cert: this libmicrohttpd "
			    "was built without TLS support");
		if (tls_load_pair(certfile, keyfile, &d.tls_cert, &d.tls_key,
		    tlserr, sizeof tlserr) == -1)
			errx(DAGZ_EXIT_USAGE, "%s", tlserr);
	}
	for (i = 0; i < d.nlisten; i++) {
		dagzd_split_addr(d.listen[i], host, sizeof host, &port);
		if (d.token == NULL && !is_loopback(d.listen[i], host))
			errx(DAGZ_EXIT_USAGE, "listening on '%s' needs "
			    "--token-file: it is not a loopback address",
			    d.listen[i]);
	}
	if (d.home == NULL)
		d.home = store_home();
	if (paths_mkdirs(d.home, 0700) == -1)
		err(DAGZ_EXIT_ERROR, "cannot create '%s'", d.home);
	signal(SIGPIPE, SIG_IGN);
	check_not_running(&d);
	lock_home(&d);
	d.started = time_unix();
	if ((d.base = event_base_new()) == NULL)
		errx(DAGZ_EXIT_ERROR, "event_base_new");
	if (db_open(&d) == -1)
		exit(DAGZ_EXIT_ERROR);
	if (http_start(&d) == -1)
		exit(DAGZ_EXIT_ERROR);
	write_url_file(&d);

	d.ev_term = evsignal_new(d.base, SIGTERM, on_signal, &d);
	d.ev_int = evsignal_new(d.base, SIGINT, on_signal, &d);
	evsignal_add(d.ev_term, NULL);
	evsignal_add(d.ev_int, NULL);
	sweep.tv_sec = d.stale_after < 2 * DAGZD_SWEEP_EVERY ?
	    (d.stale_after > 2 ? (long)d.stale_after / 2 : 1) :
	    DAGZD_SWEEP_EVERY;
	sweep.tv_usec = 0;
	d.ev_sweep = event_new(d.base, -1, EV_PERSIST, on_sweep, &d);
	event_add(d.ev_sweep, &sweep);
	db_sweep(&d);

	event_base_dispatch(d.base);

	remove_url_file(&d);
	feed_stop(&d);
	http_stop(&d);
	feed_free(&d);
	db_close(&d);
	event_free(d.ev_term);
	event_free(d.ev_int);
	event_free(d.ev_sweep);
	event_base_free(d.base);
	for (i = 0; i < d.nlisten; i++)
		free(d.listen[i]);
	free(d.home);
	free(d.dbpath);
	free(d.urlfile);
	free(d.url);
	free(d.token);
	free(d.public_url);
	free(d.public_host);
	free(d.tls_cert);
	if (d.tls_key != NULL)
		explicit_bzero(d.tls_key, strlen(d.tls_key));
	free(d.tls_key);
	if (d.lockfd != -1)
		close(d.lockfd);
	return (DAGZ_EXIT_OK);
}
