/* dagzd-web.h: what the dashboard's files share among themselves. */
#ifndef DAGZD_WEB_H
#define DAGZD_WEB_H

#include <stddef.h>

struct evbuffer;
struct http_req;
struct dagzd;

/* A file of cmd/dagzd/web, compiled in by embed.sh. */
struct web_asset {
	const char		*name;
	const char		*ctype;
	const unsigned char	*data;
	size_t			 len;
};

extern const struct web_asset	web_assets[];
extern const size_t		web_nassets;

#define WEB_PAGE_ROWS	500	/* rows of a long table a page */

void	 web_begin(struct dagzd *, struct evbuffer *, const char *);
void	 web_end(struct evbuffer *);
void	 web_send(struct http_req *, int, struct evbuffer *);
void	 web_not_found(struct dagzd *, struct http_req *, const char *,
	    const char *);
void	 web_html(struct evbuffer *, const char *);
void	 web_htmln(struct evbuffer *, const char *, size_t);
void	 web_url(struct evbuffer *, const char *);
void	 web_status(struct evbuffer *, const char *, const char *);
void	 web_time(struct evbuffer *, double);
void	 web_time_iso(struct evbuffer *, const char *);
void	 web_duration(struct evbuffer *, double);
void	 web_log(struct evbuffer *, const void *, size_t);
void	 web_test_link(struct evbuffer *, const char *, const char *);
void	 web_chips(struct dagzd *, struct evbuffer *, long long, const char *,
	    long long);

#endif
