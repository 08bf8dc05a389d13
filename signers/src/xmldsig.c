/*
 * XMLDSig verification (XMLDSig 1.1, W3C REC 2013) as Kazakh portals meet it: Kalkan/NCALayer
 * enveloped signatures, SAML-style #id references, several sibling signatures.
 *
 * Our own reference processing, not xmlsec: libxml2 C14N over a node set described by a
 * visibility callback, digests streamed into OpenSSL (or a backend hash for GOST), SignedInfo
 * checked through qtb_sig_verify and the signer through qtb_trust_validate. Everything hostile
 * is refused before any cryptography: DTDs, remote or XPointer references, unknown transforms,
 * a SignedInfo that is not the first child of its Signature, comments inside DigestValue,
 * duplicate IDs.
 *
 * Multi-signature convention (Kalkan, shared/fixtures-real/SOURCES.md): signature k covers the
 * document with the sibling signatures before it and without the ones appended after it.
 */
#include <pthread.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/hash.h>
#include <libxml/tree.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <qtb/verify.h>

#include "certcache_int.h"
#include "certinfo_int.h"
#include "internal.h"
#include "report_int.h"
#include "sigalg.h"
#include "trust_int.h"
#include "trust_priv.h"
#include "xmldsig_int.h"

#define SAML_ASSERTION_NS "urn:oasis:names:tc:SAML:2.0:assertion"
#define SAML_PROTOCOL_NS "urn:oasis:names:tc:SAML:2.0:protocol"
#define SAML_METADATA_NS "urn:oasis:names:tc:SAML:2.0:metadata"
#define WSU_NS "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
#define XML_NS "http://www.w3.org/XML/1998/namespace"

#define T_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define T_BASE64 "http://www.w3.org/2000/09/xmldsig#base64"
#define T_XPATH "http://www.w3.org/TR/1999/REC-xpath-19991116"

#define MAX_KEYINFO_CERTS 16u
#define MAX_C14N_OUTPUT ((size_t)QTB_MAX_SIGNATURE_FILE * 2u)

/* ---- digests fetched once per process (EVP_MD objects are immutable and shared) ---------- */

static const char *const md_names[] = {"SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
static EVP_MD *md_table[QTB_ARRAY_LEN(md_names)];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_init(void)
{
    for (size_t i = 0; i < QTB_ARRAY_LEN(md_names); i++) {
        md_table[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
    }
}

/* A digest by OpenSSL name; borrowed (never freed). NULL if unavailable. */
static const EVP_MD *md_get(const char *name)
{
    pthread_once(&md_once, md_init);
    for (size_t i = 0; i < QTB_ARRAY_LEN(md_names); i++) {
        if (strcmp(md_names[i], name) == 0) {
            return md_table[i];
        }
    }
    return NULL;
}

/* ---- the document: IDs and signatures ------------------------------------------------------ */

typedef struct xml_doc {
    xmlDocPtr doc;
    xmlHashTablePtr ids; /* ID value -> element */
    xmlNodePtr sigs[QTB_MAX_SIGNERS];
    size_t nsigs;
    char dup_id[128]; /* first duplicate ID seen */
    bool too_many_sigs;
} xml_doc;

/* Is `attr` an ID attribute? The reference settings of shared/conformance/README.md: `Id` on
 * any element, `ID` on SAML 2.0 elements, plus wsu:Id (WS-Security, SHEP) and xml:id. */
static bool is_id_attr(const xmlAttr *a)
{
    const xmlNode *el = a->parent;
    if (a->ns == NULL) {
        if (xmlStrEqual(a->name, BAD_CAST "Id")) {
            return true;
        }
        if (xmlStrEqual(a->name, BAD_CAST "ID") && el->ns != NULL) {
            const xmlChar *ns = el->ns->href;
            return xmlStrEqual(ns, BAD_CAST SAML_ASSERTION_NS) ||
                   xmlStrEqual(ns, BAD_CAST SAML_PROTOCOL_NS) ||
                   xmlStrEqual(ns, BAD_CAST SAML_METADATA_NS);
        }
        return false;
    }
    return (xmlStrEqual(a->ns->href, BAD_CAST WSU_NS) && xmlStrEqual(a->name, BAD_CAST "Id")) ||
           (xmlStrEqual(a->ns->href, BAD_CAST XML_NS) && xmlStrEqual(a->name, BAD_CAST "id"));
}

static int register_ids(xml_doc *d, xmlNodePtr el)
{
    for (xmlAttrPtr a = el->properties; a != NULL; a = a->next) {
        if (!is_id_attr(a)) {
            continue;
        }
        xmlChar *v = xmlNodeListGetString(d->doc, a->children, 1);
        if (v == NULL) {
            v = xmlStrdup(BAD_CAST "");
            if (v == NULL) {
                return QTB_FAIL(QTB_ENOMEM, "out of memory");
            }
        }
        int added = xmlHashAddEntry(d->ids, v, el);
        if (added != 0 && d->dup_id[0] == '\0') {
            snprintf(d->dup_id, sizeof(d->dup_id), "%s", (const char *)v);
        }
        xmlFree(v);
    }
    return 0;
}

/* One pass in document order: IDs registered (duplicates noted), signatures collected. */
static int scan_document(xml_doc *d)
{
    xmlNodePtr n = xmlDocGetRootElement(d->doc);
    while (n != NULL) {
        if (n->type == XML_ELEMENT_NODE) {
            QTB_TRY(register_ids(d, n));
            if (qtb_xml_is_dsig(n, "Signature")) {
                if (d->nsigs == QTB_MAX_SIGNERS) {
                    d->too_many_sigs = true;
                    return 0;
                }
                d->sigs[d->nsigs++] = n;
            }
            if (n->children != NULL) {
                n = n->children;
                continue;
            }
        }
        while (n != NULL && n->next == NULL) {
            n = n->parent;
            if (n != NULL && n->type == XML_DOCUMENT_NODE) {
                n = NULL;
            }
        }
        if (n != NULL) {
            n = n->next;
        }
    }
    return 0;
}

/* ---- node sets (what a Reference selects) ------------------------------------------------- */

static bool excluded(const qtb_xml_nodeset *s, const xmlNode *el)
{
    for (size_t i = 0; i < s->nexcl; i++) {
        if (s->excl[i] == el) {
            return true;
        }
    }
    return s->excl_all_sigs && qtb_xml_is_dsig(el, "Signature");
}

/* libxml2 passes namespace nodes as xmlNs cast to xmlNode (their `type` field lines up). */
static int nodeset_visible(void *ud, xmlNodePtr node, xmlNodePtr parent)
{
    const qtb_xml_nodeset *s = ud;
    const xmlNode *n = node;
    if (node->type == XML_NAMESPACE_DECL) {
        n = parent;
    } else if (node->type == XML_COMMENT_NODE && !s->comments) {
        return 0;
    }
    bool inside = s->root == NULL;
    for (const xmlNode *p = n; p != NULL; p = p->parent) {
        if (p == s->root) {
            inside = true;
        }
        if (p->type == XML_ELEMENT_NODE && excluded(s, p)) {
            return 0;
        }
    }
    return inside ? 1 : 0;
}

/* ---- C14N into a digest or a buffer ------------------------------------------------------- */

typedef struct sink {
    EVP_MD_CTX *md; /* stream here when set */
    qtb_buf *buf;   /* otherwise collect */
    int err;
} sink;

static int sink_write(void *ctx, const char *data, int len)
{
    sink *k = ctx;
    if (len < 0) {
        return -1;
    }
    if (k->md != NULL) {
        if (EVP_DigestUpdate(k->md, data, (size_t)len) != 1) {
            k->err = QTB_FAIL_SSL(QTB_ECRYPTO, "digest update failed");
            return -1;
        }
        return len;
    }
    int rc = qtb_buf_put(k->buf, data, (size_t)len);
    if (rc < 0) {
        k->err = rc;
        return -1;
    }
    return len;
}

static int sink_close(void *ctx)
{
    (void)ctx;
    return 0;
}

/* Canonicalize the node set `s` (C14N `mode`, exclusive prefixes) into `k`. */
static int c14n_run(sink *k, xmlDocPtr doc, qtb_xml_nodeset *s, int mode, xmlChar **prefixes,
                    bool comments)
{
    xmlOutputBufferPtr ob = xmlOutputBufferCreateIO(sink_write, sink_close, k, NULL);
    if (ob == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "cannot create a C14N output buffer");
    }
    int n = xmlC14NExecute(doc, nodeset_visible, s, mode, prefixes, comments ? 1 : 0, ob);
    int closed = xmlOutputBufferClose(ob);
    if (k->err < 0) {
        return k->err;
    }
    if (n < 0 || closed < 0) {
        return QTB_FAIL(QTB_EPARSE, "XML canonicalization failed");
    }
    return 0;
}

int qtb_xml_c14n(EVP_MD_CTX *md, qtb_buf *buf, xmlDocPtr doc, qtb_xml_nodeset *s, int mode,
                 bool comments)
{
    sink k = {md, buf, 0};
    return c14n_run(&k, doc, s, mode, NULL, comments);
}

/* ---- small DOM helpers -------------------------------------------------------------------- */

static bool is_blank_text(const xmlNode *n)
{
    if (n->type != XML_TEXT_NODE) {
        return false;
    }
    for (const xmlChar *c = n->content; c != NULL && *c != '\0'; c++) {
        if (*c != ' ' && *c != '\t' && *c != '\r' && *c != '\n') {
            return false;
        }
    }
    return true;
}

/* Next element sibling from `n` on; NULL at the end. Sets *bad on non-blank text. */
static xmlNodePtr next_element(xmlNodePtr n, bool *bad)
{
    for (; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            return n;
        }
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (!is_blank_text(n)) {
                *bad = true;
            }
        }
    }
    return NULL;
}

