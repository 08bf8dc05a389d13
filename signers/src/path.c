/*
 * Certification path building and validation (RFC 5280 §6, simplified as documented in
 * trust_int.h), qoltanba's own: every signature goes through qtb_sig_verify, so GOST chains are
 * checked by the GOST backend and nothing depends on OpenSSL's X509_STORE.
 *
 * Building: from the leaf, issuer candidates are the known certificates (anchors first, then
 * the trust set's untrusted pool, then the caller's `extra`) whose subject equals the issuer
 * name, narrowed by authorityKeyIdentifier/subjectKeyIdentifier when both are present, and
 * tried valid-at-sig_time first. A candidate is taken when the signature verifies; the path
 * ends at the first anchor (an anchor may be an intermediate: Kazakh deployments trust NCA's
 * issuing CA directly). Depth is bounded by QTB_MAX_CHAIN_DEPTH, the number of candidates tried
 * by QTB_MAX_PATH_TRIES, and no certificate appears twice.
 *
 * Validation of the path that was found, every time (nothing below is cached):
 *   - validity of every certificate at sig_time (anchors included, as OpenSSL does);
 *   - issuers: basicConstraints cA (a v1 self-signed anchor is accepted as a CA), keyUsage
 *     keyCertSign when keyUsage is present, pathLenConstraint, nameConstraints;
 *   - no certificate may carry a critical extension we do not process;
 *   - QTB_PATH_FOR_SIGNING: the leaf's keyUsage, when present, has digitalSignature or
 *     nonRepudiation. EKU is reported (qtb_path_result.leaf_eku), never enforced here;
 *   - revocation of every certificate below the anchor from the trust set's CRLs (crl.c), and
 *     of a non-self-signed anchor when its issuer and a CRL of that issuer are known.
 * When several checks fail, the verdict is the most serious, in this order: REVOKED,
 * NOT_YET_VALID (both TOTAL_FAILED), CHAIN_CONSTRAINTS_FAILURE, REVOKED_CA_NO_POE,
 * OUT_OF_BOUNDS_NO_POE, TRY_LATER.
 *
 * A CA certificate outside its validity at sig_time: expired gives OUT_OF_BOUNDS_NO_POE, as
 * EU DSS reports an expired intermediate (a proof of existence before the expiry would cure it,
 * exactly as for an expired leaf); not yet valid gives CHAIN_CONSTRAINTS_FAILURE (no proof of
 * existence can cure a signature made before its CA existed).
 */
#include <stdarg.h>
#include <stdio.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "report_int.h"
#include "revocation_int.h"
#include "sigalg.h"
#include "trust_priv.h"

/* ---- results ------------------------------------------------------------------------------ */

void qtb_path_result_init(qtb_path_result *r)
{
    memset(r, 0, sizeof(*r));
    r->indication = QTB_INDETERMINATE;
    r->sub = QTB_SUB_NONE;
}

void qtb_path_result_dispose(qtb_path_result *r)
{
    if (r == NULL) {
        return;
    }
    sk_X509_pop_free(r->chain, X509_free);
    for (size_t i = 0; i < r->nevidence; i++) {
        qtb_free(r->evidence[i].der);
    }
    qtb_path_result_init(r);
}

int qtb_path_result_report(json_t *obj, const qtb_path_result *pr)
{
    /* null when not validated; a message cut mid-character keeps the rest ('?' for the cut) */
    json_t *pv = pr != NULL ? qtb_json_string_lossy(pr->message) : NULL;
    if (json_object_set_new(obj, "pathValidation", pv != NULL ? pv : json_null()) != 0) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
    }
    json_t *ev = json_array();
    if (ev == NULL || json_object_set_new(obj, "revocationEvidence", ev) != 0) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
    }
    for (size_t i = 0; pr != NULL && i < pr->nevidence; i++) {
        char *b64 = NULL;
        QTB_TRY(qtb_base64_encode(&b64, pr->evidence[i].der, pr->evidence[i].der_len));
        json_t *item =
            json_pack("{s:s, s:s?, s:s}", "type", "ocsp", "url",
                      pr->evidence[i].url[0] ? pr->evidence[i].url : NULL, "response", b64);
        qtb_free(b64);
        if (item == NULL || json_array_append_new(ev, item) != 0) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory building a report");
        }
    }
    return 0;
}

