/*
 * envmask.c: secrets masked out of an environment before the scheduler
 * sends it to the store, and again when zb writes it into a bundle.
 * Masking by name alone missed DB_URL=postgres://u:pw@h/db and
 * GITHUB_PAT=ghp_...: a value is also searched for credentials inside
 * URLs, secret query parameters, well-known token formats and private
 * key blocks, and only those parts are replaced by "***", so that the
 * rest (the host a URL names) still helps whoever reads the record.
 * Masking errs on the side of hiding: a false positive costs a value,
 * a false negative leaks a credential to anyone who can reach dagzd.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "envmask.h"
#include "xmalloc.h"

#define ENVMASK_ALNUM							\
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define ENVMASK_UPNUM	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define ENVMASK_SCHEME(c)						\
	(isalnum((unsigned char)(c)) || (c) == '+' || (c) == '-' || (c) == '.')

/* Token formats: a fixed prefix, then min or more (or exactly) chars. */
static const struct envmask_token {
	const char	*prefix;
	const char	*chars;
	size_t		 min;
	int		 exact;
} envmask_tokens[] = {
	{ "ghp_", ENVMASK_ALNUM, 10, 0 },	/* GitHub */
	{ "gho_", ENVMASK_ALNUM, 10, 0 },
	{ "ghu_", ENVMASK_ALNUM, 10, 0 },
	{ "ghs_", ENVMASK_ALNUM, 10, 0 },
	{ "ghr_", ENVMASK_ALNUM, 10, 0 },
	{ "github_pat_", ENVMASK_ALNUM "_", 10, 0 },
	{ "glpat-", ENVMASK_ALNUM "_-", 10, 0 },	/* GitLab */
	{ "xoxa-", ENVMASK_ALNUM "-", 10, 0 },	/* Slack */
	{ "xoxb-", ENVMASK_ALNUM "-", 10, 0 },
	{ "xoxo-", ENVMASK_ALNUM "-", 10, 0 },
	{ "xoxp-", ENVMASK_ALNUM "-", 10, 0 },
	{ "xoxr-", ENVMASK_ALNUM "-", 10, 0 },
	{ "xoxs-", ENVMASK_ALNUM "-", 10, 0 },
	{ "AKIA", ENVMASK_UPNUM, 16, 1 },	/* AWS access key IDs */
	{ "ASIA", ENVMASK_UPNUM, 16, 1 },
	{ "npm_", ENVMASK_ALNUM, 10, 0 },
	{ "pypi-", ENVMASK_ALNUM "_-", 10, 0 },
	{ "sk_live_", ENVMASK_ALNUM, 10, 0 },	/* Stripe */
	{ "rk_live_", ENVMASK_ALNUM, 10, 0 },
	{ "sk_test_", ENVMASK_ALNUM, 10, 0 },
	{ "rk_test_", ENVMASK_ALNUM, 10, 0 },
	{ "AIza", ENVMASK_ALNUM "_-", 30, 0 },	/* Google API keys */
	{ NULL, NULL, 0, 0 }
};

/* Parts of names that say the value is a secret, anywhere in a name. */
static const char *const envmask_words[] = { "PASS", "SECRET", "TOKEN",
    "KEY", "CREDENTIAL", "AUTH", "DSN", "COOKIE", NULL };

struct envmask_buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