/* The text of an element that must hold only text (DigestValue, SignatureValue, ...): a comment,
 * PI or element inside is refused, since implementations disagree on what it means. */
static int text_only(char **out, const xmlNode *el, char *why, size_t why_cap)
{
    qtb_buf b;
    *out = NULL;
    qtb_buf_init(&b, QTB_MAX_SIGNATURE_FILE);
    for (const xmlNode *c = el->children; c != NULL; c = c->next) {
        if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) {
            snprintf(why, why_cap, "%s holds a %s, not only text", (const char *)el->name,
                     c->type == XML_COMMENT_NODE ? "comment" : "node");
            qtb_buf_dispose(&b);
            return 1;
        }
        if (c->content != NULL) {
            int rc = qtb_buf_puts(&b, (const char *)c->content);
            if (rc < 0) {
                qtb_buf_dispose(&b);
                return rc;
            }
        }
    }
    int rc = qtb_buf_cstr(&b);
    if (rc < 0) {
        qtb_buf_dispose(&b);
        return rc;
    }
    *out = (char *)qtb_buf_detach(&b, NULL);
    return 0;
}

static int text_base64(unsigned char **out, size_t *out_len, const xmlNode *el, char *why,
                       size_t why_cap)
{
    char *txt = NULL;
    *out = NULL;
    *out_len = 0;
    int rc = text_only(&txt, el, why, why_cap);
    if (rc != 0) {
        return rc;
    }
    rc = qtb_base64_decode(out, out_len, txt, strlen(txt), 0);
    qtb_free(txt);
    if (rc == QTB_EPARSE) {
        qtb_error_clear();
        snprintf(why, why_cap, "%s is not valid base64", (const char *)el->name);
        return 1;
    }
    return rc;
}

static const char *attr(const xmlNode *el, const char *name)
{
    for (const xmlAttr *a = el->properties; a != NULL; a = a->next) {
        if (a->ns == NULL && xmlStrEqual(a->name, BAD_CAST name) && a->children != NULL &&
            a->children->type == XML_TEXT_NODE && a->children->next == NULL) {
            return (const char *)a->children->content;
        }
    }
    for (const xmlAttr *a = el->properties; a != NULL; a = a->next) {
        if (a->ns == NULL && xmlStrEqual(a->name, BAD_CAST name)) {
            return ""; /* present but not a plain value: treated as unknown */
        }
    }
    return NULL;
}

/* ---- the parsed shape of one Signature ---------------------------------------------------- */

typedef struct transform {
    const xmlNode *el;
    const char *uri;
} transform;

typedef struct reference {
    const xmlNode *el;
    const char *uri;
    transform tr[QTB_MAX_XML_TRANSFORMS];
    size_t ntr;
    const char *digest_uri;
    const xmlNode *digest_value;
} reference;

typedef struct sig_shape {
    xmlNodePtr sig;
    xmlNodePtr signed_info;
    xmlNodePtr c14n_method;
    xmlNodePtr sig_method;
    xmlNodePtr sig_value;
    xmlNodePtr key_info;
    reference refs[QTB_MAX_XML_REFERENCES];
    size_t nrefs;
} sig_shape;

/* XMLDSig schema order, strictly: Signature = SignedInfo, SignatureValue, KeyInfo?, Object*.
 * Only the direct first child counts as SignedInfo (a hidden or second one is refused). */
static int shape_signature(sig_shape *sh, char *why, size_t cap)
{
    bool bad = false;
    xmlNodePtr c = next_element(sh->sig->children, &bad);
    if (!qtb_xml_is_dsig(c, "SignedInfo")) {
        snprintf(why, cap, "the first child of Signature is not ds:SignedInfo");
        return 1;
    }
    sh->signed_info = c;
    c = next_element(c->next, &bad);
    if (!qtb_xml_is_dsig(c, "SignatureValue")) {
        snprintf(why, cap, "ds:SignatureValue does not follow ds:SignedInfo");
        return 1;
    }
    sh->sig_value = c;
    c = next_element(c->next, &bad);
    if (qtb_xml_is_dsig(c, "KeyInfo")) {
        sh->key_info = c;
        c = next_element(c->next, &bad);
    }
    while (qtb_xml_is_dsig(c, "Object")) {
        c = next_element(c->next, &bad);
    }
    if (c != NULL) {
        snprintf(why, cap, "unexpected element <%s> inside ds:Signature", (const char *)c->name);
        return 1;
    }
    if (bad) {
        snprintf(why, cap, "text inside ds:Signature");
        return 1;
    }
    return 0;
}

static int shape_reference(reference *r, xmlNodePtr el, char *why, size_t cap)
{
    bool bad = false;
    r->el = el;
    r->uri = attr(el, "URI");
    if (r->uri == NULL) {
        snprintf(why, cap, "a ds:Reference has no URI (only same-document references are used)");
        return 1;
    }
    xmlNodePtr c = next_element(el->children, &bad);
    if (qtb_xml_is_dsig(c, "Transforms")) {
        xmlNodePtr t = next_element(c->children, &bad);
        for (; t != NULL; t = next_element(t->next, &bad)) {
            if (!qtb_xml_is_dsig(t, "Transform")) {
                snprintf(why, cap, "unexpected <%s> inside ds:Transforms", (const char *)t->name);
                return 1;
            }
            if (r->ntr == QTB_MAX_XML_TRANSFORMS) {
                snprintf(why, cap, "more than %u transforms", QTB_MAX_XML_TRANSFORMS);
                return 1;
            }
            r->tr[r->ntr].el = t;
            r->tr[r->ntr].uri = attr(t, "Algorithm");
            r->ntr++;
        }
        c = next_element(c->next, &bad);
    }
    if (!qtb_xml_is_dsig(c, "DigestMethod")) {
        snprintf(why, cap, "ds:Reference has no ds:DigestMethod");
        return 1;
    }
    r->digest_uri = attr(c, "Algorithm");
    c = next_element(c->next, &bad);
    if (!qtb_xml_is_dsig(c, "DigestValue")) {
        snprintf(why, cap, "ds:Reference has no ds:DigestValue");
        return 1;
    }
    r->digest_value = c;
    c = next_element(c->next, &bad);
    if (c != NULL || bad) {
        snprintf(why, cap, "unexpected content inside ds:Reference");
        return 1;
    }
    return 0;
}

/* SignedInfo = CanonicalizationMethod, SignatureMethod, Reference+ (XMLDSig §4.4). */
static int shape_signed_info(sig_shape *sh, char *why, size_t cap)
{
    bool bad = false;
    xmlNodePtr c = next_element(sh->signed_info->children, &bad);
    if (!qtb_xml_is_dsig(c, "CanonicalizationMethod")) {
        snprintf(why, cap, "ds:SignedInfo does not start with ds:CanonicalizationMethod");
        return 1;
    }
    sh->c14n_method = c;
    c = next_element(c->next, &bad);
    if (!qtb_xml_is_dsig(c, "SignatureMethod")) {
        snprintf(why, cap, "ds:SignatureMethod does not follow ds:CanonicalizationMethod");
        return 1;
    }
    sh->sig_method = c;
    for (c = next_element(c->next, &bad); c != NULL; c = next_element(c->next, &bad)) {
        if (!qtb_xml_is_dsig(c, "Reference")) {
            snprintf(why, cap, "unexpected <%s> inside ds:SignedInfo", (const char *)c->name);
            return 1;
        }
        if (sh->nrefs == QTB_MAX_XML_REFERENCES) {
            snprintf(why, cap, "more than %u references", QTB_MAX_XML_REFERENCES);
            return 1;
        }
        int rc = shape_reference(&sh->refs[sh->nrefs], c, why, cap);
        if (rc != 0) {
            return rc;
        }
        sh->nrefs++;
    }
    if (bad) {
        snprintf(why, cap, "text inside ds:SignedInfo");
        return 1;
    }
    if (sh->nrefs == 0) {
        snprintf(why, cap, "ds:SignedInfo has no ds:Reference: the signature covers nothing");
        return 1;
    }
    return 0;
}