/* ---- the pool of certificates a path can use ---------------------------------------------- */

typedef struct pnode {
    X509 *x;                  /* borrowed */
    const qtb_certmeta *meta; /* the trust set's, or own_meta */
    qtb_certmeta own_meta;
    const unsigned char *der;
    size_t der_len;
    unsigned char fp[QTB_FP_LEN];
    bool anchor;
    unsigned char *owned_der; /* OPENSSL_malloc'd, for certificates not from the trust set */
} pnode;

enum {
    FAIL_NONE = 0,
    FAIL_NO_CHAIN = 1,
    FAIL_SIGNATURE = 2,
    FAIL_CRYPTO = 3,
};

typedef struct pctx {
    const qtb_trust *t;
    int64_t sig_time;
    pnode leaf;
    pnode *pool;
    size_t npool;
    const pnode *chain[QTB_MAX_CHAIN_DEPTH];
    size_t depth;
    unsigned tries;
    /* the most telling failure while building */
    int fail;
    char fail_msg[512];
    const pnode *fail_chain[QTB_MAX_CHAIN_DEPTH];
    size_t fail_depth;
} pctx;

/* A node for a certificate from outside the trust set; its metadata is filled by node_meta. */
static int node_from_cert(pnode *n, const qtb_trust *t, X509 *x)
{
    memset(n, 0, sizeof(*n));
    n->x = x;
    int len = i2d_X509(x, &n->owned_der);
    if (len <= 0) {
        return QTB_FAIL_SSL(QTB_EPARSE, "cannot encode a certificate");
    }
    n->der = n->owned_der;
    n->der_len = (size_t)len;
    return qtb_trust_fingerprint(n->fp, t, n->der, n->der_len);
}

static void node_meta(pnode *n)
{
    qtb_certmeta_init(&n->own_meta, n->x);
    n->meta = &n->own_meta;
}

static void node_from_tcert(pnode *n, const qtb_tcert *c, bool anchor)
{
    n->x = c->x;
    n->meta = &c->meta;
    n->der = c->der;
    n->der_len = c->der_len;
    memcpy(n->fp, c->fp, QTB_FP_LEN);
    n->anchor = anchor;
}

