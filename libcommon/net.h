/*
 * net.h: TCP between the nodes of one job. An address is "HOST:PORT",
 * or "[V6]:PORT" for an IPv6 literal.
 */
#ifndef DAGZ_NET_H
#define DAGZ_NET_H

#include <stddef.h>

/* HOST and PORT of addr; -1 if it is not of that form. */
int	 net_split(const char *, char *, size_t, char *, size_t);

/* A connected, non-blocking socket to addr, within timeout seconds. */
int	 net_dial(const char *, double, char *, size_t);

/*
 * Listening sockets (at most max, in fds) on host (NULL: every
 * address), IPv4 and IPv6, on one port the system picks; their number.
 */
int	 net_listen(const char *, int *, int, int *, char *, size_t);

/* Where this machine can be reached on port: loopback last (strv). */
char	**net_local_addresses(int);

#endif
