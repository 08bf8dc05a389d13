/*
 * Online revocation inside the library: OCSP requests and responses (ocsp.c), the bounded HTTP
 * client (http_fetch.c) and the per-certificate hook path.c calls (revocation.c).
 */
#ifndef QTB_REVOCATION_INT_H
#define QTB_REVOCATION_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <qtb/revocation.h>

#include "internal.h"
#include "trust_priv.h"

/* ---- HTTP (http_fetch.c) ------------------------------------------------------------------ */

typedef struct qtb_http_opts {
    long timeout_ms;  /* whole transfer, per attempt */
    unsigned retries; /* extra attempts when the transfer fails (not on a non-200 answer) */
    size_t max_body;  /* a longer answer fails with QTB_ETOOBIG */
} qtb_http_opts;

/* Conditional GET (RFC 9110 §13): validators sent, and those of the answer kept. */
typedef struct qtb_http_cond {
    char etag[128];         /* in: If-None-Match when set; out: the answer's ETag */
    char last_modified[64]; /* in: If-Modified-Since when set; out: its Last-Modified */
    bool not_modified;      /* out: the server answered 304 (out->len is then 0) */
} qtb_http_cond;

/*
 * POST `body` (when body != NULL, with `content_type`) or GET `url` (http or https only, no
 * redirects, no proxy from the environment). On 0, *out holds the body of a 200 answer.
 * QTB_ENET when the server cannot be reached or answers another status (said in the message),
 * QTB_ETOOBIG beyond max_body, QTB_EUNSUPPORTED without libcurl, QTB_EUSAGE for other schemes.
 */
int qtb_http_fetch(qtb_buf *out, const char *url, const char *content_type,
                   const unsigned char *body, size_t body_len, const qtb_http_opts *o,
                   qtb_http_cond *cond) QTB_MUST_USE;
bool qtb_http_available(void);

/* ---- OCSP (ocsp.c) ------------------------------------------------------------------------ */

#define QTB_OCSP_NONCE_LEN 16

typedef enum qtb_ocsp_verdict {
    QTB_OCSP_GOOD = 0,
    QTB_OCSP_REVOKED,
    QTB_OCSP_UNKNOWN, /* `unknown`, or NCA's not-issued convention */
    QTB_OCSP_INVALID, /* the response cannot be used (reason in note) */
} qtb_ocsp_verdict;

typedef struct qtb_ocsp_answer {
    qtb_ocsp_verdict verdict;
    int64_t revocation_time;
    int reason; /* CRLReason, -1 when none */
    int64_t produced_at;
    int64_t this_update;
    int64_t next_update; /* 0 when absent */
    char note[256];
} qtb_ocsp_answer;

/* A request for `cert` issued by `issuer`: SHA-256 CertID and, when nonce != NULL, a fresh
 * random nonce (written there). *der is OPENSSL_malloc'd. */
int qtb_ocsp_request(unsigned char **der, size_t *der_len, unsigned char nonce[QTB_OCSP_NONCE_LEN],
                     X509 *cert, X509 *issuer) QTB_MUST_USE;

/*
 * Judge an OCSPResponse (DER) about `cert` issued by `issuer`. Checks, in order: the response
 * status, a SingleResponse whose CertID (any hash OpenSSL knows) names `cert`, the responder
 * (the issuer itself, or a certificate carried in the response, issued by `issuer`, with
 * id-kp-OCSPSigning, valid at producedAt), the signature (qtb_sig_verify, so GOST works when
 * its backend does), the nonce when `nonce` is given (a different one fails; an absent one is
 * accepted and noted), and freshness at `now` (nextUpdate, else thisUpdate + max_age_s). A
 * response produced after `now` is accepted (validation as of a past time with a live
 * responder): a revocation is final, so "good" later means not revoked then (a certificateHold
 * lifted in between is the one case this misses).
 * Returns 0 with the verdict in *out (QTB_OCSP_INVALID says why); negative on internal failure.
 */
int qtb_ocsp_check(qtb_ocsp_answer *out, const unsigned char *der, size_t der_len, X509 *cert,
                   X509 *issuer, const unsigned char *nonce, int64_t now,
                   long max_age_s) QTB_MUST_USE;

/* The SHA-256 cache key of `cert`'s CertID under `issuer`. */
int qtb_ocsp_cache_key(unsigned char out[QTB_FP_LEN], X509 *cert, X509 *issuer) QTB_MUST_USE;

/* ---- downloaded CRLs (crlfetch.c) ---------------------------------------------------------- */

typedef struct qtb_crl_store qtb_crl_store;

/* `dir` (created if missing) keeps copies across processes; NULL: memory only. ttl_s < 0:
 * revalidate on every use (conditional GET). */
int qtb_crl_store_new(qtb_crl_store **out, const char *dir, long ttl_s) QTB_MUST_USE;
void qtb_crl_store_free(qtb_crl_store *s);

/*
 * The status of `subject` from the CRLs at its distribution points (or `url_override`; with a
 * `mirror`, each point's file name under that base URL), downloaded when the copy at hand is
 * older than the TTL (never when `offline`), then from the delta CRL of its freshestCRL points
 * when the full CRL does not list it. Same results as qtb_crl_check; NOT_CHECKED without a
 * distribution point; STALE (note says why) when no usable CRL could be had.
 */
int qtb_crl_fetch_check(qtb_rev_result *out, qtb_crl_store *s, const char *url_override,
                        const char *mirror, bool offline, const qtb_http_opts *ho, X509 *subject,
                        X509 *issuer, const unsigned char issuer_fp[QTB_FP_LEN], bool subject_is_ca,
                        int64_t sig_time, int64_t now) QTB_MUST_USE;

/* ---- the hook (revocation.c) -------------------------------------------------------------- */

/*
 * The revocation status of `subject` from the sources of t->rev in their order (OCSP only for
 * certificates that are not anchors). Same contract as qtb_crl_check; STALE carries every
 * source's failure in `note` when none decided.
 */
int qtb_rev_check(qtb_rev_result *out, const qtb_trust *t, X509 *subject, X509 *issuer,
                  const unsigned char issuer_fp[QTB_FP_LEN], bool subject_is_ca,
                  bool subject_is_anchor, int64_t sig_time, int64_t now) QTB_MUST_USE;

#endif