static bool pool_has(const pctx *c, const unsigned char fp[QTB_FP_LEN])
{
    for (size_t i = 0; i < c->npool; i++) {
        if (memcmp(c->pool[i].fp, fp, QTB_FP_LEN) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Anchors, then the trust set's untrusted pool (the set keeps the two disjoint), then the
 * caller's certificates that are not already known.
 */
static int pool_build(pctx *c, X509 *leaf, STACK_OF(X509) * extra)
{
    const qtb_trust *t = c->t;
    QTB_TRY(node_from_cert(&c->leaf, t, leaf));
    node_meta(&c->leaf);
    size_t nextra = extra != NULL ? (size_t)sk_X509_num(extra) : 0;
    QTB_ENSURE(nextra <= QTB_MAX_CMS_CERTS, QTB_ETOOBIG,
               "%zu certificates offered for the path, at most %u accepted", nextra,
               QTB_MAX_CMS_CERTS);
    size_t total = t->nanchors + t->nuntrusted + nextra;
    c->pool = qtb_calloc(total > 0 ? total : 1, sizeof(pnode));
    if (c->pool == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < t->nanchors; i++) {
        node_from_tcert(&c->pool[c->npool++], &t->anchors[i], true);
        if (memcmp(t->anchors[i].fp, c->leaf.fp, QTB_FP_LEN) == 0) {
            c->leaf.anchor = true;
        }
    }
    for (size_t i = 0; i < t->nuntrusted; i++) {
        node_from_tcert(&c->pool[c->npool++], &t->untrusted[i], false);
    }
    for (size_t i = 0; i < nextra; i++) {
        X509 *x = sk_X509_value(extra, (int)i);
        if (x == NULL) {
            continue;
        }
        pnode *n = &c->pool[c->npool];
        QTB_TRY(node_from_cert(n, t, x));
        /* A copy of a known certificate uses the trust set's object (its key is decoded). */
        if (pool_has(c, n->fp) || memcmp(n->fp, c->leaf.fp, QTB_FP_LEN) == 0) {
            OPENSSL_free(n->owned_der);
            memset(n, 0, sizeof(*n));
            continue;
        }
        node_meta(n);
        c->npool++;
    }
    return 0;
}

static void pctx_dispose(pctx *c)
{
    OPENSSL_free(c->leaf.owned_der);
    for (size_t i = 0; i < c->npool; i++) {
        OPENSSL_free(c->pool[i].owned_der);
    }
    qtb_free(c->pool);
}

/* ---- building ------------------------------------------------------------------------------ */

static void record_failure(pctx *c, int kind, const char *fmt, ...) QTB_PRINTF(3, 4);

static void record_failure(pctx *c, int kind, const char *fmt, ...)
{
    if (kind < c->fail || (kind == c->fail && c->depth <= c->fail_depth)) {
        return;
    }
    c->fail = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->fail_msg, sizeof(c->fail_msg), fmt, ap);
    va_end(ap);
    memcpy(c->fail_chain, c->chain, sizeof(c->chain));
    c->fail_depth = c->depth;
}

static bool in_chain(const pctx *c, const pnode *n)
{
    for (size_t i = 0; i < c->depth; i++) {
        if (memcmp(c->chain[i]->fp, n->fp, QTB_FP_LEN) == 0) {
            return true;
        }
    }
    return false;
}

static bool valid_at(const pnode *n, int64_t when)
{
    return n->meta->times_ok && n->meta->not_before <= when && when <= n->meta->not_after;
}

/* Could `cand` have issued `cur`? Names must match; key identifiers too when both are there. */
static bool may_issue(X509 *cand, X509 *cur)
{
    if (X509_NAME_cmp(X509_get_subject_name(cand), X509_get_issuer_name(cur)) != 0) {
        return false;
    }
    const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(cur);
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cand);
    if (akid != NULL && skid != NULL && ASN1_OCTET_STRING_cmp(akid, skid) != 0) {
        return false;
    }
    return true;
}

/* The signature of `subj` checked with `iss`'s key, remembered in the trust set's cache. */
static int check_signature(int *ok, const pctx *c, const pnode *subj, const pnode *iss)
{
    int cached = qtb_sig_cache_get(c->t, subj->fp, iss->fp);
    if (cached >= 0) {
        *ok = cached;
        return 0;
    }
    int rc = qtb_sig_verify_cert_der(ok, subj->der, subj->der_len, X509_get_X509_PUBKEY(iss->x));
    if (rc == 0) {
        qtb_sig_cache_put(c->t, subj->fp, iss->fp, *ok);
    }
    return rc;
}

/* 1 when a path to an anchor was found (in c->chain), 0 when not, negative on error. */
static int dfs(pctx *c)
{
    const pnode *cur = c->chain[c->depth - 1];
    const char *label = cur->meta->label;
    if (cur->anchor) {
        return 1;
    }
    if (c->depth >= QTB_MAX_CHAIN_DEPTH) {
        record_failure(c, FAIL_NO_CHAIN, "no path to a trust anchor within %u certificates",
                       QTB_MAX_CHAIN_DEPTH);
        return 0;
    }
    bool any_candidate = false, looped = false;
    /* pass 0: candidates valid at sig_time; pass 1: the others */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < c->npool; i++) {
            const pnode *cand = &c->pool[i];
            if (!may_issue(cand->x, cur->x) || valid_at(cand, c->sig_time) != (pass == 0)) {
                continue;
            }
            if (in_chain(c, cand)) {
                looped = true;
                continue;
            }
            any_candidate = true;
            if (++c->tries > QTB_MAX_PATH_TRIES) {
                record_failure(c, FAIL_NO_CHAIN, "gave up after %u issuer candidates",
                               QTB_MAX_PATH_TRIES);
                return 0;
            }
            int ok = 0;
            int rc = check_signature(&ok, c, cur, cand);
            const char *ilabel = cand->meta->label;
            if (rc == QTB_EUNSUPPORTED) {
                record_failure(c, FAIL_CRYPTO, "signature of '%s' by '%s' cannot be checked: %s",
                               label, ilabel, qtb_error_last()->message);
                continue;
            }
            if (rc == QTB_EPARSE) {
                record_failure(c, FAIL_SIGNATURE, "signature of '%s' by '%s' is malformed: %s",
                               label, ilabel, qtb_error_last()->message);
                continue;
            }
            if (rc < 0) {
                return rc;
            }
            if (!ok) {
                record_failure(c, FAIL_SIGNATURE,
                               "signature of '%s' does not verify with the key of '%s'", label,
                               ilabel);
                continue;
            }
            c->chain[c->depth++] = cand;
            rc = dfs(c);
            if (rc != 0) {
                return rc;
            }
            c->depth--;
        }
    }
    if (!any_candidate) {
        if (X509_NAME_cmp(X509_get_subject_name(cur->x), X509_get_issuer_name(cur->x)) == 0) {
            record_failure(c, FAIL_NO_CHAIN, "'%s' is self-issued and not a trust anchor", label);
        } else if (looped) {
            record_failure(c, FAIL_NO_CHAIN,
                           "the issuer of '%s' is already in the path (a loop, no anchor)", label);
        } else {
            char iname[200];
            qtb_name_label(iname, sizeof(iname), X509_get_issuer_name(cur->x));
            record_failure(c, FAIL_NO_CHAIN, "issuer of '%s' (%s) is not in the trust set", label,
                           iname);
        }
    }
    return 0;
}

