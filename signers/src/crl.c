/*
 * Revocation from the trust set's CRLs (RFC 5280 §6.3, with delta CRLs, without indirect CRLs).
 * The rules are the ones stated in trust_int.h. NCANode's mistakes (peers.md §1.5) are the
 * reason for each step here: the CRL's issuer must be the certificate's issuer, its signature
 * must verify with that issuer's key, and it must be fresh for a "not revoked" answer.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "report_int.h"
#include "sigalg.h"
#include "trust_priv.h"

static bool crl_extension_known(int nid)
{
    switch (nid) {
    case NID_authority_key_identifier:
    case NID_issuer_alt_name:
    case NID_crl_number:
    case NID_delta_crl:
    case NID_issuing_distribution_point:
    case NID_freshest_crl:
        return true;
    default:
        return false;
    }
}

/* certificateIssuer (an indirect CRL entry) is deliberately not here: it is not supported. */
static bool entry_extension_known(int nid)
{
    return nid == NID_crl_reason || nid == NID_invalidity_date || nid == NID_hold_instruction_code;
}

static void set_unusable(qtb_tcrl *c, const char *what, const ASN1_OBJECT *obj)
{
    char oid[128] = "";
    if (obj != NULL) {
        qtb_sigalg_oid_text(oid, sizeof(oid), obj);
    }
    c->unusable = true;
    snprintf(c->unusable_why, sizeof(c->unusable_why), "%s%s%s", what, obj != NULL ? " " : "", oid);
}

int qtb_crl_profile(qtb_tcrl *c)
{
    X509_CRL *crl = c->crl;
    int n = X509_CRL_get_ext_count(crl);
    for (int i = 0; i < n && !c->unusable; i++) {
        X509_EXTENSION *ext = X509_CRL_get_ext(crl, i);
        ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
        if (X509_EXTENSION_get_critical(ext) && !crl_extension_known(OBJ_obj2nid(obj))) {
            set_unusable(c, "it has an unknown critical extension", obj);
        }
    }
    int crit = 0;
    c->idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
    if (c->idp == NULL && crit != -1) {
        ERR_clear_error();
        set_unusable(c, "its issuingDistributionPoint is unreadable or repeated", NULL);
    }
    if (c->idp != NULL &&
        (c->idp->indirectCRL > 0 || c->idp->onlyattr > 0 || c->idp->onlysomereasons != NULL)) {
        set_unusable(c, "its scope (indirect, attribute or partial-reason CRL) is not supported",
                     NULL);
    }
    AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
    if (akid != NULL && akid->keyid != NULL) {
        c->akid = ASN1_OCTET_STRING_dup(akid->keyid);
        if (c->akid == NULL) {
            AUTHORITY_KEYID_free(akid);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
    }
    AUTHORITY_KEYID_free(akid);
    ERR_clear_error();
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
    for (int i = 0; i < sk_X509_REVOKED_num(revoked) && !c->unusable; i++) {
        const STACK_OF(X509_EXTENSION) *exts =
            X509_REVOKED_get0_extensions(sk_X509_REVOKED_value(revoked, i));
        for (int j = 0; j < sk_X509_EXTENSION_num(exts); j++) {
            X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, j);
            ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
            if (X509_EXTENSION_get_critical(ext) && !entry_extension_known(OBJ_obj2nid(obj))) {
                set_unusable(c, "an entry has an unsupported critical extension", obj);
                break;
            }
        }
    }
    return 0;
}

/* Does a full-name distribution point of the certificate appear in the CRL's IDP? */
static bool dp_matches(const DIST_POINT_NAME *idp_name, X509 *subject)
{
    if (idp_name->type != 0) {
        return false; /* nameRelativeToCRLIssuer: not supported */
    }
    STACK_OF(DIST_POINT) *cdp = X509_get_ext_d2i(subject, NID_crl_distribution_points, NULL, NULL);
    if (cdp == NULL) {
        ERR_clear_error();
        return false;
    }
    bool found = false;
    for (int i = 0; i < sk_DIST_POINT_num(cdp) && !found; i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(cdp, i);
        if (dp->distpoint == NULL || dp->distpoint->type != 0) {
            continue;
        }
        for (int a = 0; a < sk_GENERAL_NAME_num(dp->distpoint->name.fullname) && !found; a++) {
            GENERAL_NAME *ga = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, a);
            for (int b = 0; b < sk_GENERAL_NAME_num(idp_name->name.fullname); b++) {
                if (GENERAL_NAME_cmp(ga, sk_GENERAL_NAME_value(idp_name->name.fullname, b)) == 0) {
                    found = true;
                    break;
                }
            }
        }
    }
    sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
    return found;
}