/* ---- verdict bookkeeping ------------------------------------------------------------------ */

typedef struct verdict {
    bool set;
    qtb_indication ind;
    qtb_subindication sub;
    char msg[512];
} verdict;

static void fail_with(verdict *v, qtb_indication ind, qtb_subindication sub, const char *fmt, ...)
    QTB_PRINTF(4, 5);

static void fail_with(verdict *v, qtb_indication ind, qtb_subindication sub, const char *fmt, ...)
{
    if (v->set) {
        return; /* the first finding is the reason */
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
    va_end(ap);
    v->set = true;
    v->ind = ind;
    v->sub = sub;
}

static int jset_str(json_t *o, const char *k, const char *v)
{
    if (json_object_set_new(o, k, v != NULL ? qtb_json_string_lossy(v) : json_null()) != 0) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory building the report");
    }
    return 0;
}

static int jset(json_t *o, const char *k, json_t *v)
{
    if (v == NULL || json_object_set_new(o, k, v) != 0) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory building the report");
    }
    return 0;
}

/* ---- references --------------------------------------------------------------------------- */

typedef struct verify_ctx {
    xml_doc *d;
    const qtb_verify_options *opts;
    int64_t at;
    X509_PUBKEY *pinned; /* parsed once per document */
    X509 *pinned_cert;
} verify_ctx;

/* Is `uri` an XPointer we accept? Only #xpointer(/) and #xpointer(id('X')): each selects what
 * a plain "" or "#X" does, with comments kept (XMLDSig §4.4.3.3). */
static bool parse_xpointer(const char *uri, char *id, size_t cap, bool *whole)
{
    const char *p = uri + strlen("#xpointer(");
    if (strcmp(p, "/)") == 0) {
        *whole = true;
        return true;
    }
    if (strncmp(p, "id(", 3) != 0) {
        return false;
    }
    p += 3;
    char q = *p;
    if (q != '\'' && q != '"') {
        return false;
    }
    const char *end = strchr(p + 1, q);
    if (end == NULL || strcmp(end + 1, "))") != 0 || (size_t)(end - p - 1) >= cap) {
        return false;
    }
    memcpy(id, p + 1, (size_t)(end - p - 1));
    id[end - p - 1] = '\0';
    *whole = false;
    return true;
}

/* Dereference a Reference URI into a node set. Same-document only. */
static void deref_uri(qtb_xml_nodeset *s, const char **id_out, verify_ctx *x, const reference *r,
                      verdict *v, char *idbuf, size_t idcap)
{
    const char *uri = r->uri;
    *id_out = NULL;
    if (uri[0] == '\0') {
        s->root = NULL;
        return;
    }
    if (uri[0] != '#') {
        fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                  "Reference URI \"%.100s\" is not a same-document reference (nothing is fetched)",
                  uri);
        return;
    }
    bool whole = false;
    if (strncmp(uri, "#xpointer(", 10) == 0) {
        if (!parse_xpointer(uri, idbuf, idcap, &whole)) {
            fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                      "Reference URI \"%.100s\": only #id and #xpointer(id('...')) are accepted",
                      uri);
            return;
        }
        s->comments = true;
        if (whole) {
            s->root = NULL;
            return;
        }
    } else {
        if (strlen(uri + 1) >= idcap || strpbrk(uri + 1, "()/ ") != NULL || uri[1] == '\0') {
            fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                      "Reference URI \"%.100s\" is not a plain #id", uri);
            return;
        }
        snprintf(idbuf, idcap, "%s", uri + 1);
    }
    const xmlNode *target = xmlHashLookup(x->d->ids, BAD_CAST idbuf);
    if (target == NULL) {
        /* EN 319 102-1 §5.2.7: signed data that cannot be obtained is INDETERMINATE, as for a
         * detached CMS without its content (SIGNED_DATA_NOT_FOUND is not a TOTAL_FAILED code). */
        fail_with(v, QTB_INDETERMINATE, QTB_SUB_SIGNED_DATA_NOT_FOUND,
                  "Reference URI \"%.100s\": no element has that ID", uri);
        return;
    }
    s->root = target;
    *id_out = idbuf;
}

static bool is_xpath_not_signature(const xmlNode *t)
{
    bool bad = false;
    xmlNodePtr xp = next_element(t->children, &bad);
    if (!qtb_xml_is_dsig(xp, "XPath") || bad || next_element(xp->next, &bad) != NULL) {
        return false;
    }
    xmlChar *expr = xmlNodeGetContent(xp);
    if (expr == NULL) {
        return false;
    }
    /* The single form of XMLDSig §6.6.3's example, with the prefix bound to the dsig namespace
     * on the XPath element: equivalent to leaving every ds:Signature out. */
    char norm[96];
    size_t n = 0;
    for (const xmlChar *c = expr; *c != '\0' && n + 1 < sizeof(norm); c++) {
        if (*c != ' ' && *c != '\t' && *c != '\r' && *c != '\n') {
            norm[n++] = (char)*c;
        }
    }
    norm[n] = '\0';
    bool ok = false;
    const char *pfx_end = strstr(norm, ":Signature)");
    if (strncmp(norm, "not(ancestor-or-self::", 22) == 0 && pfx_end != NULL &&
        strcmp(pfx_end, ":Signature)") == 0 && pfx_end > norm + 22) {
        char prefix[64];
        size_t plen = (size_t)(pfx_end - (norm + 22));
        if (plen < sizeof(prefix)) {
            memcpy(prefix, norm + 22, plen);
            prefix[plen] = '\0';
            xmlNsPtr ns = xmlSearchNs(xp->doc, xp, BAD_CAST prefix);
            ok = ns != NULL && xmlStrEqual(ns->href, BAD_CAST QTB_DSIG_NS);
        }
    }
    xmlFree(expr);
    return ok;
}

/* InclusiveNamespaces PrefixList of an exc-c14n method element, as a NULL-ended array. */
static int inclusive_prefixes(xmlChar ***out, char **store, const xmlNode *method)
{
    *out = NULL;
    *store = NULL;
    for (const xmlNode *c = method->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || c->ns == NULL ||
            !xmlStrEqual(c->ns->href, BAD_CAST QTB_EXC_C14N_NS) ||
            !xmlStrEqual(c->name, BAD_CAST "InclusiveNamespaces")) {
            continue;
        }
        const char *list = attr(c, "PrefixList");
        if (list == NULL) {
            return 0;
        }
        char *copy = qtb_strdup(list);
        xmlChar **arr = qtb_calloc(strlen(list) / 2 + 2, sizeof(*arr));
        if (copy == NULL || arr == NULL) {
            qtb_free(copy);
            qtb_free(arr);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
        size_t n = 0;
        char *p = copy;
        while (*p != '\0') {
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
                *p++ = '\0';
            }
            if (*p == '\0') {
                break;
            }
            arr[n++] = BAD_CAST p;
            while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
                p++;
            }
        }
        *out = arr;
        *store = copy;
        return 0;
    }
    return 0;
}

static int digest_buffer(unsigned char *md, size_t *md_len, const qtb_xml_digest_alg *da,
                         const unsigned char *in, size_t len)
{
    if (da->hash != NULL) {
        return da->hash(md, md_len, in, len);
    }
    unsigned int n = 0;
    const EVP_MD *m = md_get(da->md);
    if (m == NULL) {
        return QTB_FAIL_SSL(QTB_EUNSUPPORTED, "digest %s unavailable", da->name);
    }
    int ok = EVP_Digest(in, len, md, &n, m, NULL);
    if (ok != 1) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "digest %s failed", da->name);
    }
    *md_len = n;
    return 0;
}

/* Text of the visible text nodes, the input of the base64 transform (XMLDSig §6.6.2). */
static int nodeset_text(qtb_buf *b, const qtb_xml_nodeset *s, xmlDocPtr doc)
{
    const xmlNode *start = s->root != NULL ? s->root : (const xmlNode *)doc;
    const xmlNode *n = start;
    while (n != NULL) {
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
            nodeset_visible((void *)s, (xmlNodePtr)n, n->parent) && n->content != NULL) {
            QTB_TRY(qtb_buf_puts(b, (const char *)n->content));
        }
        if (n->children != NULL && n->type != XML_ENTITY_REF_NODE) {
            n = n->children;
            continue;
        }
        while (n != NULL && n != start && n->next == NULL) {
            n = n->parent;
        }
        if (n == NULL || n == start) {
            break;
        }
        n = n->next;
    }
    return 0;
}

typedef struct ref_out {
    bool whole;
    const char *id;
    char idbuf[128];
    const xmlNode *target;
    bool digest_ok;
} ref_out;

