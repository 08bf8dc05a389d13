/*
 * XMLDSig signing in Kalkan's profile (shared/reference/gost-kz.md §1.2): an enveloped
 * ds:Signature appended to the root element, Reference URI="" with enveloped-signature +
 * C14N-with-comments, SHA-256 (GOST keys: Kalkan's GOST URIs and hashes), inclusive C14N 1.0
 * for SignedInfo, the signer's certificate in
 * KeyInfo/X509Data/X509Certificate. A second signer appends a sibling that covers the first.
 */
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <qtb/report.h>
#include <qtb/xmldsig.h>

#include "gost.h"
#include "internal.h"
#include "ossl_int.h"
#include "p12_int.h"
#include "xmldsig_int.h"

#define URI_C14N "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define URI_C14N_COMMENTS "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
#define URI_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define URI_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define URI_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define URI_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define URI_ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

/* Add <ds:name> under `parent`, preceded by a newline as Kalkan writes it. */
static xmlNodePtr add_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
    if (xmlAddChild(parent, xmlNewText(BAD_CAST "\n")) == NULL) {
        return NULL;
    }
    return xmlNewTextChild(parent, ns, BAD_CAST name, text != NULL ? BAD_CAST text : NULL);
}

static xmlNodePtr add_alg(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *uri)
{
    xmlNodePtr el = add_el(parent, ns, name, NULL);
    if (el == NULL || xmlNewProp(el, BAD_CAST "Algorithm", BAD_CAST uri) == NULL) {
        return NULL;
    }
    return el;
}

/* XMLDSig ECDSA values are r||s, each as long as the group order (RFC 4050 §3.3). */
static int der_to_rs(unsigned char **out, size_t *out_len, const unsigned char *der, size_t der_len,
                     int order_bits)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (es == NULL) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "ECDSA signature is not DER");
    }
    size_t half = ((size_t)order_bits + 7u) / 8u;
    unsigned char *rs = qtb_malloc(2 * half);
    int rc = 0;
    if (rs == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
    } else if (BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, (int)half) < 0 ||
               BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + half, (int)half) < 0) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "ECDSA r or s too long");
        qtb_free(rs);
        rs = NULL;
    }
    ECDSA_SIG_free(es);
    *out = rs;
    *out_len = rs != NULL ? 2 * half : 0;
    return rc;
}

static int sign_bytes(unsigned char **out, size_t *out_len, EVP_PKEY *pkey, bool ec,
                      const unsigned char *tbs, size_t tbs_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    int rc = 0;
    *out = NULL;
    if (ctx == NULL || EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, pkey, NULL) != 1 ||
        EVP_DigestSign(ctx, NULL, &sig_len, tbs, tbs_len) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot start signing");
        goto done;
    }
    sig = qtb_malloc(sig_len);
    if (sig == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    if (EVP_DigestSign(ctx, sig, &sig_len, tbs, tbs_len) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "signing failed");
        goto done;
    }
    if (ec) {
        rc = der_to_rs(out, out_len, sig, sig_len, EVP_PKEY_get_bits(pkey));
    } else {
        *out = sig;
        *out_len = sig_len;
        sig = NULL;
    }
done:
    qtb_free(sig);
    EVP_MD_CTX_free(ctx);
    return rc;
}

typedef struct sign_parts {
    xmlNodePtr sig;
    xmlNodePtr signed_info;
    xmlNodePtr digest_value;
    xmlNodePtr sig_value;
} sign_parts;