/* RFC 5280 §5.2.5: a CRL with an issuingDistributionPoint covers only part of the certificates. */
static bool crl_covers(const qtb_tcrl *c, X509 *subject, bool subject_is_ca)
{
    const ISSUING_DIST_POINT *idp = c->idp;
    if (idp == NULL) {
        return true;
    }
    if ((idp->onlyuser > 0 && subject_is_ca) || (idp->onlyCA > 0 && !subject_is_ca)) {
        return false;
    }
    return idp->distpoint == NULL || dp_matches(idp->distpoint, subject);
}

static bool key_ids_differ(const qtb_tcrl *c, X509 *issuer)
{
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(issuer);
    return skid != NULL && c->akid != NULL && ASN1_OCTET_STRING_cmp(c->akid, skid) != 0;
}

/* The CRL's signature by `issuer`: 1 valid, 0 not (why in `why`), negative on error. */
static int crl_signature_ok(const qtb_trust *t, const qtb_tcrl *c, X509 *issuer,
                            const unsigned char issuer_fp[QTB_FP_LEN], char *why, size_t why_cap)
{
    int cached = qtb_sig_cache_get(t, c->fp, issuer_fp);
    if (cached == 1) {
        return 1;
    }
    if (cached == 0) {
        snprintf(why, why_cap, "the signature of %s does not verify", c->file);
        return 0;
    }
    int ok = 0;
    int rc = qtb_sig_verify_crl_der(&ok, c->der, c->der_len, X509_get_X509_PUBKEY(issuer));
    if (rc == QTB_EUNSUPPORTED || rc == QTB_EPARSE) {
        snprintf(why, why_cap, "the signature of %s cannot be checked: %s", c->file,
                 qtb_error_last()->message);
        return 0;
    }
    QTB_TRY(rc);
    qtb_sig_cache_put(t, c->fp, issuer_fp, ok);
    if (!ok) {
        snprintf(why, why_cap, "the signature of %s does not verify", c->file);
    }
    return ok;
}

static int revoked_reason(X509_REVOKED *rev)
{
    int crit = 0;
    ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);
    if (e == NULL) {
        ERR_clear_error();
        return -1;
    }
    long r = ASN1_ENUMERATED_get(e);
    ASN1_ENUMERATED_free(e);
    return (r >= 0 && r <= 10) ? (int)r : -1;
}

int64_t qtb_crl_number(X509_CRL *crl, int nid)
{
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, nid, NULL, NULL);
    int64_t v = -1;
    if (n == NULL || ASN1_INTEGER_get_int64(&v, n) != 1 || v < 0) {
        v = -1;
    }
    ASN1_INTEGER_free(n);
    ERR_clear_error();
    return v;
}

static bool crl_fresh(const qtb_tcrl *c, int64_t sig_time, int64_t now)
{
    return c->this_update >= sig_time || (c->next_update != 0 && now <= c->next_update);
}

/* A CRL entry: revoked (or on hold) at its revocationDate, as of `sig_time`. */
static void listed(qtb_rev_result *out, X509_REVOKED *rev, int64_t sig_time)
{
    int64_t when = 0;
    if (qtb_asn1_time_to_epoch(&when, X509_REVOKED_get0_revocationDate(rev)) < 0) {
        /* A listing we cannot date is taken as revoked by the signature time. */
        qtb_error_clear();
        when = sig_time;
    }
    out->revocation_time = when;
    out->reason = revoked_reason(rev);
    out->status = when <= sig_time ? QTB_REV_REVOKED : QTB_REV_REVOKED_LATER;
}