/* Apply the transforms of one reference and compare its digest (XMLDSig §3.2.1). */
static int check_reference(ref_out *ro, verify_ctx *x, sig_shape *sh, size_t sig_index,
                           const reference *r, verdict *v, bool shape_only)
{
    qtb_xml_nodeset s;
    memset(&s, 0, sizeof(s));
    deref_uri(&s, &ro->id, x, r, v, ro->idbuf, sizeof(ro->idbuf));
    if (v->set) {
        return 0;
    }
    ro->whole = s.root == NULL;
    ro->target = s.root;
    /* Later sibling signatures were appended after this one was made. */
    for (size_t j = sig_index + 1; j < x->d->nsigs; j++) {
        if (x->d->sigs[j]->parent == sh->sig->parent) {
            s.excl[s.nexcl++] = x->d->sigs[j];
        }
    }

    const qtb_xml_digest_alg *da = qtb_xml_digest_alg_find(r->digest_uri);
    if (da == NULL && qtb_xml_uri_is_gost(r->digest_uri)) {
        fail_with(v, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE,
                  "unsupported GOST DigestMethod \"%.100s\"", r->digest_uri);
        return 0;
    }
    if (da == NULL) {
        fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "unknown DigestMethod \"%.100s\"",
                  r->digest_uri ? r->digest_uri : "");
        return 0;
    }

    const qtb_xml_c14n_alg *final_c14n = NULL;
    const xmlNode *final_el = NULL;
    bool base64 = false;
    for (size_t i = 0; i < r->ntr; i++) {
        const char *t = r->tr[i].uri != NULL ? r->tr[i].uri : "";
        if (final_c14n != NULL || base64) {
            fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                      "transform %.100s after an octet-producing transform is not supported", t);
            return 0;
        }
        if (strcmp(t, T_ENVELOPED) == 0) {
            /* nexcl < QTB_MAX_SIGNERS (later siblings) + i < QTB_MAX_XML_TRANSFORMS */
            s.excl[s.nexcl++] = sh->sig;
        } else if (strcmp(t, T_XPATH) == 0) {
            if (!is_xpath_not_signature(r->tr[i].el)) {
                fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                          "XPath transforms are refused, except not(ancestor-or-self::"
                          "dsig:Signature)");
                return 0;
            }
            s.excl_all_sigs = true;
        } else if (strcmp(t, T_BASE64) == 0) {
            base64 = true;
        } else if ((final_c14n = qtb_xml_c14n_alg_find(t)) != NULL) {
            final_el = r->tr[i].el;
        } else {
            fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                      "transform \"%.100s\" is not accepted (XSLT, XPath Filter 2.0, XPointer "
                      "and unknown transforms could reach beyond the signed data)",
                      t);
            return 0;
        }
    }

    if (shape_only) {
        return 0;
    }
    if (da->unavailable != NULL) {
        fail_with(v, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE, "DigestMethod %s: %s",
                  da->name, da->unavailable);
        return 0;
    }
    unsigned char want[QTB_XML_MAX_DIGEST];
    unsigned char *wantp = NULL;
    size_t want_len = 0;
    char why[160];
    int rc = text_base64(&wantp, &want_len, r->digest_value, why, sizeof(why));
    if (rc < 0) {
        return rc;
    }
    if (rc > 0) {
        fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "%s", why);
        return 0;
    }
    if (want_len > sizeof(want)) {
        qtb_free(wantp);
        fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_HASH_FAILURE, "DigestValue has the wrong length");
        return 0;
    }
    memcpy(want, wantp, want_len);
    qtb_free(wantp);

    unsigned char got[EVP_MAX_MD_SIZE > QTB_XML_MAX_DIGEST ? EVP_MAX_MD_SIZE : QTB_XML_MAX_DIGEST];
    size_t got_len = 0;
    qtb_buf b;
    qtb_buf_init(&b, MAX_C14N_OUTPUT);
    const EVP_MD *md = NULL;
    EVP_MD_CTX *mctx = NULL;
    xmlChar **prefixes = NULL;
    char *prefix_store = NULL;
    sink k = {NULL, &b, 0};

    if (base64) {
        qtb_buf text;
        unsigned char *raw = NULL;
        size_t raw_len = 0;
        qtb_buf_init(&text, MAX_C14N_OUTPUT);
        rc = nodeset_text(&text, &s, x->d->doc);
        if (rc == 0) {
            rc = qtb_base64_decode(&raw, &raw_len, (const char *)text.data, text.len, 0);
        }
        qtb_buf_dispose(&text);
        if (rc == QTB_EPARSE) {
            qtb_error_clear();
            fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                      "the base64 transform input is not base64");
            rc = 0;
            goto done;
        }
        QTB_TRY_GOTO(rc);
        rc = digest_buffer(got, &got_len, da, raw, raw_len);
        qtb_free(raw);
        QTB_TRY_GOTO(rc);
    } else {
        int mode = XML_C14N_1_0;
        bool comments = false;
        if (final_c14n != NULL) {
            mode = final_c14n->mode;
            comments = final_c14n->comments && s.comments;
            if (mode == XML_C14N_EXCLUSIVE_1_0) {
                QTB_TRY_GOTO(inclusive_prefixes(&prefixes, &prefix_store, final_el));
            }
        }
        s.comments = comments;
        if (da->md != NULL) {
            md = md_get(da->md);
            mctx = EVP_MD_CTX_new();
            if (md == NULL || mctx == NULL || EVP_DigestInit_ex(mctx, md, NULL) != 1) {
                rc = QTB_FAIL_SSL(QTB_ECRYPTO, "cannot start digest %s", da->name);
                goto done;
            }
            k.md = mctx;
        }
        QTB_TRY_GOTO(c14n_run(&k, x->d->doc, &s, mode, prefixes, comments));
        if (mctx != NULL) {
            unsigned int n = 0;
            if (EVP_DigestFinal_ex(mctx, got, &n) != 1) {
                rc = QTB_FAIL_SSL(QTB_ECRYPTO, "digest %s failed", da->name);
                goto done;
            }
            got_len = n;
        } else {
            QTB_TRY_GOTO(digest_buffer(got, &got_len, da, b.data, b.len));
        }
    }
    ro->digest_ok = got_len == want_len && CRYPTO_memcmp(got, want, got_len) == 0;
    rc = 0;
done:
    EVP_MD_CTX_free(mctx);
    qtb_free(prefixes);
    qtb_free(prefix_store);
    qtb_buf_dispose(&b);
    return rc;
}

/* ---- keys --------------------------------------------------------------------------------- */

typedef struct sig_key {
    X509_PUBKEY *spki;
    X509 *leaf;
    STACK_OF(X509) * certs; /* every certificate KeyInfo carried */
    const char *source;     /* "pinned", "X509Data", "KeyValue", "HMAC" */
} sig_key;

static void sig_key_dispose(sig_key *k)
{
    X509_PUBKEY_free(k->spki);
    X509_free(k->leaf);
    sk_X509_pop_free(k->certs, X509_free);
    memset(k, 0, sizeof(*k));
}

static int bn_from_b64(BIGNUM **out, const xmlNode *el)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    char why[128];
    *out = NULL;
    int rc = text_base64(&raw, &len, el, why, sizeof(why));
    if (rc != 0) {
        return rc < 0 ? rc : 1;
    }
    if (len == 0 || len > 2048) {
        qtb_free(raw);
        return 1;
    }
    *out = BN_bin2bn(raw, (int)len, NULL);
    qtb_free(raw);
    return *out == NULL ? QTB_FAIL_SSL(QTB_ENOMEM, "BN_bin2bn") : 0;
}

/* RSAKeyValue (Modulus, Exponent) or DSAKeyValue (P, Q, G, Y): XMLDSig §4.5.2. */
static int key_from_keyvalue(X509_PUBKEY **out, const xmlNode *kv, char *why, size_t cap)
{
    static const char *const rsa_fields[] = {"Modulus", "Exponent"};
    static const char *const rsa_params[] = {OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E};
    static const char *const dsa_fields[] = {"P", "Q", "G", "Y"};
    static const char *const dsa_params[] = {OSSL_PKEY_PARAM_FFC_P, OSSL_PKEY_PARAM_FFC_Q,
                                             OSSL_PKEY_PARAM_FFC_G, OSSL_PKEY_PARAM_PUB_KEY};
    bool bad = false;
    const xmlNode *inner = next_element(kv->children, &bad);
    const char *const *fields;
    const char *const *params;
    size_t nf;
    const char *type;
    if (qtb_xml_is_dsig(inner, "RSAKeyValue")) {
        fields = rsa_fields, params = rsa_params, nf = 2, type = "RSA";
    } else if (qtb_xml_is_dsig(inner, "DSAKeyValue")) {
        fields = dsa_fields, params = dsa_params, nf = 4, type = "DSA";
    } else {
        snprintf(why, cap, "unsupported ds:KeyValue");
        return 1;
    }
    BIGNUM *bn[4] = {NULL, NULL, NULL, NULL};
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *p = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pkey = NULL;
    int rc = bld == NULL ? QTB_FAIL(QTB_ENOMEM, "out of memory") : 0;
    for (size_t i = 0; rc == 0 && i < nf; i++) {
        const xmlNode *f = NULL;
        for (const xmlNode *c = inner->children; c != NULL; c = c->next) {
            if (qtb_xml_is_dsig(c, fields[i])) {
                f = c;
                break;
            }
        }
        rc = f == NULL ? 1 : bn_from_b64(&bn[i], f);
        if (rc == 0 && OSSL_PARAM_BLD_push_BN(bld, params[i], bn[i]) != 1) {
            rc = QTB_FAIL_SSL(QTB_ENOMEM, "OSSL_PARAM_BLD_push_BN");
        }
    }
    if (rc == 0) {
        p = OSSL_PARAM_BLD_to_param(bld);
        pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        if (p == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
            EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, p) != 1) {
            ERR_clear_error();
            rc = 1;
        } else if (X509_PUBKEY_set(out, pkey) != 1) {
            rc = QTB_FAIL_SSL(QTB_ECRYPTO, "X509_PUBKEY_set");
        }
    }
    if (rc == 1) {
        snprintf(why, cap, "ds:%s is malformed", (const char *)inner->name);
    }
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(p);
    OSSL_PARAM_BLD_free(bld);
    for (size_t i = 0; i < 4; i++) {
        BN_free(bn[i]);
    }
    return rc;
}

