/*
 * Revocation from the trust set's CRLs (RFC 5280 §6.3, without delta CRLs and indirect CRLs).
 * The rules are the ones stated in trust_int.h. NCANode's mistakes (peers.md §1.5) are the
 * reason for each step here: the CRL's issuer must be the certificate's issuer, its signature
 * must verify with that issuer's key, and it must be fresh for a "not revoked" answer.
 */
#include <stdio.h>

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

int qtb_crl_check(qtb_rev_result *out, const qtb_trust *t, X509 *subject, X509 *issuer,
                  const unsigned char issuer_fp[QTB_FP_LEN], bool subject_is_ca, int64_t sig_time,
                  int64_t now)
{
    memset(out, 0, sizeof(*out));
    out->status = QTB_REV_NOT_CHECKED;
    out->reason = -1;
    const X509_NAME *iname = X509_get_subject_name(issuer);
    /* RFC 5280 §6.3.3 (f): the CRL signer's keyUsage, when present, must allow cRLSign */
    bool may_sign_crls = (X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) == 0 ||
                         (X509_get_key_usage(issuer) & KU_CRL_SIGN) != 0;
    const qtb_tcrl *best = NULL;
    size_t ignored = 0, deltas = 0, out_of_scope = 0;
    char why[200] = "";
    for (size_t i = 0; i < t->ncrls; i++) {
        const qtb_tcrl *c = &t->crls[i];
        if (X509_NAME_cmp(X509_CRL_get_issuer(c->crl), iname) != 0 || key_ids_differ(c, issuer)) {
            continue;
        }
        if (c->delta) {
            deltas++;
            continue;
        }
        if (!crl_covers(c, subject, subject_is_ca)) {
            out_of_scope++;
            continue;
        }
        if (c->unusable) {
            ignored++;
            snprintf(why, sizeof(why), "%s ignored: %s", c->file, c->unusable_why);
            continue;
        }
        if (!may_sign_crls) {
            ignored++;
            snprintf(why, sizeof(why), "%s ignored: its issuer's keyUsage lacks cRLSign", c->file);
            continue;
        }
        char sigwhy[160] = "";
        int ok = crl_signature_ok(t, c, issuer, issuer_fp, sigwhy, sizeof(sigwhy));
        QTB_TRY(ok);
        if (ok == 0) {
            ignored++;
            snprintf(why, sizeof(why), "CRL ignored: %s", sigwhy);
            continue;
        }
        if (best == NULL || c->this_update > best->this_update) {
            best = c;
        }
    }
    if (best == NULL) {
        if (ignored > 0) {
            out->status = QTB_REV_UNUSABLE;
            snprintf(out->note, sizeof(out->note), "%s", why);
        } else {
            const char *why_not = "no CRL of its issuer in the trust set";
            if (out_of_scope > 0) {
                why_not = "the CRLs of its issuer do not cover it (issuingDistributionPoint)";
            } else if (deltas > 0) {
                why_not = "only delta CRLs of its issuer, not used yet";
            }
            snprintf(out->note, sizeof(out->note), "%s", why_not);
        }
        return 0;
    }

    const char *tu = best->this_update_text;
    char nu[32];
    bool fresh =
        best->this_update >= sig_time || (best->next_update != 0 && now <= best->next_update);
    X509_REVOKED *rev = NULL;
    int found = X509_CRL_get0_by_cert(best->crl, &rev, subject);
    /* 1: listed; 2: listed as removeFromCRL (only meaningful in deltas): not revoked */
    if (found == 1 && rev != NULL) {
        int64_t when = 0;
        if (qtb_asn1_time_to_epoch(&when, X509_REVOKED_get0_revocationDate(rev)) < 0) {
            /* A listing we cannot date is taken as revoked by the signature time. */
            qtb_error_clear();
            when = sig_time;
        }
        out->revocation_time = when;
        out->reason = revoked_reason(rev);
        /*
         * A revocation is final whatever the CRL's age; a hold (RFC 5280 §5.3.1) may have been
         * released since a stale CRL was issued, so a stale hold says nothing.
         */
        if (out->reason == 6 && !fresh) {
            out->status = QTB_REV_STALE;
            snprintf(out->note, sizeof(out->note),
                     "on hold in the newest CRL (%.100s, thisUpdate %s), which is stale",
                     best->file, tu);
            return 0;
        }
        out->status = when <= sig_time ? QTB_REV_REVOKED : QTB_REV_REVOKED_LATER;
        snprintf(out->note, sizeof(out->note), "listed on the CRL of %s", tu);
        return 0;
    }
    if (!fresh) {
        if (best->next_update != 0) {
            qtb_time_rfc3339(nu, sizeof(nu), best->next_update);
        } else {
            snprintf(nu, sizeof(nu), "(none)");
        }
        out->status = QTB_REV_STALE;
        snprintf(out->note, sizeof(out->note),
                 "the newest CRL (%s, thisUpdate %s, nextUpdate %s) is stale", best->file, tu, nu);
        return 0;
    }
    out->status = QTB_REV_GOOD;
    if (ignored > 0) {
        snprintf(out->note, sizeof(out->note), "CRL of %s; another %.120s", tu, why);
    } else {
        snprintf(out->note, sizeof(out->note), "CRL of %s", tu);
    }
    return 0;
}