static int build_signature(sign_parts *sp, xmlNodePtr root, const char *sig_uri,
                           const char *digest_uri, const char *cert_b64, const char *uri)
{
    xmlNodePtr sig = xmlNewNode(NULL, BAD_CAST "Signature");
    if (sig == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (xmlAddChild(root, sig) == NULL) {
        xmlFreeNode(sig);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    xmlNsPtr ns = xmlNewNs(sig, BAD_CAST QTB_DSIG_NS, BAD_CAST "ds");
    if (ns == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    xmlSetNs(sig, ns);
    sp->sig = sig;
    xmlNodePtr si = add_el(sig, ns, "SignedInfo", NULL);
    xmlNodePtr ref = NULL;
    xmlNodePtr trs = NULL;
    bool ok =
        si != NULL && add_alg(si, ns, "CanonicalizationMethod", URI_C14N) != NULL &&
        add_alg(si, ns, "SignatureMethod", sig_uri) != NULL &&
        (ref = add_el(si, ns, "Reference", NULL)) != NULL &&
        xmlNewProp(ref, BAD_CAST "URI", BAD_CAST uri) != NULL &&
        (trs = add_el(ref, ns, "Transforms", NULL)) != NULL &&
        add_alg(trs, ns, "Transform", URI_ENVELOPED) != NULL &&
        add_alg(trs, ns, "Transform", uri[0] == '\0' ? URI_C14N_COMMENTS : URI_EXC_C14N) != NULL &&
        xmlAddChild(trs, xmlNewText(BAD_CAST "\n")) != NULL &&
        add_alg(ref, ns, "DigestMethod", digest_uri) != NULL &&
        (sp->digest_value = add_el(ref, ns, "DigestValue", "")) != NULL &&
        xmlAddChild(ref, xmlNewText(BAD_CAST "\n")) != NULL &&
        xmlAddChild(si, xmlNewText(BAD_CAST "\n")) != NULL &&
        (sp->sig_value = add_el(sig, ns, "SignatureValue", "")) != NULL;
    xmlNodePtr ki = NULL;
    xmlNodePtr xd = NULL;
    ok = ok && (ki = add_el(sig, ns, "KeyInfo", NULL)) != NULL &&
         (xd = add_el(ki, ns, "X509Data", NULL)) != NULL &&
         add_el(xd, ns, "X509Certificate", cert_b64) != NULL &&
         xmlAddChild(xd, xmlNewText(BAD_CAST "\n")) != NULL &&
         xmlAddChild(ki, xmlNewText(BAD_CAST "\n")) != NULL &&
         xmlAddChild(sig, xmlNewText(BAD_CAST "\n")) != NULL;
    if (!ok) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory building ds:Signature");
    }
    sp->signed_info = si;
    return 0;
}

static int set_b64(xmlNodePtr el, const unsigned char *data, size_t len)
{
    char *b64 = NULL;
    QTB_TRY(qtb_base64_encode(&b64, data, len));
    xmlNodeSetContent(el, BAD_CAST b64);
    qtb_free(b64);
    return 0;
}

/* SHA-256, or the GOST hash `gost` when it is not QTB_GOST_HASH_NONE (Kalkan's GOST profile). */
static int digest_document(unsigned char *md, unsigned int *md_len, xmlDocPtr doc, xmlNodePtr sig,
                           const xmlNode *target, qtb_gost_hash gost)
{
    qtb_xml_nodeset s;
    memset(&s, 0, sizeof(s));
    s.root = target;
    s.excl[s.nexcl++] = sig; /* enveloped-signature; URI="" leaves comments out */
    int mode = target != NULL ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0;
    if (gost != QTB_GOST_HASH_NONE) {
        qtb_buf b;
        qtb_buf_init(&b, QTB_MAX_SIGNATURE_FILE);
        size_t n = 0;
        int rc = qtb_xml_c14n(NULL, &b, doc, &s, mode, false);
        if (rc == 0) {
            rc = qtb_gost_digest(md, EVP_MAX_MD_SIZE, &n, gost, b.data, b.len);
        }
        qtb_buf_dispose(&b);
        *md_len = (unsigned int)n;
        return rc;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = 0;
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot start SHA-256");
    } else {
        rc = qtb_xml_c14n(ctx, NULL, doc, &s, mode, false);
    }
    if (rc == 0 && EVP_DigestFinal_ex(ctx, md, md_len) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256 failed");
    }
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int cert_base64(char **out, X509 *cert)
{
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    if (n <= 0) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "cannot encode the certificate");
    }
    int rc = qtb_base64_encode(out, der, (size_t)n);
    OPENSSL_free(der);
    return rc;
}

/* The element whose `Id` attribute is `id` (first in document order), or NULL. */
static xmlNodePtr find_id(xmlNodePtr n, const char *id)
{
    for (; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        xmlChar *v = xmlGetNoNsProp(n, BAD_CAST "Id");
        bool hit = v != NULL && xmlStrEqual(v, BAD_CAST id);
        xmlFree(v);
        if (hit) {
            return n;
        }
        xmlNodePtr c = find_id(n->children, id);
        if (c != NULL) {
            return c;
        }
    }
    return NULL;
}

int qtb_xml_sign(char **out, size_t *out_len, const unsigned char *xml, size_t xml_len,
                 const qtb_p12 *key)
{
    return qtb_xml_sign_id(out, out_len, xml, xml_len, key, NULL);
}

int qtb_xml_sign_id(char **out, size_t *out_len, const unsigned char *xml, size_t xml_len,
                    const qtb_p12 *key, const char *ref_id)
{
    QTB_ASSERT_ARG(out != NULL && out_len != NULL && key != NULL);
    QTB_ASSERT_ARG(xml != NULL || xml_len == 0);
    *out = NULL;
    *out_len = 0;
    qtb_ossl_init();
    EVP_PKEY *pkey = qtb_p12_pkey(key);
    X509 *cert = qtb_p12_cert(key);
    /* A Kazakh GOST key: Kalkan's URIs (gost-kz.md §1.2), r||s little-endian. */
    qtb_gost_privkey gkey;
    memset(&gkey, 0, sizeof(gkey));
    bool gost = pkey == NULL && cert != NULL && qtb_p12_has_key(key);
    if (gost) {
        QTB_TRY(qtb_gost_signing_key(&gkey, key));
    } else if (pkey == NULL || cert == NULL) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "the key store has no private key to sign with");
    }
    bool ec = !gost && EVP_PKEY_is_a(pkey, "EC");
    if (!gost && !ec && !EVP_PKEY_is_a(pkey, "RSA")) {
        return QTB_FAIL(QTB_EUNSUPPORTED, "XML signing supports RSA, EC and GOST keys only");
    }
    const char *sig_uri = gost ? gkey.alg->sig_uri : ec ? URI_ECDSA_SHA256 : URI_RSA_SHA256;
    const char *digest_uri = gost ? gkey.alg->digest_uri : URI_SHA256;

    xmlDocPtr doc = NULL;
    char *cert_b64 = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    qtb_buf si;
    xmlChar *dump = NULL;
    int dump_len = 0;
    qtb_buf_init(&si, QTB_MAX_SIGNATURE_FILE);
    int rc = qtb_xml_parse(&doc, xml, xml_len);
    QTB_TRY_GOTO(rc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root == NULL) {
        rc = QTB_FAIL(QTB_EPARSE, "the XML has no root element");
        goto done;
    }
    xmlNodePtr target = NULL;
    char uri[160] = "";
    if (ref_id != NULL) {
        target = find_id(root, ref_id);
        if (target == NULL || strlen(ref_id) + 2 > sizeof(uri)) {
            rc = QTB_FAIL(QTB_ENOTFOUND, "no element has Id \"%.100s\"", ref_id);
            goto done;
        }
        snprintf(uri, sizeof(uri), "#%s", ref_id);
    }
    QTB_TRY_GOTO(cert_base64(&cert_b64, cert));
    sign_parts sp;
    memset(&sp, 0, sizeof(sp));
    QTB_TRY_GOTO(build_signature(&sp, root, sig_uri, digest_uri, cert_b64, uri));

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    QTB_TRY_GOTO(digest_document(md, &md_len, doc, sp.sig, target,
                                 gost ? gkey.alg->hash : QTB_GOST_HASH_NONE));
    QTB_TRY_GOTO(set_b64(sp.digest_value, md, md_len));

    qtb_xml_nodeset s;
    memset(&s, 0, sizeof(s));
    s.root = sp.signed_info;
    QTB_TRY_GOTO(qtb_xml_c14n(NULL, &si, doc, &s, XML_C14N_1_0, false));
    if (gost) {
        sig_len = 2 * gkey.alg->field_len;
        sig = qtb_malloc(sig_len);
        if (sig == NULL) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
            goto done;
        }
        QTB_TRY_GOTO(qtb_gost_sign(sig, sig_len, &sig_len, &gkey, si.data, si.len));
    } else {
        QTB_TRY_GOTO(sign_bytes(&sig, &sig_len, pkey, ec, si.data, si.len));
    }
    QTB_TRY_GOTO(set_b64(sp.sig_value, sig, sig_len));

    xmlDocDumpMemoryEnc(doc, &dump, &dump_len, "UTF-8");
    if (dump == NULL || dump_len <= 0) {
        rc = QTB_FAIL(QTB_ENOMEM, "cannot serialise the signed XML");
        goto done;
    }
    *out = qtb_strndup((const char *)dump, (size_t)dump_len);
    if (*out == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    *out_len = (size_t)dump_len;
    rc = 0;
done:
    qtb_gost_privkey_wipe(&gkey);
    xmlFree(dump);
    qtb_free(sig);
    qtb_free(cert_b64);
    qtb_buf_dispose(&si);
    xmlFreeDoc(doc);
    return rc;
}
