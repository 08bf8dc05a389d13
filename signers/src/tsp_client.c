/*
 * RFC 3161 client: a TimeStampReq over the SHA-256 of a SignerInfo's signature value, posted to
 * the TSA (http_fetch.c), the answer checked against the request, and the token embedded by
 * qtb_cms_add_timestamp. The token is taken from the answer as received (not re-encoded).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include <qtb/cms.h>
#include <qtb/tsp.h>

#include "revocation_int.h"

#define TSA_TIMEOUT_DEFAULT_MS 10000L
#define TSA_MAX_RESPONSE (1u << 20)

/* The SHA-256 of the signature value of SignerInfo *index (QTB_TSP_LAST_SIGNER: the last,
 * whose index is then written back). */
static int signature_digest(unsigned char md[32], const unsigned char *cms_in, size_t cms_len,
                            size_t *index_io)
{
    size_t index = *index_io;
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form;
    int n = 0, rc = 0;
    CMS_ContentInfo *cms = NULL;
    QTB_TRY(qtb_decode_binary_input(&der, &der_len, &owned, &form, NULL, 0, cms_in, cms_len));
    QTB_TRY_GOTO(qtb_size_to_int(&n, der_len));
    const unsigned char *p = der;
    cms = d2i_CMS_ContentInfo(NULL, &p, n);
    STACK_OF(CMS_SignerInfo) *sis = cms != NULL ? CMS_get0_SignerInfos(cms) : NULL;
    if (sis == NULL) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "not a CMS SignedData");
        goto done;
    }
    if (index == QTB_TSP_LAST_SIGNER && sk_CMS_SignerInfo_num(sis) > 0) {
        index = (size_t)sk_CMS_SignerInfo_num(sis) - 1;
        *index_io = index;
    }
    if (index >= (size_t)sk_CMS_SignerInfo_num(sis)) {
        rc = QTB_FAIL(QTB_ENOTFOUND, "the CMS has no signer %zu", index + 1);
        goto done;
    }
    ASN1_OCTET_STRING *sig =
        CMS_SignerInfo_get0_signature(sk_CMS_SignerInfo_value(sis, (int)index));
    unsigned int mdlen = 0;
    if (sig == NULL || ASN1_STRING_length(sig) <= 0 ||
        EVP_Digest(ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), md, &mdlen,
                   EVP_sha256(), NULL) != 1 ||
        mdlen != 32) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "signer %zu has no signature value", index + 1);
        goto done;
    }
done:
    CMS_ContentInfo_free(cms);
    if (owned) {
        qtb_free((void *)der);
    }
    return rc;
}

static int build_request(unsigned char **der, size_t *der_len, ASN1_INTEGER **nonce_out,
                         const unsigned char md[32], const ASN1_OBJECT *policy)
{
    int rc = 0;
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *imp = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_INTEGER *nonce = NULL;
    BIGNUM *bn = BN_new();
    *der = NULL;
    if (req == NULL || imp == NULL || alg == NULL || bn == NULL ||
        TS_REQ_set_version(req, 1) != 1 ||
        X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) != 1 ||
        TS_MSG_IMPRINT_set_algo(imp, alg) != 1 ||
        TS_MSG_IMPRINT_set_msg(imp, (unsigned char *)md, 32) != 1 ||
        TS_REQ_set_msg_imprint(req, imp) != 1 ||
        BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        (nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || TS_REQ_set_nonce(req, nonce) != 1 ||
        TS_REQ_set_cert_req(req, 1) != 1 ||
        (policy != NULL && TS_REQ_set_policy_id(req, policy) != 1)) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot build a timestamp request");
        goto done;
    }
    int len = i2d_TS_REQ(req, der);
    if (len <= 0) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot encode a timestamp request");
        goto done;
    }
    *der_len = (size_t)len;
    *nonce_out = nonce;
    nonce = NULL;
done:
    ASN1_INTEGER_free(nonce);
    BN_free(bn);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(imp);
    TS_REQ_free(req);
    return rc;
}

/* TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }:
 * the token's TLV as received. */
static int token_bytes(const unsigned char **tok, size_t *tok_len, const unsigned char *der,
                       size_t len)
{
    qtb_reader r, in;
    uint8_t tag = 0;
    const unsigned char *c = NULL;
    size_t clen = 0;
    qtb_reader_init(&r, der, len);
    QTB_TRY(qtb_reader_der_tlv(&r, &tag, &c, &clen));
    QTB_ENSURE(tag == 0x30 && qtb_reader_left(&r) == 0, QTB_EPARSE, "TSA answer: not DER");
    qtb_reader_init(&in, c, clen);
    QTB_TRY(qtb_reader_der_tlv(&in, &tag, &c, &clen));
    size_t start = in.pos;
    QTB_TRY(qtb_reader_der_tlv(&in, &tag, &c, &clen));
    QTB_ENSURE(tag == 0x30 && qtb_reader_left(&in) == 0, QTB_EPARSE,
               "TSA answer: no single token after the status");
    *tok = in.data + start;
    *tok_len = in.pos - start;
    return 0;
}

