/*
 * net.c: TCP for the nodes of one job: addresses written "HOST:PORT" or
 * "[V6]:PORT", a connect that gives up after a timeout, a listener on
 * every address, and the addresses of this machine a peer may reach.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "strv.h"
#include "timeutil.h"
#include "xmalloc.h"

int
net_split(const char *addr, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon, *end;
	size_t n;

	if (addr[0] == '[') {
		if ((end = strchr(addr, ']')) == NULL || end[1] != ':')
			return (-1);
		n = end - addr - 1;
		colon = end + 1;
		addr++;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL ||
		    strchr(addr, ':') != colon)
			return (-1);
		n = colon - addr;
	}
	if (n == 0 || n >= hostlen || colon[1] == '\0' ||
	    strlen(colon + 1) >= portlen ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return (-1);
	memcpy(host, addr, n);
	host[n] = '\0';
	strlcpy(port, colon + 1, portlen);
	return (0);
}

/* Connects fd to sa, or fails after timeout seconds. */
static int
net_connect_fd(int fd, const struct sockaddr *sa, socklen_t salen,
    double timeout)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int e = 0, ms;

	if (connect(fd, sa, salen) == 0)
		return (0);
	if (errno != EINPROGRESS)
		return (-1);
	pfd.fd = fd;
	pfd.events = POLLOUT;
	ms = timeout * 1000;
	for (;;) {
		switch (poll(&pfd, 1, ms)) {
		case -1:
			if (errno == EINTR)
				continue;
			return (-1);
		case 0:
			errno = ETIMEDOUT;
			return (-1);
		}
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		return (-1);
	if (e != 0) {
		errno = e;
		return (-1);
	}
	return (0);
}

int
net_dial(const char *addr, double timeout, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char host[256], port[16];
	double until = time_mono() + timeout, left;
	int fd = -1, rc, one = 1, saved = 0;

	if (net_split(addr, host, sizeof host, port, sizeof port) == -1) {
		snprintf(err, errlen, "'%s': not HOST:PORT", addr);
		return (-1);
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "'%s': %s", addr, gai_strerror(rc));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((left = until - time_mono()) <= 0) {
			saved = ETIMEDOUT;
			break;
		}
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (net_connect_fd(fd, ai->ai_addr, ai->ai_addrlen, left) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(err, errlen, "'%s': %s", addr, strerror(saved));
		return (-1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return (fd);
}

int
net_listen(const char *host, int *fds, int max, int *port, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char serv[16];
	int n = 0, fd, one = 1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	/* Every family on one port: the first listener's, picked by the OS. */
	*port = 0;
	for (;;) {
		snprintf(serv, sizeof serv, "%d", *port);
		if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
			snprintf(err, errlen, "'%s': %s", host != NULL ? host :
			    "*", gai_strerror(rc));
			return (-1);
		}
		for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd == -1)
				continue;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof one);
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				    sizeof one);
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
			    listen(fd, 64) == -1) {
				close(fd);
				continue;
			}
			if (*port == 0) {
				sslen = sizeof ss;
				getsockname(fd, (struct sockaddr *)&ss, &sslen);
				*port = ntohs(ss.ss_family == AF_INET6 ?
				    ((struct sockaddr_in6 *)&ss)->sin6_port :
				    ((struct sockaddr_in *)&ss)->sin_port);
				fds[n++] = fd;
				break;
			}
			fds[n++] = fd;
		}
		freeaddrinfo(res);
		/* The port is chosen: now the other families on it. */
		if (n == 1 && ai != NULL && strcmp(serv, "0") == 0)
			continue;
		break;
	}
	if (n == 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s",
		    host != NULL ? host : "*", strerror(errno));
		return (-1);
	}
	return (n);
}

char **
net_local_addresses(int port)
{
	struct ifaddrs *ifa, *i;
	char host[INET6_ADDRSTRLEN], *a, **v = NULL, **lo = NULL;
	const struct sockaddr_in6 *s6;
	size_t k;

	if (getifaddrs(&ifa) == -1)
		return (NULL);
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)
			    i->ifa_addr)->sin_addr, host, sizeof host);
		else if (i->ifa_addr->sa_family == AF_INET6) {
			s6 = (const struct sockaddr_in6 *)i->ifa_addr;
			/* A link-local address needs a scope no peer knows. */
			if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
				continue;
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		} else
			continue;
		if (i->ifa_addr->sa_family == AF_INET6)
			xasprintf(&a, "[%s]:%d", host, port);
		else
			xasprintf(&a, "%s:%d", host, port);
		/* Loopback last: it reaches only a node on this machine. */
		if (i->ifa_flags & IFF_LOOPBACK)
			lo = strv_push(lo, a);
		else
			v = strv_push(v, a);
		free(a);
	}
	freeifaddrs(ifa);
	for (k = 0; lo != NULL && lo[k] != NULL; k++)
		v = strv_push(v, lo[k]);
	strv_free(lo);
	return (v);
}