static void
buf_add(struct envmask_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* "AUTHOR" (or "AUTHORS") as a whole word at s, as in GIT_AUTHOR_NAME. */
static int
envmask_author(const char *s, size_t left)
{
	size_t n = 6;

	if (left < n || strncasecmp(s, "AUTHOR", n) != 0)
		return (0);
	if (n < left && (s[n] == 's' || s[n] == 'S'))
		n++;
	return (n == left || !isalpha((unsigned char)s[n]));
}

/*
 * True for names whose values are secret: those containing PASS,
 * SECRET, TOKEN, KEY, CREDENTIAL, AUTH (but not the word AUTHOR), DSN
 * or COOKIE, and those with PAT as a word (GITHUB_PAT, PAT_X, not PATH
 * or PATTERN), in any case. The name ends at '=' or the end.
 */
int
envmask_name(const char *name)
{
	const char *eq = strchr(name, '=');
	size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	size_t i, k, w;

	for (k = 0; envmask_words[k] != NULL; k++) {
		w = strlen(envmask_words[k]);
		for (i = 0; i + w <= len; i++)
			if (strncasecmp(name + i, envmask_words[k], w) == 0 &&
			    !(k == 5 && envmask_author(name + i, len - i)))
				return (1);
	}
	for (i = 0; i < len; i += w) {
		for (w = 0; i + w < len && isalnum((unsigned char)name[i + w]);
		    w++)
			;
		if (w == 3 && strncasecmp(name + i, "PAT", 3) == 0)
			return (1);
		if (w == 0)
			w = 1;
	}
	return (0);
}

/* The length of the run of chars at s (at most max). */
static size_t
span_of(const char *s, const char *chars, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0' && strchr(chars, s[n]) != NULL)
		n++;
	return (n);
}

/* The length of a token of a well-known format at s, or 0. */
static size_t
envmask_token_at(const char *s)
{
	const struct envmask_token *t;
	const char *jwt = ENVMASK_ALNUM "_-";
	size_t p, n, a, b;

	for (t = envmask_tokens; t->prefix != NULL; t++) {
		p = strlen(t->prefix);
		if (strncmp(s, t->prefix, p) != 0)
			continue;
		n = span_of(s + p, t->chars, t->exact ? t->min + 1 : SIZE_MAX);
		if (t->exact ? n == t->min && !isalnum((unsigned char)s[p + n])
		    : n >= t->min)
			return (p + n);
	}
	/* A JSON Web Token: base64url header "{"..., payload, signature. */
	if (strncmp(s, "eyJ", 3) == 0 &&
	    (a = span_of(s, jwt, SIZE_MAX)) >= 10 && s[a] == '.' &&
	    (b = span_of(s + a + 1, jwt, SIZE_MAX)) > 0 &&
	    s[a + 1 + b] == '.')
		return (a + 2 + b + span_of(s + a + 2 + b, jwt, SIZE_MAX));
	return (0);
}

/* The length of a private key block at s, to its END line or the end. */
static size_t
envmask_pem_at(const char *s)
{
	const char *hdr, *end;

	if (strncmp(s, "-----BEGIN ", 11) != 0 ||
	    (hdr = strstr(s + 11, "-----")) == NULL)
		return (0);
	if (memmem(s, hdr - s, "PRIVATE KEY", 11) == NULL)
		return (0);
	if ((end = strstr(hdr + 5, "-----END ")) == NULL ||
	    (end = strstr(end + 9, "-----")) == NULL)
		return (strlen(s));
	return (end + 5 - s);
}

/*
 * A user name alone before '@' that looks like one (git, deploy,
 * ci-bot) is kept: lower case, at most 16 characters, 3 digits.
 */
static int
envmask_plain_user(const char *s, size_t n)
{
	size_t i, digits = 0;

	if (n == 0 || n > 16 || !islower((unsigned char)s[0]))
		return (0);
	for (i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			digits++;
		else if (!islower((unsigned char)s[i]) &&
		    strchr("._-", s[i]) == NULL)
			return (0);
	}
	return (digits <= 3);
}

/*
 * A URL's scheme and credentials at s: the password of user:PASSWORD@
 * and a token alone before '@' become "***". Adds what it keeps to b
 * and returns the length consumed, or 0.
 */
static size_t
envmask_url_at(struct envmask_buf *b, const char *s)
{
	const char *auth, *at, *colon;
	size_t n = 0, alen, i;

	if (!isalpha((unsigned char)s[0]))
		return (0);
	while (ENVMASK_SCHEME(s[n]))
		n++;
	if (strncmp(s + n, "://", 3) != 0)
		return (0);
	auth = s + n + 3;
	alen = strcspn(auth, "/?#\"'<>` \t\r\n");
	for (at = NULL, i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	buf_add(b, s, n + 3);
	if (at == NULL)
		return (n + 3);
	if ((colon = memchr(auth, ':', at - auth)) != NULL) {
		buf_add(b, auth, colon + 1 - auth);
		buf_add(b, ENVMASK_MASK, strlen(ENVMASK_MASK));
	} else if (envmask_plain_user(auth, at - auth))
		buf_add(b, auth, at - auth);
	else
		buf_add(b, ENVMASK_MASK, strlen(ENVMASK_MASK));
	buf_add(b, "@", 1);
	return (at + 1 - s);
}

/*
 * A query parameter with a secret name at s, just after '?' or '&'
 * ("access_token=..."): adds "name=***" to b and returns the length
 * consumed, or 0.
 */
static size_t
envmask_param_at(struct envmask_buf *b, const char *s)
{
	size_t n, v;
	char *name;
	int secret;

	n = span_of(s, ENVMASK_ALNUM "_.-", SIZE_MAX);
	if (n == 0 || s[n] != '=')
		return (0);
	name = xstrndup(s, n);
	secret = envmask_name(name);
	free(name);
	if (!secret)
		return (0);
	v = strcspn(s + n + 1, "&#\"'<> \t\r\n");
	buf_add(b, s, n + 1);
	buf_add(b, ENVMASK_MASK, strlen(ENVMASK_MASK));
	return (n + 1 + v);
}

/*
 * The value with its secrets masked: credentials inside URLs, secret
 * query parameters, tokens of well-known formats (GitHub, GitLab,
 * Slack, AWS, JWT, npm, PyPI, Stripe, Google) and private key blocks.
 */
char *
envmask_value(const char *value)
{
	struct envmask_buf b = { NULL, 0, 0 };
	const char *s = value;
	size_t n;
	int start;

	buf_add(&b, "", 0);
	while (*s != '\0') {
		start = s == value || !isalnum((unsigned char)s[-1]);
		if (start && ((n = envmask_pem_at(s)) > 0 ||
		    (n = envmask_token_at(s)) > 0)) {
			buf_add(&b, ENVMASK_MASK, strlen(ENVMASK_MASK));
			s += n;
			continue;
		}
		/* A scheme starts a word: "a.b.c" is read once. */
		if ((s == value || !ENVMASK_SCHEME(s[-1])) &&
		    (n = envmask_url_at(&b, s)) > 0) {
			s += n;
			continue;
		}
		buf_add(&b, s, 1);
		if ((*s == '?' || *s == '&') &&
		    (n = envmask_param_at(&b, s + 1)) > 0)
			s += n;
		s++;
	}
	return (b.s);
}

/* A variable's value as kept: "***" for a secret name, else masked. */
char *
envmask(const char *name, const char *value)
{
	if (envmask_name(name))
		return (xstrdup(ENVMASK_MASK));
	return (envmask_value(value));
}

/* NAME=VALUE strings as an object, secrets masked. */
json_t *
envmask_environ(char **env)
{
	json_t *o = json_object();
	char *eq, *name, *v;

	for (; env != NULL && *env != NULL; env++) {
		if ((eq = strchr(*env, '=')) == NULL || eq == *env)
			continue;
		name = xstrndup(*env, eq - *env);
		v = envmask(name, eq + 1);
		json_object_set_new(o, name, json_string(v));
		free(v);
		free(name);
	}
	return (o);
}
