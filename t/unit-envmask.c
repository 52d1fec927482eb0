/*
 * unit-envmask.c: unit tests in TAP of the masking of secrets in a
 * job's environment: a table of variables, each either masked (by its
 * name, a URL's credentials, a token format) or kept as it is.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "envmask.h"

#include "unit.h"

static const struct {
	const char	*name;
	const char	*value;
	const char	*want;
} cases[] = {
	/* Names that say they hold a secret: the whole value. */
	{ "DB_PASSWORD", "hunter2", "***" },
	{ "db_passwd", "hunter2", "***" },
	{ "Passphrase", "x", "***" },
	{ "CLIENT_SECRET", "s3cr3t", "***" },
	{ "GITLAB_TOKEN", "abc", "***" },
	{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI", "***" },
	{ "SSH_KEY", "x", "***" },
	{ "KEYRING", "x", "***" },
	{ "GOOGLE_APPLICATION_CREDENTIALS", "/etc/gcp.json", "***" },
	{ "HTTP_AUTHORIZATION", "Basic dTpw", "***" },
	{ "NPM_AUTH", "x", "***" },
	{ "XAUTHORITY", "/root/.Xauthority", "***" },
	{ "SENTRY_DSN", "https://k@o1.ingest.sentry.io/1", "***" },
	{ "SESSION_COOKIE", "sid=1", "***" },
	{ "GITHUB_PAT", "anything", "***" },
	{ "PAT", "x", "***" },
	{ "PAT_FOR_CI", "x", "***" },
	{ "MY_PAT_2", "x", "***" },
	{ "ci.pat", "x", "***" },
	{ "secret", "", "***" },
	/* Credentials inside URLs, whatever the name. */
	{ "DB_URL", "postgres://u:pw@h/db", "postgres://u:***@h/db" },
	{ "DATABASE_URL", "mysql://app:p@ss:w0rd@db.example:3306/app",
	    "mysql://app:***@db.example:3306/app" },
	{ "REMOTE", "https://x-access-token:abc123@github.com/o/r.git",
	    "https://x-access-token:***@github.com/o/r.git" },
	{ "REMOTE", "https://0123456789abcdef0123456789abcdef@github.com/o/r",
	    "https://***@github.com/o/r" },
	{ "REMOTE", "https://Deploy@host/x", "https://***@host/x" },
	{ "REMOTE", "https://deploy12345@host/x", "https://***@host/x" },
	{ "REDIS", "redis://:pw@localhost:6379/0",
	    "redis://:***@localhost:6379/0" },
	{ "AMQP", "amqp://guest:guest@mq", "amqp://guest:***@mq" },
	{ "MIRRORS", "http://a.example/ https://u:p@b.example/x",
	    "http://a.example/ https://u:***@b.example/x" },
	{ "PIP_INDEX", "git+https://u:p@h/r", "git+https://u:***@h/r" },
	{ "OPTS", "--db=x.postgres://u:p@h", "--db=x.postgres://u:***@h" },
	{ "HOOK", "https://h.example/x?access_token=abc&page=2",
	    "https://h.example/x?access_token=***&page=2" },
	{ "HOOK", "https://h.example/x?page=2&api_key=abc#top",
	    "https://h.example/x?page=2&api_key=***#top" },
	/* Tokens of well-known formats, whatever the name. */
	{ "GH", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "***" },
	{ "GH", "gho_0123456789abcdefghij", "***" },
	{ "GH", "ghu_0123456789abcdefghij", "***" },
	{ "GH", "ghs_0123456789abcdefghij", "***" },
	{ "GH", "ghr_0123456789abcdefghij", "***" },
	{ "GH", "github_pat_11ABCDEFG0123456789_abcdefXYZ", "***" },
	{ "GL", "glpat-abcdEFGH1234-xyz_9", "***" },
	{ "SLACK", "xoxb-1234567890-abcdefghij", "***" },
	{ "SLACK", "xoxp-1234567890-abcdefghij", "***" },
	{ "SLACK", "xoxa-1234567890-abcdefghij", "***" },
	{ "SLACK", "xoxo-1234567890-abcdefghij", "***" },
	{ "SLACK", "xoxs-1234567890-abcdefghij", "***" },
	{ "SLACK", "xoxr-1234567890-abcdefghij", "***" },
	{ "AWS_ID", "AKIAIOSFODNN7EXAMPLE", "***" },
	{ "AWS_ID", "id=AKIAIOSFODNN7EXAMPLE,region=eu",
	    "id=***,region=eu" },
	{ "BEARER", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
	    "Bearer ***" },
	{ "NPMRC", "//registry.npmjs.org/:_authToken=npm_abcdefghij0123456789",
	    "//registry.npmjs.org/:_authToken=***" },
	{ "TWINE", "pypi-AgEIcHlwaS5vcmcCJGFiY2Q", "***" },
	{ "STRIPE", "sk_live_0123456789abcdef", "***" },
	{ "STRIPE", "rk_live_0123456789abcdef", "***" },
	{ "MAPS", "AIzaSyA-0123456789abcdefghijklmnopqrstu", "***" },
	{ "CLONE", "https://ghp_0123456789abcdefghij@github.com/o/r",
	    "https://***@github.com/o/r" },
	{ "ID_RSA", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n"
	    "-----END OPENSSH PRIVATE KEY-----\n", "***\n" },
	{ "PEM", "before -----BEGIN RSA PRIVATE KEY-----\nMIIE", "before ***" },
	/* Innocent values are kept. */
	{ "PATH", "/usr/local/bin:/usr/bin:/bin", NULL },
	{ "HOME", "/root", NULL },
	{ "TERM", "xterm-256color", NULL },
	{ "PATTERN", "x", NULL },
	{ "XPATH", "/a/b", NULL },
	{ "PATCH_LEVEL", "3", NULL },
	{ "GIT_AUTHOR_NAME", "A. U. Thor", NULL },
	{ "GIT_AUTHOR_EMAIL", "a@example.com", NULL },
	{ "AUTHORS", "a, b", NULL },
	{ "URL", "https://example.com/path?page=2&q=x#frag", NULL },
	{ "ORIGIN", "ssh://git@github.com/o/r.git", NULL },
	{ "MIRROR", "https://ci-bot@host/x", NULL },
	{ "SCP", "git@github.com:o/r.git", NULL },
	{ "EMAIL", "user@example.com", NULL },
	{ "LANG", "C.UTF-8", NULL },
	{ "SHA", "0123456789abcdef0123456789abcdef01234567", NULL },
	{ "WORDS", "npm_ ghp_short xoxb- sk_live_x AKIA12", NULL },
	{ "NAME", "myghp_0123456789abcdefghij", NULL },
	{ "CERT", "-----BEGIN CERTIFICATE-----\nMIIB\n"
	    "-----END CERTIFICATE-----", NULL },
	{ "EMPTY", "", NULL },
};