/* RFC 2253 text of a name, for X509SubjectName / X509IssuerName matching. */
static void name_text(char *out, size_t cap, const X509_NAME *name)
{
    out[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return;
    }
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        int n = BIO_read(bio, out, (int)cap - 1);
        out[n > 0 ? n : 0] = '\0';
    }
    BIO_free(bio);
}

/* Compare names as text, ignoring spaces after separators and case. */
static bool names_match(const char *a, const char *b)
{
    while (*a != '\0' || *b != '\0') {
        while (*a == ' ') {
            a++;
        }
        while (*b == ' ') {
            b++;
        }
        if (*a == '\0' || *b == '\0') {
            return *a == *b;
        }
        char ca = (char)((*a >= 'A' && *a <= 'Z') ? *a + 32 : *a);
        char cb = (char)((*b >= 'A' && *b <= 'Z') ? *b + 32 : *b);
        if (ca != cb) {
            return false;
        }
        a++;
        b++;
    }
    return true;
}

typedef struct key_hints {
    const xmlNode *subject[MAX_KEYINFO_CERTS];
    size_t nsubject;
    const xmlNode *issuer_serial[MAX_KEYINFO_CERTS];
    size_t nissuer_serial;
    const xmlNode *ski[MAX_KEYINFO_CERTS];
    size_t nski;
} key_hints;

static bool cert_matches_hint(X509 *c, const key_hints *h)
{
    char want[1024];
    char have[1024];
    char why[64];
    for (size_t i = 0; i < h->nsubject; i++) {
        char *t = NULL;
        if (text_only(&t, h->subject[i], why, sizeof(why)) != 0) {
            continue;
        }
        snprintf(want, sizeof(want), "%s", t);
        qtb_free(t);
        name_text(have, sizeof(have), X509_get_subject_name(c));
        if (names_match(want, have)) {
            return true;
        }
    }
    for (size_t i = 0; i < h->nski; i++) {
        unsigned char *raw = NULL;
        size_t len = 0;
        if (text_base64(&raw, &len, h->ski[i], why, sizeof(why)) != 0) {
            continue;
        }
        const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c);
        bool eq = ski != NULL && (size_t)ASN1_STRING_length(ski) == len &&
                  memcmp(ASN1_STRING_get0_data(ski), raw, len) == 0;
        qtb_free(raw);
        if (eq) {
            return true;
        }
    }
    for (size_t i = 0; i < h->nissuer_serial; i++) {
        const xmlNode *in = NULL;
        const xmlNode *sn = NULL;
        for (const xmlNode *e = h->issuer_serial[i]->children; e != NULL; e = e->next) {
            if (qtb_xml_is_dsig(e, "X509IssuerName")) {
                in = e;
            } else if (qtb_xml_is_dsig(e, "X509SerialNumber")) {
                sn = e;
            }
        }
        char *it = NULL;
        char *st = NULL;
        if (in == NULL || sn == NULL || text_only(&it, in, why, sizeof(why)) != 0) {
            continue;
        }
        if (text_only(&st, sn, why, sizeof(why)) != 0) {
            qtb_free(it);
            continue;
        }
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
        char *dec = bn != NULL ? BN_bn2dec(bn) : NULL;
        name_text(have, sizeof(have), X509_get_issuer_name(c));
        bool eq = dec != NULL && strcmp(dec, st) == 0 && names_match(it, have);
        OPENSSL_free(dec);
        BN_free(bn);
        qtb_free(it);
        qtb_free(st);
        if (eq) {
            return true;
        }
    }
    return false;
}

static int push_if_match(STACK_OF(X509) * out, const qtb_tcert *certs, size_t n, const key_hints *h)
{
    for (size_t i = 0; i < n; i++) {
        X509 *c = certs[i].x;
        if (sk_X509_num(out) >= (int)MAX_KEYINFO_CERTS || !cert_matches_hint(c, h)) {
            continue;
        }
        if (X509_up_ref(c) != 1 || sk_X509_push(out, c) <= 0) {
            X509_free(c);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
    }
    return 0;
}

/* A KeyInfo that names its certificate (X509SubjectName / IssuerSerial / SKI) instead of
 * carrying it: look in the trust set (its untrusted pool, then its anchors). */
static int trust_candidates(STACK_OF(X509) * out, const qtb_trust *t, const key_hints *h)
{
    QTB_TRY(push_if_match(out, t->untrusted, t->nuntrusted, h));
    return push_if_match(out, t->anchors, t->nanchors, h);
}

static int collect_x509data(sig_key *k, key_hints *h, const xmlNode *xd, qtb_cert_cache *cache,
                            char *why, size_t cap)
{
    for (const xmlNode *c = xd->children; c != NULL; c = c->next) {
        if (qtb_xml_is_dsig(c, "X509Certificate")) {
            unsigned char *der = NULL;
            size_t len = 0;
            int rc = text_base64(&der, &len, c, why, cap);
            if (rc != 0) {
                return rc;
            }
            X509 *cert = NULL;
            rc = qtb_cert_cache_get(&cert, cache, der, len);
            qtb_free(der);
            if (rc == QTB_ENOMEM) {
                return rc;
            }
            if (rc < 0) {
                qtb_error_clear();
                ERR_clear_error();
                snprintf(why, cap, "ds:X509Certificate is not a DER certificate");
                return 1;
            }
            if (sk_X509_num(k->certs) >= (int)MAX_KEYINFO_CERTS ||
                sk_X509_push(k->certs, cert) <= 0) {
                X509_free(cert);
                snprintf(why, cap, "too many certificates in ds:KeyInfo");
                return 1;
            }
        } else if (qtb_xml_is_dsig(c, "X509SubjectName") && h->nsubject < MAX_KEYINFO_CERTS) {
            h->subject[h->nsubject++] = c;
        } else if (qtb_xml_is_dsig(c, "X509IssuerSerial") &&
                   h->nissuer_serial < MAX_KEYINFO_CERTS) {
            h->issuer_serial[h->nissuer_serial++] = c;
        } else if (qtb_xml_is_dsig(c, "X509SKI") && h->nski < MAX_KEYINFO_CERTS) {
            h->ski[h->nski++] = c;
        }
    }
    return 0;
}

/* Find the signing key. Returns 0 (key set, or why filled when none), 1 with `why` on a
 * KeyInfo that must be refused, negative on error. */
static int resolve_key(sig_key *k, verify_ctx *x, const sig_shape *sh, const qtb_xml_sig_alg *sa,
                       STACK_OF(X509) * *candidates, char *why, size_t cap)
{
    *candidates = NULL;
    if (sa->kind == QTB_XSIG_HMAC) {
        k->source = "HMAC";
        return 0;
    }
    if (x->pinned != NULL) {
        k->spki = X509_PUBKEY_dup(x->pinned);
        if (k->spki == NULL) {
            return QTB_FAIL_SSL(QTB_ENOMEM, "X509_PUBKEY_dup");
        }
        if (x->pinned_cert != NULL && X509_up_ref(x->pinned_cert) == 1) {
            k->leaf = x->pinned_cert;
        }
        k->source = "pinned";
        return 0;
    }
    k->certs = sk_X509_new_null();
    *candidates = sk_X509_new_null();
    if (k->certs == NULL || *candidates == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (sh->key_info == NULL) {
        snprintf(why, cap, "the signature carries no ds:KeyInfo and no key was given");
        return 0;
    }
    key_hints h;
    memset(&h, 0, sizeof(h));
    const xmlNode *keyvalue = NULL;
    for (const xmlNode *c = sh->key_info->children; c != NULL; c = c->next) {
        if (qtb_xml_is_dsig(c, "RetrievalMethod")) {
            snprintf(why, cap, "ds:RetrievalMethod is refused (it would fetch key material)");
            return 1;
        }
        if (qtb_xml_is_dsig(c, "X509Data")) {
            int rc = collect_x509data(k, &h, c, x->opts->cert_cache, why, cap);
            if (rc != 0) {
                return rc;
            }
        } else if (qtb_xml_is_dsig(c, "KeyValue") && keyvalue == NULL) {
            keyvalue = c;
        }
    }
    /* Candidates for the signer: carried certificates matching a hint (all of them without
     * hints), then certificates of the trust set matching a hint. */
    bool hints = h.nsubject + h.nski + h.nissuer_serial > 0;
    for (int i = 0; i < sk_X509_num(k->certs); i++) {
        X509 *c = sk_X509_value(k->certs, i);
        if ((!hints || cert_matches_hint(c, &h)) && X509_up_ref(c) == 1 &&
            sk_X509_push(*candidates, c) <= 0) {
            X509_free(c);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
    }
    if (sk_X509_num(*candidates) == 0 && hints && x->opts->trust != NULL) {
        QTB_TRY(trust_candidates(*candidates, x->opts->trust, &h));
    }
    if (sk_X509_num(*candidates) > 0) {
        k->source = "X509Data";
        return 0;
    }
    if (keyvalue != NULL) {
        int rc = key_from_keyvalue(&k->spki, keyvalue, why, cap);
        if (rc < 0) {
            return rc;
        }
        if (rc == 0) {
            k->source = "KeyValue";
        }
        return 0;
    }
    snprintf(why, cap, "no usable key in ds:KeyInfo (no certificate, no known KeyValue)");
    return 0;
}

/* ---- signature value ---------------------------------------------------------------------- */

/* XMLDSig ECDSA/DSA values are r||s (RFC 4050 / XMLDSig §6.4): re-encode as DER. Java once
 * emitted the halves without leading zeros; they still split evenly and are read as numbers. */
static int rs_to_der(unsigned char **out, size_t *out_len, const unsigned char *sig, size_t len)
{
    *out = NULL;
    if (len == 0 || len % 2 != 0 || len > 1024) {
        return 1;
    }
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL);
    BIGNUM *s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
    if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return QTB_FAIL_SSL(QTB_ENOMEM, "ECDSA_SIG");
    }
    unsigned char *der = NULL;
    int n = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (n <= 0) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "i2d_ECDSA_SIG");
    }
    *out = qtb_malloc((size_t)n);
    if (*out == NULL) {
        OPENSSL_free(der);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    memcpy(*out, der, (size_t)n);
    OPENSSL_free(der);
    *out_len = (size_t)n;
    return 0;
}

