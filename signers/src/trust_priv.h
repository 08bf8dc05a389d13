/*
 * Inside the trust set: shared by trust.c (loading, cache), path.c (building and validating
 * paths) and crl.c (revocation), and by the online revocation sources (revocation_int.h).
 */
#ifndef QTB_TRUST_PRIV_H
#define QTB_TRUST_PRIV_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "trust_int.h"

#define QTB_FP_LEN 32 /* SHA-256 */

/* What messages and validity checks need of a certificate, computed once per certificate. */
typedef struct qtb_certmeta {
    int64_t not_before;
    int64_t not_after;
    bool times_ok;   /* both times were readable */
    char label[128]; /* qtb_cert_label */
} qtb_certmeta;

void qtb_certmeta_init(qtb_certmeta *m, const X509 *x);

/* A certificate with what every validation needs precomputed once. */
typedef struct qtb_tcert {
    qtb_certmeta meta;
    X509 *x;
    unsigned char *der; /* the encoding (OPENSSL_malloc'd), its signed part as received */
    size_t der_len;
    unsigned char fp[QTB_FP_LEN];
} qtb_tcert;

typedef struct qtb_tcrl {
    X509_CRL *crl;
    unsigned char *der; /* OPENSSL_malloc'd */
    size_t der_len;
    unsigned char fp[QTB_FP_LEN];
    int64_t this_update;
    int64_t next_update; /* 0 when the CRL has none */
    char this_update_text[32];
    bool delta; /* deltaCRLIndicator present: applied to its full CRL (qtb_crl_apply_delta) */
    char *file; /* where it was loaded from, for messages */
    /* from qtb_crl_profile, at load time */
    ISSUING_DIST_POINT *idp; /* its scope, or NULL */
    ASN1_OCTET_STRING *akid; /* authorityKeyIdentifier keyIdentifier, or NULL */
    bool unusable;           /* a critical extension or a scope we do not process */
    char unusable_why[128];
} qtb_tcrl;

/*
 * Verdicts of signatures already checked, keyed by (signed object, signer certificate)
 * fingerprints. Direct-mapped, fixed size, never allocates after creation; a colliding entry
 * replaces the older one. Readers share a read lock, so threads validating documents that
 * share a chain do not serialise on it.
 */
#define QTB_SIG_CACHE_SLOTS 1024u

typedef struct qtb_sig_cache_slot {
    unsigned char subject[QTB_FP_LEN];
    unsigned char signer[QTB_FP_LEN];
    uint8_t state; /* 0 empty, 1 valid signature, 2 invalid signature */
} qtb_sig_cache_slot;

typedef struct qtb_sig_cache {
    pthread_rwlock_t lock;
    qtb_sig_cache_slot slots[QTB_SIG_CACHE_SLOTS];
} qtb_sig_cache;

struct qtb_trust {
    qtb_tcert *anchors;
    size_t nanchors, anchors_cap;
    qtb_tcert *untrusted;
    size_t nuntrusted, untrusted_cap;
    qtb_tcrl *crls;
    size_t ncrls, crls_cap;
    EVP_MD *sha256;             /* fetched once: no per-call method-store lookups */
    qtb_sig_cache *cache;       /* mutable behind a const qtb_trust: its own lock */
    struct qtb_revocation *rev; /* online revocation (revocation.c), borrowed; NULL: CRLs only */
};

/* SHA-256 of bytes with the trust set's prefetched digest. */
int qtb_trust_fingerprint(unsigned char out[QTB_FP_LEN], const qtb_trust *t,
                          const unsigned char *data, size_t len) QTB_MUST_USE;

/* Cache lookups: returns 1 (valid) / 0 (invalid) when known, -1 when not cached. */
int qtb_sig_cache_get(const qtb_trust *t, const unsigned char subject[QTB_FP_LEN],
                      const unsigned char signer[QTB_FP_LEN]);
void qtb_sig_cache_put(const qtb_trust *t, const unsigned char subject[QTB_FP_LEN],
                       const unsigned char signer[QTB_FP_LEN], int ok);

/* ASN1_TIME to seconds since the epoch. */
int qtb_asn1_time_to_epoch(int64_t *out, const ASN1_TIME *t) QTB_MUST_USE;

/* A printable one-line RFC 2253-style name (UTF-8, control characters replaced). */
void qtb_name_label(char *buf, size_t cap, const X509_NAME *name);
/* A printable one-line label of a certificate (its CN, else its whole subject). */
void qtb_cert_label(char *buf, size_t cap, const X509 *x);

/* ---- revocation (crl.c) ------------------------------------------------------------------- */

typedef enum qtb_rev_status {
    QTB_REV_GOOD = 0,      /* not listed on a usable, fresh CRL */
    QTB_REV_NOT_CHECKED,   /* the trust set has no CRL of this issuer */
    QTB_REV_REVOKED,       /* listed, revoked at or before sig_time */
    QTB_REV_REVOKED_LATER, /* listed, revoked after sig_time */
    QTB_REV_STALE,         /* the newest usable CRL is not fresh and does not list it */
    QTB_REV_UNUSABLE,      /* CRLs of this issuer exist, none could be used */
} qtb_rev_status;

typedef struct qtb_rev_result {
    qtb_rev_status status;
    int64_t revocation_time;
    int reason; /* CRL reason code, -1 when none */
    char note[200];
    /* the OCSP response that decided (qtb_malloc'd, the receiver frees it), else NULL */
    unsigned char *ocsp_der;
    size_t ocsp_der_len;
    char ocsp_url[128];
} qtb_rev_result;

/* Read what decides whether a CRL can be used (extensions, scope); once, when it is loaded. */
int qtb_crl_profile(qtb_tcrl *c) QTB_MUST_USE;

/*
 * The revocation status of `subject` (DER `subject_der`) from the trust set's CRLs issued by
 * `issuer` (whose fingerprint is `issuer_fp`). Returns 0 with the verdict in *out, negative
 * on internal failure. The newest full CRL decides, with the newest delta CRL issued for it
 * applied; a delta alone can only say "revoked".
 */
int qtb_crl_check(qtb_rev_result *out, const qtb_trust *t, X509 *subject, X509 *issuer,
                  const unsigned char issuer_fp[QTB_FP_LEN], bool subject_is_ca, int64_t sig_time,
                  int64_t now) QTB_MUST_USE;

/* A CRL's cRLNumber (nid NID_crl_number) or BaseCRLNumber (NID_delta_crl); -1 when absent. */
int64_t qtb_crl_number(X509_CRL *crl, int nid);

/*
 * Apply the delta CRL `d` (RFC 5280 §5.2.4; issuer, scope and signature already checked) to the
 * verdict `out` that the full CRL `base` gave. Used only when d's BaseCRLNumber is not newer
 * than base's cRLNumber and d is newer than base. Listed on d: revoked (a hold on a stale d says
 * nothing). Not listed on a fresh d: a stale base becomes current; removeFromCRL, or a hold in
 * the base that d does not release, is followed. A final revocation in the base stands.
 */
void qtb_crl_apply_delta(qtb_rev_result *out, const qtb_tcrl *base, const qtb_tcrl *d,
                         X509 *subject, int64_t sig_time, int64_t now);

#endif