/* ---- validating the path that was found ----------------------------------------------------- */

enum {
    PRIO_TRY_LATER = 1,
    PRIO_OUT_OF_BOUNDS = 2,
    PRIO_REVOKED_CA = 3,
    PRIO_CONSTRAINTS = 4,
    PRIO_NOT_YET_VALID = 5,
    PRIO_REVOKED = 6,
};

typedef struct verdict {
    int prio;
    qtb_indication ind;
    qtb_subindication sub;
    char msg[512];
    char notes[320];
} verdict;

static void verdict_set(verdict *v, int prio, qtb_indication ind, qtb_subindication sub,
                        const char *fmt, ...) QTB_PRINTF(5, 6);

static void verdict_set(verdict *v, int prio, qtb_indication ind, qtb_subindication sub,
                        const char *fmt, ...)
{
    if (prio <= v->prio) {
        return; /* equal: the first (the certificate nearest the leaf) is the one reported */
    }
    v->prio = prio;
    v->ind = ind;
    v->sub = sub;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
    va_end(ap);
}

static void verdict_note(verdict *v, const char *fmt, ...) QTB_PRINTF(2, 3);

static void verdict_note(verdict *v, const char *fmt, ...)
{
    size_t len = strlen(v->notes);
    if (len + 4 >= sizeof(v->notes)) {
        return;
    }
    if (len > 0) {
        len += (size_t)snprintf(v->notes + len, sizeof(v->notes) - len, "; ");
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->notes + len, sizeof(v->notes) - len, fmt, ap);
    va_end(ap);
}