/* *ok = 1 valid, 0 invalid. Returns 1 when the value cannot even be decoded (invalid). */
static int pkey_verify(int *ok, const X509_PUBKEY *spki, const qtb_xml_sig_alg *sa,
                       const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
                       size_t sig_len)
{
    unsigned char *der = NULL;
    size_t der_len = 0;
    *ok = 0;
    if (sa->format == QTB_XSIG_RS_BE) {
        int rc = rs_to_der(&der, &der_len, sig, sig_len);
        if (rc != 0) {
            return rc;
        }
        sig = der;
        sig_len = der_len;
    }
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_OBJECT *obj = OBJ_txt2obj(sa->oid, 1);
    int rc = 0;
    if (alg == NULL || obj == NULL ||
        X509_ALGOR_set0(alg, obj, sa->format == QTB_XSIG_RAW ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) !=
            1) {
        ASN1_OBJECT_free(obj);
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "X509_ALGOR");
    } else {
        rc = qtb_sig_verify(ok, spki, alg, tbs, tbs_len, sig, sig_len);
    }
    X509_ALGOR_free(alg);
    qtb_free(der);
    return rc;
}

/* HMAC (XMLDSig §6.3), with the CVE-2009-0217 rule on HMACOutputLength. */
static int hmac_verify(int *ok, verdict *v, const verify_ctx *x, const sig_shape *sh,
                       const qtb_xml_sig_alg *sa, const unsigned char *tbs, size_t tbs_len,
                       const unsigned char *sig, size_t sig_len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    *ok = 0;
    const EVP_MD *md = md_get(sa->md);
    if (md == NULL) {
        return QTB_FAIL_SSL(QTB_EUNSUPPORTED, "digest %s unavailable", sa->md);
    }
    size_t full_bits = (size_t)EVP_MD_get_size(md) * 8u;
    size_t bits = full_bits;
    for (const xmlNode *c = sh->sig_method->children; c != NULL; c = c->next) {
        if (qtb_xml_is_dsig(c, "HMACOutputLength")) {
            char *t = NULL;
            char why[96];
            int rc = text_only(&t, c, why, sizeof(why));
            if (rc < 0) {
                return rc;
            }
            char *end = NULL;
            unsigned long n = rc == 0 ? strtoul(t, &end, 10) : 0;
            bool good = rc == 0 && end != t && *end == '\0';
            qtb_free(t);
            if (!good) {
                fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                          "HMACOutputLength is not a number");
                return 0;
            }
            bits = n;
        }
    }
    /* CVE-2009-0217: at least 80 bits, whole bytes (the rule of the reference tool, xmlsec).
     * XMLDSig 1.1 §6.3.1 wants whole bytes and deems a truncated output invalid: a
     * FORMAT_FAILURE (TOTAL_FAILED; SIG_CONSTRAINTS_FAILURE belongs to INDETERMINATE). */
    size_t min_bits = 80;
    if (bits < min_bits || bits > full_bits || bits % 8 != 0) {
        fail_with(v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                  "HMACOutputLength %zu is refused (CVE-2009-0217: at least %zu whole-byte bits)",
                  bits, min_bits);
        return 0;
    }
    if (EVP_Q_mac(NULL, "HMAC", NULL, sa->md, NULL, x->opts->hmac_key, x->opts->hmac_key_len, tbs,
                  tbs_len, mac, sizeof(mac), &mac_len) == NULL) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "HMAC failed");
    }
    *ok = sig_len == bits / 8 && CRYPTO_memcmp(mac, sig, sig_len) == 0;
    OPENSSL_cleanse(mac, sizeof(mac));
    return 0;
}

/* Canonicalize SignedInfo with its CanonicalizationMethod (XMLDSig §3.2.2 step 1). */
static int signed_info_c14n(qtb_buf *out, verify_ctx *x, const sig_shape *sh,
                            const qtb_xml_c14n_alg *ca)
{
    qtb_xml_nodeset s;
    memset(&s, 0, sizeof(s));
    s.root = sh->signed_info;
    s.comments = ca->comments;
    xmlChar **prefixes = NULL;
    char *store = NULL;
    if (ca->mode == XML_C14N_EXCLUSIVE_1_0) {
        QTB_TRY(inclusive_prefixes(&prefixes, &store, sh->c14n_method));
    }
    sink k = {NULL, out, 0};
    int rc = c14n_run(&k, x->d->doc, &s, ca->mode, prefixes, ca->comments);
    qtb_free(prefixes);
    qtb_free(store);
    return rc;
}

/* ---- one signature ------------------------------------------------------------------------ */

