/*
 * tls.h: TLS for the traffic to dagzd, on OpenSSL. Clients share one
 * verifying context per process (the system's CA store, plus the PEM
 * file DAGZ_CA_FILE names) and check that the certificate is the peer's
 * (its name, or its address for a literal one); dagzd reads its
 * certificate and key through tls_load_pair.
 */
#ifndef DAGZ_TLS_H
#define DAGZ_TLS_H

#include <stddef.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

struct bufferevent *tls_bufferevent_new(struct event_base *, const char *,
		    int, char *, size_t);
int		 tls_failure(struct bufferevent *, char *, size_t);
int		 tls_load_pair(const char *, const char *, char **, char **,
		    char *, size_t);

#endif
