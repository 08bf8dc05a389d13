/*
 * OCSP (RFC 6960) requests and responses. OpenSSL decodes the structures; every decision is
 * ours: the outer envelope is walked by hand so the BasicOCSPResponse signature is checked over
 * the bytes as received, through qtb_sig_verify (GOST-signed NCA responses then work with the
 * GOST backend), and the responder is authorised against the certificate's issuer without an
 * X509_STORE.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "report_int.h"
#include "revocation_int.h"
#include "sigalg.h"

#define MAX_AGE_DEFAULT 86400L

static void note(qtb_ocsp_answer *a, qtb_ocsp_verdict v, const char *fmt, ...) QTB_PRINTF(3, 4);

static void note(qtb_ocsp_answer *a, qtb_ocsp_verdict v, const char *fmt, ...)
{
    a->verdict = v;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->note, sizeof(a->note), fmt, ap);
    va_end(ap);
}

int qtb_ocsp_request(unsigned char **der, size_t *der_len, unsigned char nonce[QTB_OCSP_NONCE_LEN],
                     X509 *cert, X509 *issuer)
{
    QTB_ASSERT_ARG(der != NULL && der_len != NULL && cert != NULL && issuer != NULL);
    *der = NULL;
    *der_len = 0;
    int rc = 0;
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha256(), cert, issuer);
    if (req == NULL || id == NULL) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot build an OCSP CertID");
        goto done;
    }
    if (OCSP_request_add0_id(req, id) == NULL) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "cannot build an OCSP request");
        goto done;
    }
    id = NULL; /* owned by req now */
    if (nonce != NULL) {
        if (RAND_bytes(nonce, QTB_OCSP_NONCE_LEN) != 1 ||
            OCSP_request_add1_nonce(req, nonce, QTB_OCSP_NONCE_LEN) != 1) {
            rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot add an OCSP nonce");
            goto done;
        }
    }
    int len = i2d_OCSP_REQUEST(req, der);
    if (len <= 0) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot encode an OCSP request");
        goto done;
    }
    *der_len = (size_t)len;
done:
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(req);
    return rc;
}

int qtb_ocsp_cache_key(unsigned char out[QTB_FP_LEN], X509 *cert, X509 *issuer)
{
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha256(), cert, issuer);
    unsigned char *der = NULL;
    int len = id != NULL ? i2d_OCSP_CERTID(id, &der) : -1;
    OCSP_CERTID_free(id);
    if (len <= 0) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "cannot build an OCSP CertID");
    }
    unsigned int mdlen = 0;
    int ok = EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha256(), NULL);
    OPENSSL_free(der);
    if (ok != 1 || mdlen != QTB_FP_LEN) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256 failed");
    }
    return 0;
}

static const char *status_name(unsigned v)
{
    switch (v) {
    case 1:
        return "malformedRequest";
    case 2:
        return "internalError";
    case 3:
        return "tryLater";
    case 5:
        return "sigRequired";
    case 6:
        return "unauthorized";
    default:
        return "an unknown status";
    }
}

/*
 * OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT SEQUENCE {
 * responseType OID, response OCTET STRING } OPTIONAL }: the basic response's bytes, or a note.
 */
