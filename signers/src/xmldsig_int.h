/*
 * XMLDSig internals shared by the verifier (xmldsig.c), the signer (xmldsig_sign.c) and the
 * algorithm table (xmldsig_alg.c). One implementation: our own reference processing on top of
 * libxml2's C14N, hashing with OpenSSL (or a backend hash), signatures through qtb_sig_verify.
 *
 * The GOST backend extends this by filling the `hash` hook of the GOST digest entries and
 * clearing `unavailable` of the GOST signature entries in xmldsig_alg.c; nothing else changes.
 */
#ifndef QTB_XMLDSIG_INT_H
#define QTB_XMLDSIG_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include <qtb/common.h>
#include <qtb/limits.h>
#include <qtb/p12.h>

#define QTB_DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define QTB_DSIG11_NS "http://www.w3.org/2009/xmldsig11#"
#define QTB_EXC_C14N_NS "http://www.w3.org/2001/10/xml-exc-c14n#"

#define QTB_XML_MAX_DIGEST 64 /* bytes: SHA-512 / Streebog-512 */

/* DigestMethod. Either `md` (an OpenSSL digest name) or `hash` is used. */
typedef struct qtb_xml_digest_alg {
    const char *uri;
    const char *name; /* "SHA-256": for reports */
    const char *md;   /* OpenSSL fetch name, or NULL */
    /* One-shot hash for digests OpenSSL cannot stream (GOST); *out_len set. */
    int (*hash)(unsigned char *out, size_t *out_len, const unsigned char *in, size_t len);
    /* Non-NULL: known, but not checked (the reason names the algorithm). */
    const char *unavailable;
} qtb_xml_digest_alg;

typedef enum qtb_xml_sig_kind {
    QTB_XSIG_PKEY = 1, /* public-key signature, checked by qtb_sig_verify */
    QTB_XSIG_HMAC = 2, /* shared secret: refused for documents unless the caller allows it */
} qtb_xml_sig_kind;

typedef enum qtb_xml_sig_format {
    QTB_XSIG_RAW = 1,   /* the bytes as the backend takes them (RSA, GOST r||s LE) */
    QTB_XSIG_RS_BE = 2, /* XMLDSig ECDSA/DSA: r||s big-endian, re-encoded as DER for OpenSSL */
} qtb_xml_sig_format;

/* SignatureMethod. */
typedef struct qtb_xml_sig_alg {
    const char *uri;
    const char *name; /* "RSA-SHA256" */
    qtb_xml_sig_kind kind;
    const char *oid; /* signatureAlgorithm OID handed to qtb_sig_verify (PKEY) */
    const char *md;  /* OpenSSL digest name (HMAC, and signing) */
    qtb_xml_sig_format format;
    const char *key_type; /* "RSA", "EC", "DSA", "GOST": the key this method needs */
    const char *unavailable;
} qtb_xml_sig_alg;

/* C14N method (CanonicalizationMethod or Transform). */
typedef struct qtb_xml_c14n_alg {
    const char *uri;
    int mode; /* xmlC14NMode */
    bool comments;
} qtb_xml_c14n_alg;

const qtb_xml_digest_alg *qtb_xml_digest_alg_find(const char *uri);
const qtb_xml_sig_alg *qtb_xml_sig_alg_find(const char *uri);
const qtb_xml_c14n_alg *qtb_xml_c14n_alg_find(const char *uri);
/*
 * True for a URI that names some GOST variant (Kalkan's pkigovkz namespace, or "gost" in it):
 * an unknown one is an unsupported algorithm (CRYPTO_CONSTRAINTS_FAILURE), not a format error.
 */
bool qtb_xml_uri_is_gost(const char *uri);

/*
 * Parse untrusted XML: no network, no file system, no DTD at all (a DOCTYPE stops the parser
 * before its internal subset is read, so no entity is ever declared or expanded), nesting and
 * node count bounded. *out is freed with xmlFreeDoc.
 * Returns 0, QTB_EPARSE (message says why), QTB_ETOOBIG.
 */
int qtb_xml_parse(xmlDocPtr *out, const unsigned char *xml, size_t len) QTB_MUST_USE;

/* A node set as a Reference selects it (XMLDSig §4.4.3.3), for the C14N visibility callback. */
typedef struct qtb_xml_nodeset {
    const xmlNode *root; /* subtree selected by the URI; NULL: the whole document */
    const xmlNode *excl[QTB_MAX_SIGNERS + QTB_MAX_XML_TRANSFORMS]; /* left out */
    size_t nexcl;
    bool excl_all_sigs; /* the XPath not(ancestor-or-self::dsig:Signature) */
    bool comments;      /* URI="" and "#id" drop comments; #xpointer(...) keeps them */
} qtb_xml_nodeset;

struct qtb_buf;
/* Canonicalize `s` (xmlC14NMode `mode`) into the digest `md` when set, else into `buf`. */
int qtb_xml_c14n(EVP_MD_CTX *md, struct qtb_buf *buf, xmlDocPtr doc, qtb_xml_nodeset *s, int mode,
                 bool comments) QTB_MUST_USE;

/* qtb_xml_sign, with Reference URI="#ref_id" (exc-c14n) instead of "" when ref_id is set:
 * the SAML / WS-Security shape, used by the tests of signature wrapping. */
int qtb_xml_sign_id(char **out, size_t *out_len, const unsigned char *xml, size_t xml_len,
                    const qtb_p12 *key, const char *ref_id) QTB_MUST_USE;

/* Make libxml2 ready and silent in this thread (its error callbacks are per thread). */
void qtb_xml_thread_init(void);

/* Is `n` an element in the XMLDSig namespace with this local name? */
bool qtb_xml_is_dsig(const xmlNode *n, const char *local);

#endif