void qtb_crl_apply_delta(qtb_rev_result *out, const qtb_tcrl *base, const qtb_tcrl *d,
                         X509 *subject, int64_t sig_time, int64_t now)
{
    /* a base that says revoked for good, or could not be read, is not changed by a delta */
    bool base_hold = out->reason == 6 && out->status != QTB_REV_GOOD;
    if (!base_hold && out->status != QTB_REV_GOOD && out->status != QTB_REV_STALE) {
        return;
    }
    int64_t base_no = qtb_crl_number(base->crl, NID_crl_number);
    int64_t needs = qtb_crl_number(d->crl, NID_delta_crl);
    int64_t own = qtb_crl_number(d->crl, NID_crl_number);
    if (base_no < 0 || needs < 0 || needs > base_no || (own >= 0 && own <= base_no)) {
        return; /* for a newer base than ours, or no newer than ours: not applicable */
    }
    const char *tu = d->this_update_text;
    bool fresh = crl_fresh(d, sig_time, now);
    char note[sizeof(out->note)];
    snprintf(note, sizeof(note), "%s", out->note);
    X509_REVOKED *rev = NULL;
    int found = X509_CRL_get0_by_cert(d->crl, &rev, subject);
    /* 1: listed; 2: listed as removeFromCRL, i.e. released from a hold (RFC 5280 §5.3.1) */
    if (found == 1 && rev != NULL) {
        listed(out, rev, sig_time);
        if (out->reason == 6 && !fresh) {
            out->status = QTB_REV_STALE;
            snprintf(out->note, sizeof(out->note), "on hold in the delta CRL of %s, which is stale",
                     tu);
        } else {
            snprintf(out->note, sizeof(out->note), "listed on the delta CRL of %s", tu);
        }
        return;
    }
    if (!fresh) {
        return;
    }
    if (found == 2 || !base_hold) {
        out->status = QTB_REV_GOOD;
        out->reason = -1;
        out->revocation_time = 0;
        snprintf(out->note, sizeof(out->note), "%.100s; %s the delta CRL of %.31s", note,
                 found == 2 ? "released from hold (removeFromCRL) on" : "not listed on", tu);
        return;
    }
    /* on hold in the base and not released by a current delta: the hold stands */
    out->status = out->revocation_time <= sig_time ? QTB_REV_REVOKED : QTB_REV_REVOKED_LATER;
    snprintf(out->note, sizeof(out->note), "on hold since the CRL of %s, not released by %.100s",
             base->this_update_text, d->file);
}

/* Delta CRLs of one issuer considered at once (NCA publishes one per full CRL). */
#define MAX_DELTAS 16

/* Which of the trust set's CRLs of one issuer are usable for `subject`; see qtb_crl_check. */
typedef struct crl_pick {
    const qtb_tcrl *base;               /* the newest usable full CRL */
    const qtb_tcrl *deltas[MAX_DELTAS]; /* usable delta CRLs, their signatures checked */
    size_t ndeltas;
    size_t ignored, deltas_seen, out_of_scope;
    char why[200];
} crl_pick;

static int pick_crls(crl_pick *p, const qtb_trust *t, X509 *subject, X509 *issuer,
                     const unsigned char issuer_fp[QTB_FP_LEN], bool subject_is_ca)
{
    memset(p, 0, sizeof(*p));
    const X509_NAME *iname = X509_get_subject_name(issuer);
    /* RFC 5280 §6.3.3 (f): the CRL signer's keyUsage, when present, must allow cRLSign */
    bool may_sign_crls = (X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) == 0 ||
                         (X509_get_key_usage(issuer) & KU_CRL_SIGN) != 0;
    for (size_t i = 0; i < t->ncrls; i++) {
        const qtb_tcrl *c = &t->crls[i];
        if (X509_NAME_cmp(X509_CRL_get_issuer(c->crl), iname) != 0 || key_ids_differ(c, issuer)) {
            continue;
        }
        if (c->delta) {
            p->deltas_seen++;
            if (p->ndeltas == MAX_DELTAS) {
                continue; /* more deltas of one issuer than anyone publishes: the rest unused */
            }
        }
        if (!crl_covers(c, subject, subject_is_ca)) {
            p->out_of_scope += c->delta ? 0 : 1;
            continue;
        }
        if (c->unusable) {
            p->ignored++;
            snprintf(p->why, sizeof(p->why), "%s ignored: %s", c->file, c->unusable_why);
            continue;
        }
        if (!may_sign_crls) {
            p->ignored++;
            snprintf(p->why, sizeof(p->why), "%s ignored: its issuer's keyUsage lacks cRLSign",
                     c->file);
            continue;
        }
        char sigwhy[160] = "";
        int ok = crl_signature_ok(t, c, issuer, issuer_fp, sigwhy, sizeof(sigwhy));
        QTB_TRY(ok);
        if (ok == 0) {
            p->ignored++;
            snprintf(p->why, sizeof(p->why), "CRL ignored: %s", sigwhy);
            continue;
        }
        if (c->delta) {
            p->deltas[p->ndeltas++] = c;
        } else if (p->base == NULL || c->this_update > p->base->this_update) {
            p->base = c;
        }
    }
    return 0;
}