static int covers_json(json_t **out, const ref_out *ro)
{
    json_t *o = json_object();
    if (o == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    int rc = jset(o, "wholeDocument", json_boolean(ro->whole));
    xmlChar *path = ro->target != NULL ? xmlGetNodePath((xmlNodePtr)ro->target) : NULL;
    if (rc == 0) {
        rc = jset_str(o, "path", ro->whole ? "/" : (const char *)path);
    }
    if (rc == 0) {
        rc = jset_str(o, "id", ro->id);
    }
    xmlFree(path);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

typedef struct one_sig {
    verify_ctx *x;
    size_t index;
    qtb_sig_report *rep;
    sig_shape sh;
    verdict v;
    sig_key key;
    STACK_OF(X509) * candidates;
    const qtb_xml_sig_alg *sa;
    const qtb_xml_c14n_alg *ca;
    unsigned char *sigval;
    size_t sigval_len;
    qtb_buf si;
    json_t *checks;
    json_t *refs;
} one_sig;

static int report_signer(one_sig *o, X509 *leaf)
{
    json_t *signer = NULL;
    QTB_TRY(qtb_cert_cache_certinfo(&signer, o->x->opts->cert_cache, leaf));
    return jset(o->rep->obj, "signer", signer);
}

/* Try each candidate certificate's key on SignedInfo; the one that verifies is the signer. */
static int check_signature_value(one_sig *o, int *ok)
{
    *ok = 0;
    if (o->sa->kind == QTB_XSIG_HMAC) {
        return hmac_verify(ok, &o->v, o->x, &o->sh, o->sa, o->si.data, o->si.len, o->sigval,
                           o->sigval_len);
    }
    if (o->key.spki != NULL) {
        int rc =
            pkey_verify(ok, o->key.spki, o->sa, o->si.data, o->si.len, o->sigval, o->sigval_len);
        return rc == 1 ? 0 : rc;
    }
    X509 *leaf = NULL;
    int unsupported = 0;
    for (int i = 0; i < sk_X509_num(o->candidates) && !*ok; i++) {
        X509 *c = sk_X509_value(o->candidates, i);
        int rc = pkey_verify(ok, X509_get_X509_PUBKEY(c), o->sa, o->si.data, o->si.len, o->sigval,
                             o->sigval_len);
        if (rc == QTB_EUNSUPPORTED) {
            unsupported = rc; /* keep the message; another candidate may still be the signer */
            continue;
        }
        if (rc < 0) {
            return rc;
        }
        if (*ok || leaf == NULL) {
            leaf = c;
        }
    }
    if (leaf == NULL) {
        leaf = sk_X509_value(o->candidates, 0);
    }
    if (leaf != NULL && X509_up_ref(leaf) == 1) {
        o->key.leaf = leaf;
    }
    /* No key verified and one could not be checked at all: say that, not "invalid". */
    return *ok ? 0 : unsupported;
}

static int add_check(one_sig *o, const char *name, const char *value)
{
    return jset_str(o->checks, name, value);
}

static int judge_key_trust(one_sig *o)
{
    verify_ctx *x = o->x;
    if (o->sa->kind == QTB_XSIG_HMAC || strcmp(o->key.source, "pinned") == 0) {
        QTB_TRY(add_check(o, "chain", "NOT_APPLICABLE"));
        return 0; /* the caller supplied the key: nothing more to establish */
    }
    if (strcmp(o->key.source, "KeyValue") == 0) {
        QTB_TRY(add_check(o, "chain", "NOT_APPLICABLE"));
        fail_with(&o->v, QTB_INDETERMINATE, QTB_SUB_NO_SIGNING_CERTIFICATE_FOUND,
                  "the signature verifies with its ds:KeyValue, but no certificate binds that "
                  "key to anyone");
        return 0;
    }
    if (x->opts->flags & QTB_VERIFY_NO_CHAIN) {
        QTB_TRY(add_check(o, "chain", "NOT_CHECKED"));
        fail_with(&o->v, QTB_INDETERMINATE, QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND,
                  "certificate path not checked (--no-chain)");
        return 0;
    }
    if (x->opts->trust == NULL) {
        QTB_TRY(add_check(o, "chain", "NOT_CHECKED"));
        fail_with(&o->v, QTB_INDETERMINATE, QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND,
                  "no trust anchors were given, so the signer certificate is not trusted");
        return 0;
    }
    qtb_path_result pr;
    qtb_path_result_init(&pr);
    int rc = qtb_trust_validate(&pr, x->opts->trust, o->key.leaf, o->key.certs, x->at, x->at,
                                QTB_PATH_FOR_SIGNING);
    if (rc < 0) {
        qtb_path_result_dispose(&pr);
        return rc;
    }
    json_t *chain = json_array();
    for (int i = 0; chain != NULL && i < sk_X509_num(pr.chain); i++) {
        char *name = NULL;
        if (qtb_name_rfc4514(&name, X509_get_subject_name(sk_X509_value(pr.chain, i))) == 0) {
            json_array_append_new(chain, json_string(name));
            qtb_free(name);
        }
    }
    rc = jset(o->rep->obj, "chain", chain);
    if (rc == 0) {
        rc = qtb_path_result_report(o->rep->obj, &pr);
    }
    if (rc == 0) {
        rc = add_check(o, "chain", pr.indication == QTB_TOTAL_PASSED ? "PASSED" : "FAILED");
    }
    if (rc == 0 && pr.indication != QTB_TOTAL_PASSED) {
        fail_with(&o->v, pr.indication, pr.sub, "%s", pr.message);
    }
    qtb_path_result_dispose(&pr);
    return rc;
}

/* Every Reference digested: messageDigest PASSED when all match, FAILED when one does not,
 * NOT_CHECKED when one could not be dereferenced and none failed. */
static int verify_references(one_sig *o)
{
    bool changed = false, unread = o->sh.nrefs == 0;
    for (size_t i = 0; i < o->sh.nrefs; i++) {
        ref_out ro;
        memset(&ro, 0, sizeof(ro));
        verdict rv;
        memset(&rv, 0, sizeof(rv));
        QTB_TRY(check_reference(&ro, o->x, &o->sh, o->index, &o->sh.refs[i], &rv, false));
        json_t *r = json_object();
        json_t *cov = NULL;
        if (r == NULL || json_array_append_new(o->refs, r) != 0) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
        QTB_TRY(jset_str(r, "uri", o->sh.refs[i].uri));
        QTB_TRY(jset_str(r, "digestMethod", o->sh.refs[i].digest_uri));
        if (rv.set) {
            QTB_TRY(jset_str(r, "result", rv.msg));
            fail_with(&o->v, rv.ind, rv.sub, "%s", rv.msg);
            unread = true;
            continue;
        }
        QTB_TRY(covers_json(&cov, &ro));
        if (i == 0) {
            json_incref(cov);
            QTB_TRY(jset(o->rep->obj, "covers", cov));
        }
        QTB_TRY(jset(r, "covers", cov));
        QTB_TRY(jset(r, "digestValid", json_boolean(ro.digest_ok)));
        if (!ro.digest_ok) {
            changed = true;
            fail_with(&o->v, QTB_TOTAL_FAILED, QTB_SUB_HASH_FAILURE,
                      "the digest of reference \"%.100s\" does not match: the signed data was "
                      "changed",
                      o->sh.refs[i].uri);
        }
    }
    return add_check(o, "messageDigest", changed ? "FAILED" : unread ? "NOT_CHECKED" : "PASSED");
}

/* Steps before cryptography: shape, algorithms, key. Leaves o->v set when it must stop. */
static int prepare(one_sig *o)
{
    char why[256];
    why[0] = '\0';
    int rc = shape_signature(&o->sh, why, sizeof(why));
    if (rc == 0) {
        rc = shape_signed_info(&o->sh, why, sizeof(why));
    }
    if (rc != 0) {
        fail_with(&o->v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "%s", why);
        return rc < 0 ? rc : 0;
    }
    const char *cm = attr(o->sh.c14n_method, "Algorithm");
    const char *sm = attr(o->sh.sig_method, "Algorithm");
    QTB_TRY(jset_str(o->rep->obj, "canonicalizationMethod", cm));
    QTB_TRY(jset_str(o->rep->obj, "signatureMethod", sm));
    o->ca = qtb_xml_c14n_alg_find(cm);
    o->sa = qtb_xml_sig_alg_find(sm);
    if (o->ca == NULL) {
        fail_with(&o->v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                  "CanonicalizationMethod \"%.100s\" is not accepted", cm ? cm : "");
        return 0;
    }
    if (o->sa == NULL && qtb_xml_uri_is_gost(sm)) {
        fail_with(&o->v, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE,
                  "unsupported GOST SignatureMethod \"%.100s\"", sm);
        return 0;
    }
    if (o->sa == NULL) {
        fail_with(&o->v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE,
                  "unknown SignatureMethod \"%.100s\"", sm ? sm : "");
        return 0;
    }
    /* Every reference is dereferenceable and every transform allowed, before any crypto. */
    for (size_t i = 0; i < o->sh.nrefs; i++) {
        ref_out ro;
        memset(&ro, 0, sizeof(ro));
        QTB_TRY(check_reference(&ro, o->x, &o->sh, o->index, &o->sh.refs[i], &o->v, true));
        if (o->v.set) {
            return 0;
        }
    }
    rc = text_base64(&o->sigval, &o->sigval_len, o->sh.sig_value, why, sizeof(why));
    if (rc != 0) {
        fail_with(&o->v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "%s", why);
        return rc < 0 ? rc : 0;
    }
    why[0] = '\0';
    rc = resolve_key(&o->key, o->x, &o->sh, o->sa, &o->candidates, why, sizeof(why));
    if (rc != 0) {
        fail_with(&o->v, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "%s", why);
        return rc < 0 ? rc : 0;
    }
    if (o->key.source == NULL) {
        fail_with(&o->v, QTB_INDETERMINATE, QTB_SUB_NO_SIGNING_CERTIFICATE_FOUND, "%s", why);
        return 0;
    }
    QTB_TRY(jset_str(o->rep->obj, "keySource", o->key.source));
    if (o->sa->kind == QTB_XSIG_HMAC &&
        (!(o->x->opts->flags & QTB_VERIFY_ALLOW_HMAC) || o->x->opts->hmac_key == NULL)) {
        fail_with(&o->v, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE,
                  "HMAC signatures are not accepted for documents (%s)", o->sa->name);
        return 0;
    }
    if (o->sa->unavailable != NULL) {
        if (sk_X509_num(o->candidates) > 0) {
            QTB_TRY(report_signer(o, sk_X509_value(o->candidates, 0)));
        }
        fail_with(&o->v, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE,
                  "SignatureMethod %s: %s", o->sa->name, o->sa->unavailable);
        return 0;
    }
    return 0;
}

static int verify_one(verify_ctx *x, size_t index, qtb_sig_report *rep)
{
    one_sig o;
    memset(&o, 0, sizeof(o));
    o.x = x;
    o.index = index;
    o.rep = rep;
    o.sh.sig = x->d->sigs[index];
    qtb_buf_init(&o.si, MAX_C14N_OUTPUT);
    o.checks = json_object();
    o.refs = json_array();
    int rc = 0;
    if (o.checks == NULL || o.refs == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    /* The CMS report's four checks, in its order; each step overwrites its own. messageDigest is
     * XML's References' DigestValues; timestamp stays NOT_CHECKED (XAdES tokens are not read). */
    QTB_TRY_GOTO(add_check(&o, "signatureValue", "NOT_CHECKED"));
    QTB_TRY_GOTO(add_check(&o, "messageDigest", "NOT_CHECKED"));
    QTB_TRY_GOTO(add_check(&o, "chain", "NOT_CHECKED"));
    QTB_TRY_GOTO(add_check(&o, "timestamp", "NOT_CHECKED"));
    xmlChar *path = xmlGetNodePath(o.sh.sig);
    rc = jset_str(rep->obj, "signaturePath", (const char *)path);
    xmlFree(path);
    QTB_TRY_GOTO(rc);
    QTB_TRY_GOTO(jset_str(rep->obj, "signingTime", NULL));
    char when[32];
    qtb_time_rfc3339(when, sizeof(when), x->at);
    QTB_TRY_GOTO(jset_str(rep->obj, "bestSignatureTime", when));
    /* Present in every entry, as in CMS reports: null / [] until verification gets that far. */
    QTB_TRY_GOTO(jset(rep->obj, "signer", json_null()));
    QTB_TRY_GOTO(jset(rep->obj, "chain", json_array()));
    QTB_TRY_GOTO(qtb_path_result_report(rep->obj, NULL));

    QTB_TRY_GOTO(prepare(&o));
    if (!o.v.set) {
        QTB_TRY_GOTO(signed_info_c14n(&o.si, x, &o.sh, o.ca));
        int ok = 0;
        rc = check_signature_value(&o, &ok);
        if (rc == QTB_EUNSUPPORTED) {
            fail_with(&o.v, QTB_INDETERMINATE, QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE, "%s",
                      qtb_error_last()->message);
            qtb_error_clear();
            rc = 0;
        }
        QTB_TRY_GOTO(rc);
        if (o.key.leaf != NULL) {
            QTB_TRY_GOTO(report_signer(&o, o.key.leaf));
        }
        if (!o.v.set) {
            QTB_TRY_GOTO(add_check(&o, "signatureValue", ok ? "PASSED" : "FAILED"));
            if (!ok) {
                fail_with(&o.v, QTB_TOTAL_FAILED, QTB_SUB_SIG_CRYPTO_FAILURE,
                          "the SignatureValue does not verify with the %s key", o.key.source);
            }
        }
        QTB_TRY_GOTO(verify_references(&o));
        if (!o.v.set) {
            QTB_TRY_GOTO(judge_key_trust(&o));
        }
    }
    QTB_TRY_GOTO(jset(rep->obj, "references", json_incref(o.refs)));
    QTB_TRY_GOTO(jset(rep->obj, "checks", json_incref(o.checks)));
    if (o.v.set) {
        rc = qtb_sig_report_set(rep, o.v.ind, o.v.sub, "%s", o.v.msg);
    } else {
        rc = qtb_sig_report_set(rep, QTB_TOTAL_PASSED, QTB_SUB_NONE,
                                "signature valid (%s, key from %s)", o.sa->name, o.key.source);
    }
done:
    json_decref(o.checks);
    json_decref(o.refs);
    qtb_buf_dispose(&o.si);
    qtb_free(o.sigval);
    sig_key_dispose(&o.key);
    sk_X509_pop_free(o.candidates, X509_free);
    return rc;
}

/* ---- the document ------------------------------------------------------------------------- */

/* A pinned key: a certificate (PEM/DER), an SPKI, or a PKCS#1 RSA public key. */
static int load_pinned(verify_ctx *x)
{
    const qtb_verify_options *opts = x->opts;
    if (opts->pinned_key == NULL) {
        return 0;
    }
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form;
    char label[64] = "";
    QTB_TRY(qtb_decode_binary_input(&der, &der_len, &owned, &form, label, sizeof(label),
                                    opts->pinned_key, opts->pinned_key_len));
    const unsigned char *p = der;
    int rc = 0;
    if (der_len > QTB_MAX_CERT_FILE) {
        rc = QTB_FAIL(QTB_ETOOBIG, "pinned key too large");
    } else if ((x->pinned_cert = d2i_X509(NULL, &p, (long)der_len)) != NULL) {
        x->pinned = X509_PUBKEY_dup(X509_get_X509_PUBKEY(x->pinned_cert));
    } else if ((p = der, x->pinned = d2i_X509_PUBKEY(NULL, &p, (long)der_len)) == NULL) {
        p = der;
        EVP_PKEY *pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)der_len);
        if (pk != NULL && X509_PUBKEY_set(&x->pinned, pk) != 1) {
            x->pinned = NULL;
        }
        EVP_PKEY_free(pk);
    }
    if (rc == 0 && x->pinned == NULL) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "the pinned key is not a certificate or public key");
    }
    ERR_clear_error();
    if (owned) {
        qtb_free((void *)der);
    }
    return rc;
}

