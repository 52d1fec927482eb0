/*
 * tls.c: TLS for the traffic to dagzd, on OpenSSL and libevent's OpenSSL
 * bufferevents. The client context is made once, on first use, and
 * verifies every peer; a connection records why its verification failed,
 * so that the error names the reason rather than "connection closed".
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "slurp.h"
#include "tls.h"
#include "xmalloc.h"

/* What a connection learnt of its failure, hung on its SSL. */
struct tls_peer {
	char	verify[160];	/* the first verification error */
};

static SSL_CTX	*tls_ctx;
static int	 tls_index = -1;

static void
tls_peer_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	free(ptr);
}

/* The reason of OpenSSL's latest error, its queue emptied. */
static void
tls_openssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, len, "%s", r != NULL ? r : "unknown error");
	ERR_clear_error();
}

/*
 * Records the first certificate error of a handshake. OpenSSL fails the
 * handshake anyway (SSL_VERIFY_PEER); this keeps its reason, which the
 * SSL object forgets when libevent clears it for a reconnection.
 */
static int
tls_verify(int ok, X509_STORE_CTX *xs)
{
	struct tls_peer *p;
	SSL *ssl;

	if (ok)
		return (1);
	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl != NULL && (p = SSL_get_ex_data(ssl, tls_index)) != NULL &&
	    p->verify[0] == '\0')
		snprintf(p->verify, sizeof p->verify, "%s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)));
	return (0);
}

/*
 * The process's client context: TLS 1.2 or later, peers verified against
 * the system's CA store and DAGZ_CA_FILE. NULL, with err set, when
 * DAGZ_CA_FILE cannot be used; it is asked again next time.
 */
static SSL_CTX *
tls_client_ctx(char *err, size_t errlen)
{
	const char *ca = getenv("DAGZ_CA_FILE");
	char why[128];
	SSL_CTX *ctx;

	if (tls_ctx != NULL)
		return (tls_ctx);
	if (tls_index == -1 && (tls_index = SSL_get_ex_new_index(0, NULL,
	    NULL, NULL, tls_peer_free)) == -1) {
		tls_openssl_reason(why, sizeof why);
		snprintf(err, errlen, "cannot set up TLS: %s", why);
		return (NULL);
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		tls_openssl_reason(why, sizeof why);
		snprintf(err, errlen, "cannot set up TLS: %s", why);
		return (NULL);
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify);
	/* No system store is not an error: DAGZ_CA_FILE may be enough. */
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		ERR_clear_error();
	if (ca != NULL && *ca != '\0' &&
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		if (access(ca, R_OK) == -1)
			snprintf(why, sizeof why, "%s", strerror(errno));
		else
			tls_openssl_reason(why, sizeof why);
		ERR_clear_error();
		snprintf(err, errlen, "cannot use DAGZ_CA_FILE '%s': %s", ca,
		    why);
		SSL_CTX_free(ctx);
		return (NULL);
	}
	tls_ctx = ctx;
	return (tls_ctx);
}

/*
 * A client bufferevent, not yet connected, that verifies the peer it
 * will be connected to as host (a name, or an IPv4 or IPv6 address
 * without brackets) and names it by SNI; options are those of
 * bufferevent_socket_new.
 * NULL, with err set, when TLS cannot be set up.
 */
