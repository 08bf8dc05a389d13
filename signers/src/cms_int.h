/*
 * CMS SignedData (RFC 5652) as qoltanba reads it: a bounded BER walk that keeps pointers into
 * the caller's bytes, so the signature is always checked over the signedAttrs exactly as they
 * were received (RFC 5652 §5.4: the DER of the SET, tag 0xA0 read as 0x31). OpenSSL's CMS
 * decoder re-encodes them, which breaks on signers whose SET OF is not in DER order, and it
 * decodes every embedded certificate's key again per document.
 */
#ifndef QTB_CMS_INT_H
#define QTB_CMS_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <qtb/common.h>
#include <qtb/limits.h>
#include <qtb/trust.h>

#include "gost.h"

/* ---- BER -------------------------------------------------------------------------------- */

/* Nesting depth accepted for indefinite-length (BER) elements. */
#define QTB_BER_MAX_DEPTH 24u

typedef struct qtb_ber {
    uint8_t tag;              /* the identifier octet (low-tag-number form only) */
    bool constructed;         /* bit 6 of the identifier */
    bool indefinite;          /* BER indefinite length (ends with 00 00) */
    const unsigned char *tlv; /* the whole element, end-of-contents octets included */
    size_t tlv_len;
    const unsigned char *val; /* the contents, end-of-contents octets excluded */
    size_t val_len;
} qtb_ber;

/* Read the element that starts at p[0] (at most len bytes). QTB_EPARSE when malformed. */
int qtb_ber_read(qtb_ber *out, const unsigned char *p, size_t len, unsigned depth) QTB_MUST_USE;

/* Iterate the children of a constructed element. */
typedef struct qtb_ber_iter {
    const unsigned char *p;
    size_t left;
    unsigned depth;
} qtb_ber_iter;

void qtb_ber_iter_init(qtb_ber_iter *it, const qtb_ber *parent, unsigned depth);
/* 1 with *out set, 0 at the end, negative when malformed. */
int qtb_ber_next(qtb_ber_iter *it, qtb_ber *out) QTB_MUST_USE;

/* Call cb over the octets of an OCTET STRING, primitive or constructed (BER chunks). */
typedef int (*qtb_ber_octets_cb)(void *ctx, const unsigned char *p, size_t n);
int qtb_ber_octets(const qtb_ber *os, unsigned depth, qtb_ber_octets_cb cb, void *ctx) QTB_MUST_USE;

/*
 * Read a file to its end in 64 KiB chunks, calling cb on each in order. QTB_EIO, QTB_ETOOBIG beyond
 * QTB_MAX_DETACHED_CONTENT, or cb's error.
 */
int qtb_stream_file(const char *path, qtb_ber_octets_cb cb, void *ctx) QTB_MUST_USE;

/* ---- SignedData ---------------------------------------------------------------------------- */

typedef struct qtb_cms_signer_raw {
    long version;
    bool sid_is_ski;
    qtb_ber sid_issuer; /* Name (issuerAndSerialNumber) */
    qtb_ber sid_serial; /* INTEGER */
    qtb_ber sid_ski;    /* [0] IMPLICIT SubjectKeyIdentifier */
    qtb_ber digest_alg; /* AlgorithmIdentifier */
    bool has_signed_attrs;
    qtb_ber signed_attrs; /* [0] IMPLICIT SET OF Attribute, as received */
    qtb_ber sig_alg;
    qtb_ber sig; /* OCTET STRING (primitive) */
    bool has_unsigned_attrs;
    qtb_ber unsigned_attrs;
} qtb_cms_signer_raw;

typedef struct qtb_cms_raw {
    long version;
    qtb_ber econtent_type; /* OBJECT IDENTIFIER */
    bool has_econtent;
    qtb_ber econtent; /* OCTET STRING, possibly constructed */
    size_t ncerts;
    qtb_ber certs[QTB_MAX_CMS_CERTS]; /* the Certificate choices of `certificates` */
    size_t nsigners;
    qtb_cms_signer_raw signers[QTB_MAX_SIGNERS];
} qtb_cms_raw;