/*
 * Extensions we process (or that only inform). Anything else marked critical fails the path
 * (RFC 5280 §4.2). nameConstraints is processed below; policy extensions are accepted without
 * policy processing (no NCA policy requires it; noted in trust_int.h).
 */
static bool extension_known(int nid)
{
    switch (nid) {
    case NID_basic_constraints:
    case NID_key_usage:
    case NID_ext_key_usage:
    case NID_certificate_policies:
    case NID_policy_constraints:
    case NID_policy_mappings:
    case NID_inhibit_any_policy:
    case NID_name_constraints:
    case NID_subject_alt_name:
    case NID_issuer_alt_name:
    case NID_authority_key_identifier:
    case NID_subject_key_identifier:
    case NID_crl_distribution_points:
    case NID_freshest_crl:
    case NID_info_access:
    case NID_sinfo_access:
    case NID_private_key_usage_period:
        return true;
    default:
        return false;
    }
}

static void check_extensions(verdict *v, X509 *x, const char *label)
{
    if ((X509_get_extension_flags(x) & EXFLAG_INVALID) != 0) {
        verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                    "'%s' has malformed or duplicate extensions", label);
        return;
    }
    int n = X509_get_ext_count(x);
    for (int i = 0; i < n; i++) {
        X509_EXTENSION *ext = X509_get_ext(x, i);
        if (!X509_EXTENSION_get_critical(ext)) {
            continue;
        }
        ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
        if (!extension_known(OBJ_obj2nid(obj))) {
            char oid[128];
            qtb_sigalg_oid_text(oid, sizeof(oid), obj);
            verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                        "'%s' has an unknown critical extension %s", label, oid);
        }
    }
}

static bool is_self_issued(X509 *x)
{
    return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

/* chain[i], i >= 1, issued chain[i-1]: it must be a CA allowed to sign certificates. */
static void check_issuer(verdict *v, const pctx *c, size_t i, const char *label)
{
    X509 *x = c->chain[i]->x;
    uint32_t fl = X509_get_extension_flags(x);
    bool v1_anchor =
        c->chain[i]->anchor && X509_get_version(x) == X509_VERSION_1 && is_self_issued(x);
    if (!v1_anchor && ((fl & EXFLAG_BCONS) == 0 || (fl & EXFLAG_CA) == 0)) {
        verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                    "'%s' issues certificates but is not a CA (basicConstraints)", label);
        return;
    }
    if ((fl & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(x) & KU_KEY_CERT_SIGN) == 0) {
        verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                    "'%s' issues certificates but its keyUsage lacks keyCertSign", label);
        return;
    }
    /* RFC 5280 §4.2.1.9: self-issued intermediates do not count towards pathLenConstraint. */
    long pathlen = X509_get_pathlen(x);
    if (pathlen >= 0) {
        long below = 0;
        for (size_t j = 1; j < i; j++) {
            if (!is_self_issued(c->chain[j]->x)) {
                below++;
            }
        }
        if (below > pathlen) {
            verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                        "'%s' allows %ld intermediate CAs below it, the path has %ld", label,
                        pathlen, below);
            return;
        }
    }
    /* RFC 5280 §4.2.1.10, checked for every certificate below (self-issued CAs excepted). */
    int crit = 0;
    NAME_CONSTRAINTS *nc = X509_get_ext_d2i(x, NID_name_constraints, &crit, NULL);
    if (nc == NULL && crit != -1) {
        verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                    "'%s' has unreadable nameConstraints", label);
        ERR_clear_error();
        return;
    }
    if (nc != NULL) {
        for (size_t j = 0; j < i; j++) {
            if (j > 0 && is_self_issued(c->chain[j]->x)) {
                continue;
            }
            int r = NAME_CONSTRAINTS_check(c->chain[j]->x, nc);
            if (r != X509_V_OK) {
                verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE,
                            QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                            "'%s' violates the nameConstraints of '%s' (%s)",
                            c->chain[j]->meta->label, label, X509_verify_cert_error_string(r));
                break;
            }
        }
        NAME_CONSTRAINTS_free(nc);
    }
}