struct bufferevent *
tls_bufferevent_new(struct event_base *base, const char *host, int options,
    char *err, size_t errlen)
{
	struct in6_addr a6;
	struct in_addr a4;
	struct tls_peer *p;
	struct bufferevent *bev;
	char why[128];
	SSL_CTX *ctx;
	SSL *ssl;
	int ok;

	if ((ctx = tls_client_ctx(err, errlen)) == NULL)
		return (NULL);
	if ((ssl = SSL_new(ctx)) == NULL) {
		tls_openssl_reason(why, sizeof why);
		snprintf(err, errlen, "cannot set up TLS: %s", why);
		return (NULL);
	}
	p = xcalloc(1, sizeof *p);
	SSL_set_ex_data(ssl, tls_index, p);
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1)
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	else
		ok = SSL_set_tlsext_host_name(ssl, host) == 1 &&
		    SSL_set1_host(ssl, host) == 1;
	if (!ok) {
		tls_openssl_reason(why, sizeof why);
		snprintf(err, errlen, "cannot verify TLS peer '%s': %s", host,
		    why);
		SSL_free(ssl);
		return (NULL);
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, options);
	if (bev == NULL) {
		snprintf(err, errlen, "cannot set up TLS: "
		    "bufferevent_openssl_socket_new failed");
		if (!(options & BEV_OPT_CLOSE_ON_FREE))
			SSL_free(ssl);
		return (NULL);
	}
	/* A peer closing without close_notify ends the stream, no more. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return (bev);
}

/*
 * Why the TLS connection of bev failed, into err: "certificate verify
 * failed: REASON", "TLS handshake failed: REASON", or "connection failed:
 * REASON" for the socket under it. Returns 0 when TLS knows of no failure
 * (bev is not a TLS one, or it saw no error). What is reported is
 * forgotten, for the next connection.
 */
int
tls_failure(struct bufferevent *bev, char *err, size_t errlen)
{
	struct tls_peer *p;
	unsigned long e, last = 0;
	const char *r;
	SSL *ssl;

	if (bev == NULL || (ssl = bufferevent_openssl_get_ssl(bev)) == NULL)
		return (0);
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		last = e;
	p = SSL_get_ex_data(ssl, tls_index);
	if (p != NULL && p->verify[0] != '\0') {
		snprintf(err, errlen, "certificate verify failed: %s",
		    p->verify);
		p->verify[0] = '\0';
		return (1);
	}
	/*
	 * libevent queues SSL_ERROR_SYSCALL itself (library 0) when the
	 * socket under TLS failed: that is for the caller to explain.
	 */
	if (last == 0 || ERR_GET_LIB(last) == 0)
		return (0);
	if (ERR_GET_LIB(last) == ERR_LIB_SYS) {
		snprintf(err, errlen, "connection failed: %s",
		    strerror(ERR_GET_REASON(last)));
		return (1);
	}
	r = ERR_reason_error_string(last);
	snprintf(err, errlen, "TLS handshake failed: %s",
	    r != NULL ? r : "unknown error");
	return (1);
}

static int
tls_no_passphrase(char *buf, int size, int rw, void *arg)
{
	return (-1);
}

/*
 * Reads a server's certificate (with its chain) and private key, both
 * PEM, and checks that they are a pair: *certpem and *keypem get the
 * files' text. -1, with err set to one line, when they are not.
 */
int
tls_load_pair(const char *certfile, const char *keyfile, char **certpem,
    char **keypem, char *err, size_t errlen)
{
	char *cert = NULL, *key = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	BIO *bio;
	size_t n;
	int rc = -1;

	if ((cert = slurp_file(certfile, &n)) == NULL) {
		snprintf(err, errlen, "--tls-cert: cannot read '%s': %s",
		    certfile, strerror(errno));
		goto out;
	}
	if ((key = slurp_file(keyfile, &n)) == NULL) {
		snprintf(err, errlen, "--tls-key: cannot read '%s': %s",
		    keyfile, strerror(errno));
		goto out;
	}
	if ((bio = BIO_new_mem_buf(cert, -1)) != NULL) {
		x = PEM_read_bio_X509(bio, NULL, tls_no_passphrase, NULL);
		BIO_free(bio);
	}
	if (x == NULL) {
		ERR_clear_error();
		snprintf(err, errlen, "--tls-cert: no PEM certificate in '%s'",
		    certfile);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(key, -1)) != NULL) {
		pkey = PEM_read_bio_PrivateKey(bio, NULL, tls_no_passphrase,
		    NULL);
		BIO_free(bio);
	}
	if (pkey == NULL) {
		ERR_clear_error();
		snprintf(err, errlen, "--tls-key: no unencrypted PEM private "
		    "key in '%s'", keyfile);
		goto out;
	}
	if (X509_check_private_key(x, pkey) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "--tls-key: the key in '%s' does not "
		    "match the certificate in '%s'", keyfile, certfile);
		goto out;
	}
	*certpem = cert;
	*keypem = key;
	cert = key = NULL;
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(pkey);
	free(cert);
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(key);
	return (rc);
}