/* Parse a ContentInfo holding SignedData. Everything points into `der`. QTB_EPARSE/ETOOBIG. */
int qtb_cms_parse(qtb_cms_raw *out, const unsigned char *der, size_t len) QTB_MUST_USE;

/*
 * What a file that is not what the caller wanted holds instead ("an X.509 certificate", "a
 * PKCS#12 key store", "a CMS signature", "a CRL", "an OCSP response", "a PDF document", ...),
 * judged by its shape (DER, PEM or bare base64), for error messages; NULL when unrecognised.
 * A static string. Never fails.
 */
const char *qtb_describe_input(const unsigned char *in, size_t len);

/*
 * When `in` is recognisably something other than `wanted` (one of qtb_describe_input's names),
 * write "this is X, not NOUN" plus a hint for the usual mix-ups into `buf` and return true.
 */
bool qtb_wrong_kind(char *buf, size_t cap, const unsigned char *in, size_t len, const char *wanted,
                    const char *noun);

/* OIDs (contents octets of the OBJECT IDENTIFIER). */
bool qtb_ber_oid_eq(const qtb_ber *oid, const unsigned char *want, size_t want_len);
#define QTB_OID_EQ(ber, arr) qtb_ber_oid_eq((ber), (arr), sizeof(arr))

extern const unsigned char qtb_oid_signed_data[9];
extern const unsigned char qtb_oid_data[9];
extern const unsigned char qtb_oid_content_type[9];
extern const unsigned char qtb_oid_message_digest[9];
extern const unsigned char qtb_oid_signing_time[9];
extern const unsigned char qtb_oid_countersignature[9];
extern const unsigned char qtb_oid_tst_info[11];
extern const unsigned char qtb_oid_timestamp_token[11];

/* ---- the trust set's untrusted pool (cms_trust.c) ------------------------------------------- */

size_t qtb_trust_untrusted_count(const qtb_trust *t);
/* Borrowed; NULL past the end. */
X509 *qtb_trust_untrusted_get(const qtb_trust *t, size_t i);

/* ---- digests: streaming, so detached content is read once for every signer ------------------ */

/*
 * A message digest chosen by an AlgorithmIdentifier. EVP covers SHA-1/2/3; the GOST hashes of
 * NCA (34.311-95 with the test S-box, 34.11-2015/256 and /512) come from the gost module.
 */
typedef struct qtb_md {
    EVP_MD_CTX *ctx; /* NULL for a GOST hash */
    bool gost;
    qtb_gost_md g;
    char name[64]; /* the algorithm as users know it, for messages */
} qtb_md;

/* QTB_EUNSUPPORTED (naming the algorithm) when no backend has it. */
int qtb_md_init(qtb_md *md, const X509_ALGOR *alg) QTB_MUST_USE;
int qtb_md_update(qtb_md *md, const void *p, size_t n) QTB_MUST_USE;
int qtb_md_final(qtb_md *md, unsigned char *out, size_t *out_len) QTB_MUST_USE;
void qtb_md_dispose(qtb_md *md);
/* One-shot digest of a buffer. */
int qtb_md_digest(unsigned char *out, size_t *out_len, const X509_ALGOR *alg,
                  const unsigned char *p, size_t n) QTB_MUST_USE;

/* The dotted or short name of an algorithm, for messages. */
void qtb_algor_name(char *buf, size_t cap, const X509_ALGOR *alg);

/* ---- signing with a Kazakh GOST key (cms_sign_gost.c) ------------------------------------------
 */

struct qtb_p12;
struct qtb_cms_sign_options;
/*
 * qtb_cms_sign for a store holding a GOST key: Kalkan's SignedData, assembled as DER; with
 * add_to the earlier SignerInfos, certificates and content are kept byte for byte.
 */
int qtb_cms_sign_gost(unsigned char **out, size_t *out_len, const struct qtb_p12 *key,
                      const struct qtb_cms_sign_options *o) QTB_MUST_USE;

#endif