static void check_validity(verdict *v, const qtb_certmeta *m, bool leaf, int64_t sig_time)
{
    char when[32], bound[32];
    if (!m->times_ok) {
        verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                    "'%s' has an unreadable validity period", m->label);
        return;
    }
    if (sig_time < m->not_before) {
        qtb_time_rfc3339(when, sizeof(when), sig_time);
        qtb_time_rfc3339(bound, sizeof(bound), m->not_before);
        if (leaf) {
            verdict_set(v, PRIO_NOT_YET_VALID, QTB_TOTAL_FAILED, QTB_SUB_NOT_YET_VALID,
                        "'%s' is not valid before %s (signature time %s)", m->label, bound, when);
        } else {
            verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                        "CA '%s' is not valid before %s (signature time %s)", m->label, bound,
                        when);
        }
    } else if (sig_time > m->not_after) {
        qtb_time_rfc3339(when, sizeof(when), sig_time);
        qtb_time_rfc3339(bound, sizeof(bound), m->not_after);
        verdict_set(v, PRIO_OUT_OF_BOUNDS, QTB_INDETERMINATE, QTB_SUB_OUT_OF_BOUNDS_NO_POE,
                    "%s'%s' expired at %s (signature time %s)", leaf ? "" : "CA ", m->label, bound,
                    when);
    }
}

static unsigned leaf_eku(X509 *x)
{
    unsigned out = 0;
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    if (eku == NULL) {
        ERR_clear_error();
        return 0;
    }
    out |= QTB_EKU_PRESENT;
    /* 1.2.398.3.3.4.1: NCA RK holder/role arc (kz-pki.md §3.2) */
    static const unsigned char nca_role[] = {0x2a, 0x83, 0x0e, 0x03, 0x03, 0x04, 0x01};
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
        int nid = OBJ_obj2nid(o);
        if (nid == NID_email_protect) {
            out |= QTB_EKU_EMAIL_PROTECTION;
        } else if (nid == NID_client_auth) {
            out |= QTB_EKU_CLIENT_AUTH;
        } else if (nid == NID_anyExtendedKeyUsage) {
            out |= QTB_EKU_ANY;
        } else if (OBJ_length(o) >= sizeof(nca_role) &&
                   memcmp(OBJ_get0_data(o), nca_role, sizeof(nca_role)) == 0) {
            out |= QTB_EKU_NCA_ROLE;
        } else {
            out |= QTB_EKU_OTHER;
        }
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return out;
}