static void
test_table(void)
{
	const char *want;
	char *got;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		want = cases[i].want != NULL ? cases[i].want : cases[i].value;
		got = envmask(cases[i].name, cases[i].value);
		is_str(got, want, "case %zu: %s", i + 1, cases[i].name);
		free(got);
	}
}

static void
test_environ(void)
{
	char *env[] = { "API_TOKEN=x", "DB_URL=postgres://u:pw@h/db",
	    "HOME=/root", "GITHUB_PAT=ghp_0123456789abcdefghij", "NOEQUALS",
	    "=nameless", NULL };
	json_t *o;
	char *s;

	o = envmask_environ(env);
	s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	is_str(s, "{\"API_TOKEN\":\"***\",\"DB_URL\":\"postgres://u:***@h/db\","
	    "\"GITHUB_PAT\":\"***\",\"HOME\":\"/root\"}",
	    "envmask_environ masks, skips what is not NAME=VALUE");
	free(s);
	json_decref(o);
	ok(envmask_name("KEYRING=x") && !envmask_name("PATH=x"),
	    "a name ends at '='");
}

/* A long value of dots and dashes is read once, not from each one. */
static void
test_long(void)
{
	size_t n = 1 << 20, i;
	char *v = malloc(n + 1), *got;

	for (i = 0; i < n; i++)
		v[i] = "a.b-"[i % 4];
	v[n] = '\0';
	got = envmask_value(v);
	ok(got != NULL && strcmp(got, v) == 0, "1 MiB of a.b- is kept");
	free(got);
	free(v);
}

int
main(void)
{
	test_table();
	test_environ();
	test_long();
	return (tap_done());
}