/* The verdict of the full CRL `best` alone. */
static void base_verdict(qtb_rev_result *out, const qtb_tcrl *best, X509 *subject, int64_t sig_time,
                         int64_t now)
{
    const char *tu = best->this_update_text;
    bool fresh = crl_fresh(best, sig_time, now);
    X509_REVOKED *rev = NULL;
    int found = X509_CRL_get0_by_cert(best->crl, &rev, subject);
    /* 1: listed; 2: listed as removeFromCRL (only meaningful in deltas): not revoked */
    if (found == 1 && rev != NULL) {
        listed(out, rev, sig_time);
        /*
         * A revocation is final whatever the CRL's age; a hold (RFC 5280 §5.3.1) may have been
         * released since a stale CRL was issued, so a stale hold says nothing.
         */
        if (out->reason == 6 && !fresh) {
            out->status = QTB_REV_STALE;
            snprintf(out->note, sizeof(out->note),
                     "on hold in the newest CRL (%.100s, thisUpdate %s), which is stale",
                     best->file, tu);
            return;
        }
        snprintf(out->note, sizeof(out->note), "listed on the CRL of %s", tu);
        return;
    }
    if (!fresh) {
        char nu[32];
        if (best->next_update != 0) {
            qtb_time_rfc3339(nu, sizeof(nu), best->next_update);
        } else {
            snprintf(nu, sizeof(nu), "(none)");
        }
        out->status = QTB_REV_STALE;
        snprintf(out->note, sizeof(out->note),
                 "the newest CRL (%s, thisUpdate %s, nextUpdate %s) is stale", best->file, tu, nu);
        return;
    }
    out->status = QTB_REV_GOOD;
    snprintf(out->note, sizeof(out->note), "CRL of %s", tu);
}

int qtb_crl_check(qtb_rev_result *out, const qtb_trust *t, X509 *subject, X509 *issuer,
                  const unsigned char issuer_fp[QTB_FP_LEN], bool subject_is_ca, int64_t sig_time,
                  int64_t now)
{
    memset(out, 0, sizeof(*out));
    out->status = QTB_REV_NOT_CHECKED;
    out->reason = -1;
    crl_pick p;
    QTB_TRY(pick_crls(&p, t, subject, issuer, issuer_fp, subject_is_ca));
    if (p.base == NULL) {
        /* A delta alone cannot say "not revoked", but its listing is the CA's signed word. */
        for (size_t i = 0; i < p.ndeltas; i++) {
            X509_REVOKED *rev = NULL;
            if (X509_CRL_get0_by_cert(p.deltas[i]->crl, &rev, subject) == 1 && rev != NULL &&
                revoked_reason(rev) != 6) {
                listed(out, rev, sig_time);
                snprintf(out->note, sizeof(out->note), "listed on the delta CRL of %s",
                         p.deltas[i]->this_update_text);
                return 0;
            }
        }
        if (p.ignored > 0) {
            out->status = QTB_REV_UNUSABLE;
            snprintf(out->note, sizeof(out->note), "%s", p.why);
        } else {
            const char *why_not = "no CRL of its issuer in the trust set";
            if (p.out_of_scope > 0) {
                why_not = "the CRLs of its issuer do not cover it (issuingDistributionPoint)";
            } else if (p.deltas_seen > 0) {
                why_not = "only delta CRLs of its issuer, which need their full CRL";
            }
            snprintf(out->note, sizeof(out->note), "%s", why_not);
        }
        return 0;
    }
    base_verdict(out, p.base, subject, sig_time, now);
    /* RFC 5280 §6.3.3 (c), (e): the newest delta issued for this base, if any */
    const qtb_tcrl *delta = NULL;
    int64_t base_no = p.ndeltas > 0 ? qtb_crl_number(p.base->crl, NID_crl_number) : -1;
    for (size_t i = 0; i < p.ndeltas && base_no >= 0; i++) {
        int64_t needs = qtb_crl_number(p.deltas[i]->crl, NID_delta_crl);
        if (needs >= 0 && needs <= base_no &&
            (delta == NULL || p.deltas[i]->this_update > delta->this_update)) {
            delta = p.deltas[i];
        }
    }
    if (delta != NULL) {
        qtb_crl_apply_delta(out, p.base, delta, subject, sig_time, now);
    }
    if (out->status == QTB_REV_GOOD && p.ignored > 0) {
        char note[sizeof(out->note)];
        snprintf(note, sizeof(note), "%s", out->note);
        snprintf(out->note, sizeof(out->note), "%.88s; another %.100s", note, p.why);
    }
    return 0;
}