static void check_leaf_for_signing(verdict *v, X509 *x, const char *label)
{
    uint32_t fl = X509_get_extension_flags(x);
    if ((fl & EXFLAG_KUSAGE) == 0) {
        return;
    }
    uint32_t ku = X509_get_key_usage(x);
    if ((ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
        verdict_set(v, PRIO_CONSTRAINTS, QTB_INDETERMINATE, QTB_SUB_CHAIN_CONSTRAINTS_FAILURE,
                    "'%s' may not sign documents (keyUsage has neither digitalSignature nor "
                    "nonRepudiation)",
                    label);
    }
}

static const char *reason_name(int reason)
{
    switch (reason) {
    case 0:
        return "unspecified";
    case 1:
        return "keyCompromise";
    case 2:
        return "cACompromise";
    case 3:
        return "affiliationChanged";
    case 4:
        return "superseded";
    case 5:
        return "cessationOfOperation";
    case 6:
        return "certificateHold";
    case 8:
        return "removeFromCRL";
    case 9:
        return "privilegeWithdrawn";
    case 10:
        return "aACompromise";
    default:
        return "no reason given";
    }
}

static int check_revocation(verdict *v, qtb_path_result *out, const pctx *c, X509 *x, X509 *issuer,
                            const unsigned char issuer_fp[QTB_FP_LEN], bool leaf, bool anchor,
                            const char *label, int64_t sig_time, int64_t now)
{
    qtb_rev_result rr;
    bool is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
    /* the trust set's CRLs, or the online sources in their order when configured */
    QTB_TRY(qtb_rev_check(&rr, c->t, x, issuer, issuer_fp, is_ca, anchor, sig_time, now));
    if (rr.ocsp_der != NULL) {
        if (out->nevidence < QTB_MAX_CHAIN_DEPTH) {
            qtb_rev_evidence *e = &out->evidence[out->nevidence++];
            e->der = rr.ocsp_der;
            e->der_len = rr.ocsp_der_len;
            snprintf(e->url, sizeof(e->url), "%s", rr.ocsp_url);
        } else {
            qtb_free(rr.ocsp_der);
        }
        rr.ocsp_der = NULL;
    }
    char at[32], when[32];
    switch (rr.status) {
    case QTB_REV_REVOKED:
        qtb_time_rfc3339(when, sizeof(when), sig_time);
        qtb_time_rfc3339(at, sizeof(at), rr.revocation_time);
        if (leaf) {
            out->revocation_time = rr.revocation_time;
            verdict_set(v, PRIO_REVOKED, QTB_TOTAL_FAILED, QTB_SUB_REVOKED,
                        "'%s' was revoked at %s (%s), not after the signature time %s", label, at,
                        reason_name(rr.reason), when);
        } else {
            verdict_set(v, PRIO_REVOKED_CA, QTB_INDETERMINATE, QTB_SUB_REVOKED_CA_NO_POE,
                        "CA '%s' was revoked at %s (%s), not after the signature time %s", label,
                        at, reason_name(rr.reason), when);
        }
        break;
    case QTB_REV_REVOKED_LATER:
        qtb_time_rfc3339(at, sizeof(at), rr.revocation_time);
        if (leaf) {
            out->revocation_time = rr.revocation_time;
        }
        verdict_note(v, "'%s' revoked at %s (%s), after the signature time", label, at,
                     reason_name(rr.reason));
        break;
    case QTB_REV_STALE:
    case QTB_REV_UNUSABLE:
        verdict_set(v, PRIO_TRY_LATER, QTB_INDETERMINATE, QTB_SUB_TRY_LATER,
                    "revocation status of '%s' unknown: %s", label, rr.note);
        break;
    case QTB_REV_NOT_CHECKED:
        verdict_note(v, "'%s' revocation not checked (%s)", label, rr.note);
        break;
    case QTB_REV_GOOD:
    default:
        verdict_note(v, "'%s' not revoked (%s)", label, rr.note);
        break;
    }
    return 0;
}

/* The issuer of a non-self-signed anchor, when the trust set has it (for the anchor's CRL). */
static const qtb_tcert *anchor_issuer(const qtb_trust *t, X509 *anchor)
{
    for (size_t pass = 0; pass < 2; pass++) {
        const qtb_tcert *list = pass == 0 ? t->anchors : t->untrusted;
        size_t n = pass == 0 ? t->nanchors : t->nuntrusted;
        for (size_t i = 0; i < n; i++) {
            if (list[i].x != anchor && may_issue(list[i].x, anchor)) {
                return &list[i];
            }
        }
    }
    return NULL;
}

static int validate_path(qtb_path_result *out, const pctx *c, int64_t sig_time, int64_t now,
                         unsigned flags)
{
    verdict v = {.prio = 0};
    size_t n = c->depth;
    for (size_t i = 0; i < n; i++) {
        X509 *x = c->chain[i]->x;
        const char *label = c->chain[i]->meta->label;
        check_validity(&v, c->chain[i]->meta, i == 0, sig_time);
        check_extensions(&v, x, label);
        if (i >= 1) {
            check_issuer(&v, c, i, label);
        }
        if (i == 0 && (flags & QTB_PATH_FOR_SIGNING) != 0) {
            check_leaf_for_signing(&v, x, label);
        }
    }
    for (size_t i = 0; i + 1 < n; i++) {
        QTB_TRY(check_revocation(&v, out, c, c->chain[i]->x, c->chain[i + 1]->x,
                                 c->chain[i + 1]->fp, i == 0, false, c->chain[i]->meta->label,
                                 sig_time, now));
    }
    X509 *anchor = c->chain[n - 1]->x;
    /* by name, not EXFLAG_SS: OpenSSL cannot tell a GOST root's self-signature */
    if (!is_self_issued(anchor)) {
        const qtb_tcert *iss = anchor_issuer(c->t, anchor);
        if (iss != NULL) {
            QTB_TRY(check_revocation(&v, out, c, anchor, iss->x, iss->fp, n == 1, true,
                                     c->chain[n - 1]->meta->label, sig_time, now));
        }
    }

    out->leaf_eku = leaf_eku(c->chain[0]->x);
    if (v.prio > 0) {
        out->indication = v.ind;
        out->sub = v.sub;
        snprintf(out->message, sizeof(out->message), "%s", v.msg);
        return 0;
    }
    char when[32];
    const char *alabel = c->chain[n - 1]->meta->label;
    qtb_time_rfc3339(when, sizeof(when), sig_time);
    out->indication = QTB_TOTAL_PASSED;
    out->sub = QTB_SUB_NONE;
    snprintf(out->message, sizeof(out->message), "path of %zu to anchor '%s' valid at %s; %s", n,
             alabel, when, v.notes[0] != '\0' ? v.notes : "no revocation data needed");
    return 0;
}

static int chain_out(qtb_path_result *out, const pnode *const *nodes, size_t n)
{
    out->chain = sk_X509_new_null();
    if (out->chain == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        X509 *x = nodes[i]->x;
        if (X509_up_ref(x) != 1) {
            return QTB_FAIL(QTB_EGENERIC, "cannot reference a certificate");
        }
        if (sk_X509_push(out->chain, x) <= 0) {
            X509_free(x);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
    }
    return 0;
}

int qtb_trust_validate(qtb_path_result *out, const qtb_trust *t, X509 *leaf, STACK_OF(X509) * extra,
                       int64_t sig_time, int64_t now, unsigned flags)
{
    QTB_ASSERT_ARG(out != NULL && t != NULL && leaf != NULL);
    qtb_path_result_init(out);
    pctx c;
    memset(&c, 0, sizeof(c));
    c.t = t;
    c.sig_time = sig_time;
    int rc = 0;
    QTB_TRY_GOTO(pool_build(&c, leaf, extra));
    c.chain[0] = &c.leaf;
    c.depth = 1;
    rc = dfs(&c);
    if (rc < 0) {
        goto done;
    }
    if (rc == 0) {
        rc = 0;
        switch (c.fail) {
        case FAIL_CRYPTO:
            out->sub = QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE;
            break;
        case FAIL_SIGNATURE:
            out->sub = QTB_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE;
            break;
        default:
            out->sub = QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND;
            break;
        }
        out->indication = QTB_INDETERMINATE;
        snprintf(out->message, sizeof(out->message), "%s", c.fail_msg);
        out->leaf_eku = leaf_eku(leaf);
        QTB_TRY_GOTO(chain_out(out, c.fail_chain, c.fail_depth));
        goto done;
    }
    QTB_TRY_GOTO(chain_out(out, c.chain, c.depth));
    QTB_TRY_GOTO(validate_path(out, &c, sig_time, now, flags));
    rc = 0;
done:
    pctx_dispose(&c);
    if (rc < 0) {
        qtb_path_result_dispose(out);
    }
    return rc;
}