/* Granted, about our imprint and nonce (and policy): the token's bytes, else an error. */
static int check_response(const unsigned char **tok, size_t *tok_len, const unsigned char *der,
                          size_t len, const unsigned char md[32], const ASN1_INTEGER *nonce,
                          const ASN1_OBJECT *policy)
{
    int rc = 0;
    const unsigned char *p = der;
    long l = len > (size_t)INT32_MAX ? -1 : (long)len;
    TS_RESP *resp = l > 0 ? d2i_TS_RESP(NULL, &p, l) : NULL;
    if (resp == NULL || p != der + len) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "the TSA's answer is not a TimeStampResp");
        goto done;
    }
    TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
    long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
    if (status != 0 && status != 1) {
        char text[160] = "";
        const STACK_OF(ASN1_UTF8STRING) *t = TS_STATUS_INFO_get0_text(si);
        if (t != NULL && sk_ASN1_UTF8STRING_num(t) > 0) {
            const ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(t, 0);
            snprintf(text, sizeof(text), ": %.*s",
                     ASN1_STRING_length(s) > 120 ? 120 : ASN1_STRING_length(s),
                     (const char *)ASN1_STRING_get0_data(s));
        }
        rc = QTB_FAIL(QTB_ENET, "the TSA refused the request (status %ld%s)", status, text);
        goto done;
    }
    TS_TST_INFO *ti = TS_RESP_get_tst_info(resp);
    if (ti == NULL || TS_RESP_get_token(resp) == NULL) {
        rc = QTB_FAIL(QTB_EPARSE, "the TSA granted the request but sent no token");
        goto done;
    }
    TS_MSG_IMPRINT *imp = TS_TST_INFO_get_msg_imprint(ti);
    ASN1_OCTET_STRING *got = TS_MSG_IMPRINT_get_msg(imp);
    X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(imp);
    if (OBJ_obj2nid(alg->algorithm) != NID_sha256 || ASN1_STRING_length(got) != 32 ||
        memcmp(ASN1_STRING_get0_data(got), md, 32) != 0) {
        rc = QTB_FAIL(QTB_EINTEGRITY, "the TSA's token is about another message imprint");
        goto done;
    }
    const ASN1_INTEGER *tn = TS_TST_INFO_get_nonce(ti);
    if (tn == NULL || ASN1_INTEGER_cmp(tn, nonce) != 0) {
        rc = QTB_FAIL(QTB_EINTEGRITY, "the TSA's token does not carry our nonce");
        goto done;
    }
    if (policy != NULL && OBJ_cmp(TS_TST_INFO_get_policy_id(ti), policy) != 0) {
        rc = QTB_FAIL(QTB_EINTEGRITY, "the TSA's token has another policy than requested");
        goto done;
    }
    rc = token_bytes(tok, tok_len, der, len);
done:
    TS_RESP_free(resp);
    return rc;
}

int qtb_cms_timestamp_signer(unsigned char **out, size_t *out_len, const unsigned char *cms,
                             size_t cms_len, size_t index, const qtb_tsa_options *o)
{
    QTB_ASSERT_ARG(out != NULL && out_len != NULL && cms != NULL && o != NULL);
    *out = NULL;
    *out_len = 0;
    if (o->version != QTB_TSA_OPTIONS_VERSION || o->url == NULL || o->timeout_ms < 0 ||
        o->retries > 5) {
        return QTB_FAIL(QTB_EUSAGE, "bad qtb_tsa_options (version, url, timeout, retries)");
    }
    ASN1_OBJECT *policy = NULL;
    if (o->policy_oid != NULL && (policy = OBJ_txt2obj(o->policy_oid, 1)) == NULL) {
        ERR_clear_error();
        return QTB_FAIL(QTB_EUSAGE, "TSA policy is not a dotted OID: '%.80s'", o->policy_oid);
    }
    int rc = 0;
    unsigned char md[32];
    unsigned char *req = NULL;
    size_t req_len = 0;
    ASN1_INTEGER *nonce = NULL;
    qtb_buf resp;
    qtb_buf_init(&resp, TSA_MAX_RESPONSE);
    QTB_TRY_GOTO(signature_digest(md, cms, cms_len, &index));
    QTB_TRY_GOTO(build_request(&req, &req_len, &nonce, md, policy));
    qtb_http_opts ho = {.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : TSA_TIMEOUT_DEFAULT_MS,
                        .retries = o->retries,
                        .max_body = TSA_MAX_RESPONSE};
    QTB_TRY_GOTO(
        qtb_http_fetch(&resp, o->url, "application/timestamp-query", req, req_len, &ho, NULL));
    const unsigned char *tok = NULL;
    size_t tok_len = 0;
    QTB_TRY_GOTO(check_response(&tok, &tok_len, resp.data, resp.len, md, nonce, policy));
    QTB_TRY_GOTO(qtb_cms_add_timestamp(out, out_len, cms, cms_len, index, tok, tok_len));
done:
    qtb_buf_dispose(&resp);
    OPENSSL_free(req);
    ASN1_INTEGER_free(nonce);
    ASN1_OBJECT_free(policy);
    return rc;
}