static int xml_verify_run(qtb_report **out, const unsigned char *xml, size_t xml_len,
                          const qtb_verify_options *opts)
{
    static const qtb_verify_options defaults = QTB_VERIFY_OPTIONS_INIT;
    QTB_ASSERT_ARG(out != NULL);
    *out = NULL;
    QTB_ASSERT_ARG(xml != NULL || xml_len == 0);
    if (opts == NULL) {
        opts = &defaults;
    }
    QTB_ASSERT_ARG(opts->version >= 1);

    qtb_report *r = NULL;
    xml_doc d;
    memset(&d, 0, sizeof(d));
    verify_ctx x;
    memset(&x, 0, sizeof(x));
    x.d = &d;
    x.opts = opts;
    x.at = opts->at != 0 ? opts->at : (int64_t)time(NULL);
    int rc = qtb_report_new(&r, "XMLDSIG");
    if (rc < 0) {
        return rc;
    }
    QTB_TRY_GOTO(load_pinned(&x));

    rc = qtb_xml_parse(&d.doc, xml, xml_len);
    if (rc == QTB_EPARSE || rc == QTB_ETOOBIG) {
        rc = qtb_report_set_document_failure(r, QTB_SUB_FORMAT_FAILURE, "%s",
                                             qtb_error_last()->message);
        qtb_error_clear();
        goto done;
    }
    QTB_TRY_GOTO(rc);
    d.ids = xmlHashCreate(16);
    if (d.ids == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    QTB_TRY_GOTO(scan_document(&d));
    if (d.too_many_sigs) {
        rc = qtb_report_set_document_failure(r, QTB_SUB_FORMAT_FAILURE, "more than %u signatures",
                                             QTB_MAX_SIGNERS);
        goto done;
    }
    if (d.dup_id[0] != '\0') {
        /* Duplicate IDs are the lever of signature wrapping: refuse the whole document. */
        rc = qtb_report_set_document_failure(r, QTB_SUB_FORMAT_FAILURE,
                                             "the ID \"%.100s\" occurs more than once", d.dup_id);
        goto done;
    }
    if (d.nsigs == 0) {
        rc = qtb_report_set_document_failure(r, QTB_SUB_NO_SIGNATURE_FOUND,
                                             "the document has no ds:Signature");
        goto done;
    }
    for (size_t i = 0; i < d.nsigs; i++) {
        qtb_sig_report *s = NULL;
        QTB_TRY_GOTO(qtb_report_add_signature(&s, r));
        QTB_TRY_GOTO(verify_one(&x, i, s));
    }
    rc = 0;
done:
    if (d.ids != NULL) {
        xmlHashFree(d.ids, NULL);
    }
    xmlFreeDoc(d.doc);
    X509_PUBKEY_free(x.pinned);
    X509_free(x.pinned_cert);
    if (rc < 0) {
        qtb_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* The verification itself, under the crypto policy the caller asked for (sigalg.h). */
int qtb_xml_verify(qtb_report **out, const unsigned char *xml, size_t xml_len,
                   const qtb_verify_options *opts)
{
    unsigned policy =
        opts != NULL && (opts->flags & QTB_VERIFY_ALLOW_WEAK_CRYPTO) ? QTB_SIGPOLICY_LEGACY : 0;
    unsigned previous = qtb_sig_policy_enter(policy);
    int rc = xml_verify_run(out, xml, xml_len, opts);
    qtb_sig_policy_leave(previous);
    return rc;
}