static int unwrap(qtb_ocsp_answer *a, const unsigned char **basic, size_t *basic_len,
                  const unsigned char *der, size_t der_len)
{
    static const unsigned char id_basic[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};
    qtb_reader r;
    uint8_t tag = 0;
    const unsigned char *c = NULL;
    size_t clen = 0;
    qtb_reader_init(&r, der, der_len);
    if (qtb_reader_der_tlv(&r, &tag, &c, &clen) != 0 || tag != 0x30 || qtb_reader_left(&r) != 0) {
        qtb_error_clear();
        note(a, QTB_OCSP_INVALID, "not an OCSP response (DER SEQUENCE expected)");
        return 0;
    }
    qtb_reader in;
    qtb_reader_init(&in, c, clen);
    if (qtb_reader_der_tlv(&in, &tag, &c, &clen) != 0 || tag != 0x0a || clen != 1) {
        qtb_error_clear();
        note(a, QTB_OCSP_INVALID, "OCSP response without a readable responseStatus");
        return 0;
    }
    if (c[0] != 0) {
        note(a, QTB_OCSP_INVALID, "the responder answered %s (%u)", status_name(c[0]), c[0]);
        return 0;
    }
    qtb_reader rb;
    if (qtb_reader_der_tlv(&in, &tag, &c, &clen) != 0 || tag != 0xa0 || qtb_reader_left(&in) != 0) {
        qtb_error_clear();
        note(a, QTB_OCSP_INVALID, "successful OCSP response without responseBytes");
        return 0;
    }
    qtb_reader_init(&rb, c, clen);
    if (qtb_reader_der_tlv(&rb, &tag, &c, &clen) != 0 || tag != 0x30 || qtb_reader_left(&rb) != 0) {
        qtb_error_clear();
        note(a, QTB_OCSP_INVALID, "malformed OCSP responseBytes");
        return 0;
    }
    qtb_reader_init(&rb, c, clen);
    if (qtb_reader_der_tlv(&rb, &tag, &c, &clen) != 0 || tag != 0x06 || clen != sizeof(id_basic) ||
        memcmp(c, id_basic, sizeof(id_basic)) != 0) {
        qtb_error_clear();
        note(a, QTB_OCSP_INVALID, "OCSP response type is not id-pkix-ocsp-basic");
        return 0;
    }
    if (qtb_reader_der_tlv(&rb, &tag, &c, &clen) != 0 || tag != 0x04 || qtb_reader_left(&rb) != 0) {
        qtb_error_clear();
        note(a, QTB_OCSP_INVALID, "malformed OCSP response bytes");
        return 0;
    }
    *basic = c;
    *basic_len = clen;
    return 1;
}

/* The SingleResponse about `cert`, matching its CertID under whatever hash the responder used. */
static OCSP_SINGLERESP *find_single(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer, int *matches)
{
    OCSP_SINGLERESP *found = NULL;
    *matches = 0;
    int n = OCSP_resp_count(bs);
    for (int i = 0; i < n; i++) {
        OCSP_SINGLERESP *s = OCSP_resp_get0(bs, i);
        const OCSP_CERTID *id = OCSP_SINGLERESP_get0_id(s);
        ASN1_OBJECT *md_obj = NULL;
        if (id == NULL || OCSP_id_get0_info(NULL, &md_obj, NULL, NULL, (OCSP_CERTID *)id) != 1) {
            continue;
        }
        const EVP_MD *md = EVP_get_digestbyobj(md_obj);
        if (md == NULL) {
            continue;
        }
        OCSP_CERTID *mine = OCSP_cert_to_id(md, cert, issuer);
        if (mine != NULL && OCSP_id_cmp(mine, id) == 0) {
            if (found == NULL) {
                found = s;
            }
            (*matches)++;
        }
        OCSP_CERTID_free(mine);
    }
    ERR_clear_error();
    return found;
}

static bool responder_named(X509 *x, const ASN1_OCTET_STRING *key, const X509_NAME *name)
{
    if (name != NULL) {
        return X509_NAME_cmp(name, X509_get_subject_name(x)) == 0;
    }
    if (key != NULL) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (X509_pubkey_digest(x, EVP_sha1(), md, &len) != 1) {
            ERR_clear_error();
            return false;
        }
        return (size_t)ASN1_STRING_length(key) == len &&
               memcmp(ASN1_STRING_get0_data(key), md, len) == 0;
    }
    return false;
}

/* A delegated responder: issued (and signed) by `issuer`, id-kp-OCSPSigning, valid at `when`. */
static bool delegate_ok(char *why, size_t cap, X509 *resp, X509 *issuer, int64_t when)
{
    char label[128];
    qtb_cert_label(label, sizeof(label), resp);
    if (X509_NAME_cmp(X509_get_issuer_name(resp), X509_get_subject_name(issuer)) != 0) {
        snprintf(why, cap, "responder '%s' was not issued by the certificate's CA", label);
        return false;
    }
    int ok = 0;
    int rc = qtb_sig_verify_cert(&ok, resp, issuer);
    if (rc == QTB_EUNSUPPORTED) {
        snprintf(why, cap, "the signature on responder '%.70s' cannot be checked (%.60s)", label,
                 qtb_error_last()->message);
        qtb_error_clear();
        return false;
    }
    if (rc != 0 || !ok) {
        qtb_error_clear();
        snprintf(why, cap, "responder '%s' is not signed by the certificate's CA", label);
        return false;
    }
    uint32_t fl = X509_get_extension_flags(resp);
    if ((fl & EXFLAG_XKUSAGE) == 0 || (X509_get_extended_key_usage(resp) & XKU_OCSP_SIGN) == 0) {
        snprintf(why, cap, "responder '%s' lacks id-kp-OCSPSigning", label);
        return false;
    }
    int64_t nb = 0, na = 0;
    if (qtb_asn1_time_to_epoch(&nb, X509_get0_notBefore(resp)) < 0 ||
        qtb_asn1_time_to_epoch(&na, X509_get0_notAfter(resp)) < 0 || when < nb || when > na) {
        qtb_error_clear();
        snprintf(why, cap, "responder '%s' was not valid when the response was produced", label);
        return false;
    }
    return true;
}

