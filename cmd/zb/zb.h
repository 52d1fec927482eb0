/* zb.h: what zb's subcommands share. */
#ifndef ZB_H
#define ZB_H

#include <stddef.h>

#include <jansson.h>

/* Options every listing takes. */
struct zb_opts {
	int		 json;		/* NDJSON even on a terminal */
	long long	 limit;		/* 0: the subcommand's default */
	double		 since;		/* unix time; 0: none */
};

struct zb_cmd {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;		/* after "zb NAME " */
	const char	*what;
};

/* A column of a table: the key of each row, and how to show it. */
enum zb_kind { ZB_STR, ZB_INT, ZB_SECS, ZB_TIME, ZB_RATE };
struct zb_col {
	const char	*title;
	const char	*key;
	enum zb_kind	 kind;
	int		 max;		/* widest it may be; 0: any */
};

/* zb.c */
void	 zb_usage(const char *) __attribute__((noreturn));

/* zb-common.c */
extern const char *zb_url;
void	 zb_connect(void);
json_t	*zb_get(const char *, ...) __attribute__((format(printf, 1, 2)));
json_t	*zb_get_lines(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
json_t	*zb_post(json_t *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
char	*zb_escape(const char *);
/* A job's ID or short ID, escaped for a URL; anything else exits 2. */
char	*zb_job_arg(const char *);
int	 zb_common_opt(struct zb_opts *, int, const char *);
int	 zb_tty(const struct zb_opts *);
void	 zb_table(const struct zb_opts *, const struct zb_col *, json_t *);
void	 zb_print_line(json_t *);
void	 zb_format(const struct zb_col *, json_t *, char *, size_t);

#define ZB_COMMON_LONGOPTS \
	{ "json", no_argument, NULL, 'J' }, \
	{ "limit", required_argument, NULL, 'n' }, \
	{ "since", required_argument, NULL, 'S' }

/* One function per subcommand, each in its own file. */
int	 zb_cases(int, char **);
int	 zb_daemon(int, char **);
int	 zb_flaky(int, char **);
int	 zb_init(int, char **);
int	 zb_job(int, char **);
int	 zb_jobs(int, char **);
int	 zb_junit(int, char **);
int	 zb_logs(int, char **);
int	 zb_quarantine(int, char **);
int	 zb_span_logs(int, char **);
int	 zb_select_tests(int, char **);
int	 zb_spans(int, char **);
int	 zb_tests(int, char **);

#endif