/* The nonce extension must hold OCTET STRING { nonce } (RFC 8954), as OpenSSL sends it. */
static int nonce_state(OCSP_BASICRESP *bs, const unsigned char *nonce)
{
    int idx = OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1);
    if (idx < 0) {
        return -1; /* absent */
    }
    X509_EXTENSION *ext = OCSP_BASICRESP_get_ext(bs, idx);
    const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
    unsigned char want[2 + QTB_OCSP_NONCE_LEN] = {0x04, QTB_OCSP_NONCE_LEN};
    memcpy(want + 2, nonce, QTB_OCSP_NONCE_LEN);
    if (ASN1_STRING_length(v) == (int)sizeof(want) &&
        memcmp(ASN1_STRING_get0_data(v), want, sizeof(want)) == 0) {
        return 1;
    }
    return 0;
}

static int gen_time(int64_t *out, const ASN1_GENERALIZEDTIME *t)
{
    if (t == NULL) {
        *out = 0;
        return 0;
    }
    return qtb_asn1_time_to_epoch(out, t);
}

int qtb_ocsp_check(qtb_ocsp_answer *out, const unsigned char *der, size_t der_len, X509 *cert,
                   X509 *issuer, const unsigned char *nonce, int64_t now, long max_age_s)
{
    QTB_ASSERT_ARG(out != NULL && der != NULL && cert != NULL && issuer != NULL);
    memset(out, 0, sizeof(*out));
    out->reason = -1;
    out->verdict = QTB_OCSP_INVALID;
    if (max_age_s <= 0) {
        max_age_s = MAX_AGE_DEFAULT;
    }
    const unsigned char *basic = NULL;
    size_t basic_len = 0;
    if (unwrap(out, &basic, &basic_len, der, der_len) == 0) {
        return 0;
    }
    qtb_signed_der sd;
    if (qtb_signed_der_split(&sd, basic, basic_len, true) != 0) {
        note(out, QTB_OCSP_INVALID, "malformed BasicOCSPResponse: %s", qtb_error_last()->message);
        qtb_error_clear();
        return 0;
    }
    int rc = 0;
    const unsigned char *p = basic;
    OCSP_BASICRESP *bs = NULL;
    long blen = basic_len > (size_t)INT32_MAX ? -1 : (long)basic_len;
    if (blen < 0 || (bs = d2i_OCSP_BASICRESP(NULL, &p, blen)) == NULL || p != basic + basic_len) {
        ERR_clear_error();
        note(out, QTB_OCSP_INVALID, "unreadable BasicOCSPResponse");
        goto done;
    }
    if (gen_time(&out->produced_at, OCSP_resp_get0_produced_at(bs)) < 0) {
        qtb_error_clear();
        note(out, QTB_OCSP_INVALID, "OCSP response with an unreadable producedAt");
        goto done;
    }

    /* which certificate does the response say it is about */
    int matches = 0;
    OCSP_SINGLERESP *single = find_single(bs, cert, issuer, &matches);
    if (single == NULL) {
        note(out, QTB_OCSP_INVALID, "the OCSP response is not about this certificate");
        goto done;
    }
    if (matches > 1) {
        note(out, QTB_OCSP_INVALID, "the OCSP response answers %d times for this certificate",
             matches);
        goto done;
    }

    /* who signed it, and may they */
    const ASN1_OCTET_STRING *rkey = NULL;
    const X509_NAME *rname = NULL;
    if (OCSP_resp_get0_id(bs, &rkey, &rname) != 1) {
        note(out, QTB_OCSP_INVALID, "OCSP response without a responderID");
        goto done;
    }
    const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
    X509 *signer = NULL;
    char why[200] = "";
    if (responder_named(issuer, rkey, rname)) {
        signer = issuer;
    }
    for (int i = 0; signer == NULL && i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        if (!responder_named(x, rkey, rname)) {
            continue;
        }
        if (X509_cmp(x, issuer) == 0 ||
            delegate_ok(why, sizeof(why), x, issuer, out->produced_at)) {
            signer = x;
        }
    }
    if (signer == NULL) {
        note(out, QTB_OCSP_INVALID, "OCSP responder not authorised: %s",
             why[0] != '\0' ? why : "neither the CA nor a certificate in the response");
        goto done;
    }
    int ok = 0;
    int vrc = qtb_sig_verify_signed_der(&ok, &sd, X509_get_X509_PUBKEY(signer));
    if (vrc == QTB_EUNSUPPORTED) {
        note(out, QTB_OCSP_INVALID, "OCSP response signature cannot be checked: %s",
             qtb_error_last()->message);
        qtb_error_clear();
        goto done;
    }
    if (vrc < 0 && vrc != QTB_EPARSE) {
        rc = vrc;
        goto done;
    }
    if (vrc == QTB_EPARSE || !ok) {
        qtb_error_clear();
        note(out, QTB_OCSP_INVALID, "OCSP response signature does not verify");
        goto done;
    }

    /* replay protection */
    bool nonce_missing = false;
    if (nonce != NULL) {
        int ns = nonce_state(bs, nonce);
        if (ns == 0) {
            note(out, QTB_OCSP_INVALID, "OCSP nonce differs from the request's (replayed answer?)");
            goto done;
        }
        nonce_missing = ns < 0;
    }

    /* the status and its freshness */
    int reason = -1;
    ASN1_GENERALIZEDTIME *revtime = NULL, *thisupd = NULL, *nextupd = NULL;
    int st = OCSP_single_get0_status(single, &reason, &revtime, &thisupd, &nextupd);
    if (gen_time(&out->this_update, thisupd) < 0 || gen_time(&out->next_update, nextupd) < 0 ||
        thisupd == NULL) {
        qtb_error_clear();
        note(out, QTB_OCSP_INVALID, "OCSP response with unreadable thisUpdate/nextUpdate");
        goto done;
    }
    char tu[32], lim[32];
    qtb_time_rfc3339(tu, sizeof(tu), out->this_update);
    if (out->next_update != 0 && now > out->next_update) {
        qtb_time_rfc3339(lim, sizeof(lim), out->next_update);
        note(out, QTB_OCSP_INVALID, "stale OCSP response (nextUpdate %s)", lim);
        goto done;
    }
    if (out->next_update == 0 && now > out->this_update + max_age_s) {
        note(out, QTB_OCSP_INVALID, "stale OCSP response (thisUpdate %s, no nextUpdate)", tu);
        goto done;
    }
    if (out->next_update != 0 && out->next_update < out->this_update) {
        note(out, QTB_OCSP_INVALID, "OCSP response with nextUpdate before thisUpdate");
        goto done;
    }
    const char *nn = nonce_missing ? ", no nonce echoed" : "";
    switch (st) {
    case V_OCSP_CERTSTATUS_GOOD:
        note(out, QTB_OCSP_GOOD, "OCSP good at %s%s", tu, nn);
        break;
    case V_OCSP_CERTSTATUS_REVOKED:
        if (gen_time(&out->revocation_time, revtime) < 0 || revtime == NULL) {
            qtb_error_clear();
            note(out, QTB_OCSP_INVALID, "OCSP revoked status without a readable time");
            break;
        }
        out->reason = reason;
        /* RFC 6960 §2.2: "revoked", certificateHold, 1970-01-01 marks a never-issued serial. */
        if (out->revocation_time == 0 && reason == OCSP_REVOKED_STATUS_CERTIFICATEHOLD) {
            out->revocation_time = 0;
            note(out, QTB_OCSP_UNKNOWN,
                 "OCSP: certificate not issued by this CA (revoked/certificateHold at "
                 "1970-01-01) at %s",
                 tu);
        } else {
            note(out, QTB_OCSP_REVOKED, "OCSP revoked at %s", tu);
        }
        break;
    default:
        note(out, QTB_OCSP_UNKNOWN, "OCSP unknown at %s", tu);
        break;
    }
done:
    OCSP_BASICRESP_free(bs);
    return rc;
}
