/*
 * Applicant XML: bounded, offline parsing with libxml2, validation against the compiled-in
 * schemas/applicant.xsd, and extraction into struct qtb_applicant.
 *
 * Untrusted input: no network (XML_PARSE_NONET), no entity substitution, no DTD loading, and a
 * document carrying a DTD at all is rejected; the size is bounded before libxml2 sees it and
 * libxml2's own depth limit applies (no XML_PARSE_HUGE).
 */
#include <pthread.h>
#include <stdio.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlversion.h>
#include <openssl/evp.h>

#include "applicant_int.h"
#include "assets_int.h"

#if LIBXML_VERSION >= 21200
#define QTB_XML_CONST_ERROR const
#else
#define QTB_XML_CONST_ERROR
#endif

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

/* The first schema error: enough to tell the applicant which line and field to fix. */
typedef struct xsd_error {
    bool have;
    int line;
    char path[256];
    char msg[384];
} xsd_error;

static void copy_trimmed(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    if (src != NULL) {
        n = strnlen(src, cap - 1);
        memcpy(dst, src, n);
    }
    while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' ')) {
        n--;
    }
    dst[n] = '\0';
}

static void on_xsd_error(void *ctx, QTB_XML_CONST_ERROR xmlError *e)
{
    xsd_error *st = ctx;
    if (st->have || e == NULL) {
        return;
    }
    st->have = true;
    st->line = e->line;
    st->path[0] = '\0';
    if (e->node != NULL) {
        xmlChar *p = xmlGetNodePath((xmlNodePtr)e->node);
        if (p != NULL) {
            copy_trimmed(st->path, sizeof(st->path), (const char *)p);
            xmlFree(p);
        }
    }
    copy_trimmed(st->msg, sizeof(st->msg), e->message);
}

static void on_xsd_ignore(void *ctx, QTB_XML_CONST_ERROR xmlError *e)
{
    (void)ctx;
    (void)e;
}

static int validate(xmlDocPtr doc)
{
    int rc = 0;
    xmlSchemaParserCtxtPtr pctx = NULL;
    xmlSchemaPtr schema = NULL;
    xmlSchemaValidCtxtPtr vctx = NULL;
    xsd_error err = {0};

    pctx = xmlSchemaNewMemParserCtxt((const char *)qtb_asset_applicant_xsd,
                                     (int)qtb_asset_applicant_xsd_len);
    if (pctx == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "cannot create the applicant schema parser");
        goto done;
    }
    xmlSchemaSetParserStructuredErrors(pctx, on_xsd_ignore, NULL);
    schema = xmlSchemaParse(pctx);
    if (schema == NULL) {
        rc = QTB_FAIL(QTB_EGENERIC, "the compiled-in applicant schema does not load");
        goto done;
    }
    vctx = xmlSchemaNewValidCtxt(schema);
    if (vctx == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "cannot create the applicant schema validator");
        goto done;
    }
    xmlSchemaSetValidStructuredErrors(vctx, on_xsd_error, &err);
    int v = xmlSchemaValidateDoc(vctx, doc);
    if (v != 0) {
        if (err.have) {
            rc = QTB_FAIL(QTB_EPARSE, "line %d: %s: %s", err.line,
                          err.path[0] != '\0' ? err.path : "/applicant", err.msg);
        } else {
            rc =
                QTB_FAIL(QTB_EPARSE, "applicant data does not match schemas/applicant.xsd (%d)", v);
        }
    }
done:
    xmlSchemaFreeValidCtxt(vctx);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pctx);
    return rc;
}

static int parse_xml(xmlDocPtr *out, const unsigned char *xml, int len)
{
    int rc = 0;
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (ctx == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "cannot create an XML parser");
    }
    /* No NOENT, no DTDLOAD, no DTDATTR, no HUGE: nothing is fetched or expanded. */
    int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDocPtr doc = xmlCtxtReadMemory(ctx, (const char *)xml, len, "applicant.xml", NULL, flags);
    if (doc == NULL) {
        QTB_XML_CONST_ERROR xmlError *e = xmlCtxtGetLastError(ctx);
        char msg[256];
        copy_trimmed(msg, sizeof(msg), e != NULL ? e->message : "unknown error");
        rc = QTB_FAIL(QTB_EPARSE, "line %d: malformed XML: %s", e != NULL ? e->line : 0, msg);
        goto done;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlFreeDoc(doc);
        rc = QTB_FAIL(QTB_EPARSE, "line 1: a DTD is not allowed in applicant data");
        goto done;
    }
    *out = doc;
done:
    xmlFreeParserCtxt(ctx);
    return rc;
}

/* ---- extraction (the schema has checked structure and types) -------------------------------- */

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    if (parent == NULL) {
        return NULL;
    }
    for (xmlNodePtr n = parent->children; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)name) == 0) {
            return n;
        }
    }
    return NULL;
}

/* Text with leading/trailing whitespace dropped and inner runs collapsed to one space. */
static int node_text(char **out, xmlNodePtr n)
{
    *out = NULL;
    if (n == NULL) {
        return 0;
    }
    xmlChar *raw = xmlNodeGetContent(n);
    if (raw == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory reading applicant data");
    }
    size_t len = strlen((const char *)raw);
    char *s = qtb_malloc(len + 1);
    if (s == NULL) {
        xmlFree(raw);
        return QTB_FAIL(QTB_ENOMEM, "out of memory reading applicant data");
    }
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = raw[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = o > 0;
            continue;
        }
        if (space) {
            s[o++] = ' ';
            space = false;
        }
        s[o++] = (char)c;
    }
    s[o] = '\0';
    xmlFree(raw);
    *out = s;
    return 0;
}

static int text_at(char **out, xmlNodePtr parent, const char *name)
{
    return node_text(out, child(parent, name));
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* xs:date already validated; we accept only the 4-digit-year form (a time zone is ignored). */
static int date_at(qtb_date *out, xmlNodePtr parent, const char *name)
{
    memset(out, 0, sizeof(*out));
    xmlNodePtr n = child(parent, name);
    if (n == NULL) {
        return 0;
    }
    char *s = NULL;
    QTB_TRY(node_text(&s, n));
    int rc = 0;
    if (strlen(s) < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &out->y) != 0 ||
        digits(s + 5, 2, &out->m) != 0 || digits(s + 8, 2, &out->d) != 0 || out->y < 1800) {
        rc = QTB_FAIL(QTB_EPARSE, "line %ld: %s: '%s' is not a date YYYY-MM-DD", xmlGetLineNo(n),
                      name, s);
    }
    qtb_free(s);
    return rc;
}

static int bool_at(bool *out, xmlNodePtr parent, const char *name)
{
    char *s = NULL;
    QTB_TRY(text_at(&s, parent, name));
    *out = s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
    qtb_free(s);
    return 0;
}

static int extract_org(qtb_applicant *a, xmlNodePtr org)
{
    a->has_org = true;
    QTB_TRY(text_at(&a->org_name, org, "name"));
    QTB_TRY(text_at(&a->org_idnum, org, "idNumber"));
    QTB_TRY(text_at(&a->org_reg_address, org, "registeredAddress"));
    QTB_TRY(text_at(&a->org_act_address, org, "actualAddress"));
    QTB_TRY(text_at(&a->org_sector, org, "sectorCode"));
    QTB_TRY(text_at(&a->org_activity, org, "activityKind"));
    QTB_TRY(text_at(&a->org_oked, org, "oked"));
    xmlNodePtr reg = child(org, "registration");
    QTB_TRY(text_at(&a->reg_number, reg, "number"));
    QTB_TRY(date_at(&a->reg_date, reg, "date"));
    QTB_TRY(text_at(&a->reg_issuer, reg, "issuer"));
    QTB_TRY(text_at(&a->reg_place, reg, "place"));
    xmlNodePtr lic = child(org, "licence");
    if (lic != NULL) {
        a->has_licence = true;
        QTB_TRY(text_at(&a->lic_number, lic, "number"));
        QTB_TRY(date_at(&a->lic_issue, lic, "issueDate"));
        QTB_TRY(date_at(&a->lic_expiry, lic, "expiryDate"));
        QTB_TRY(text_at(&a->lic_issuer, lic, "issuer"));
    }
    return 0;
}

static int extract_user(qtb_applicant *a, xmlNodePtr u)
{
    QTB_TRY(text_at(&a->user_iin, u, "iin"));
    QTB_TRY(text_at(&a->user_surname, u, "surname"));
    QTB_TRY(text_at(&a->user_name, u, "name"));
    QTB_TRY(text_at(&a->user_patronymic, u, "patronymic"));
    QTB_TRY(text_at(&a->user_email, u, "email"));
    QTB_TRY(text_at(&a->user_phone, u, "phone"));
    QTB_TRY(date_at(&a->user_birth, u, "birthDate"));
    QTB_TRY(text_at(&a->user_sex, u, "sex"));
    QTB_TRY(text_at(&a->user_country, u, "residenceCountry"));
    QTB_TRY(text_at(&a->user_birth_place, u, "birthPlace"));
    QTB_TRY(text_at(&a->user_position, u, "position"));
    QTB_TRY(text_at(&a->user_address, u, "address"));
    return 0;
}

static int extract_docs(qtb_applicant *a, xmlNodePtr docs)
{
    for (xmlNodePtr n = docs != NULL ? docs->children : NULL; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        QTB_ENSURE(a->ndocs < QTB_APPLICANT_MAX_DOCS, QTB_ETOOBIG,
                   "line %ld: more than %d attached documents", xmlGetLineNo(n),
                   QTB_APPLICANT_MAX_DOCS);
        qtb_attachment *d = &a->docs[a->ndocs++];
        xmlChar *kind = xmlGetProp(n, (const xmlChar *)"kind");
        const char *k = kind != NULL ? (const char *)kind : "";
        d->kind = strcmp(k, "identity-document") == 0          ? QTB_ATTACH_IDENTITY
                  : strcmp(k, "registration-certificate") == 0 ? QTB_ATTACH_REGISTRATION
                                                               : QTB_ATTACH_LICENCE;
        xmlFree(kind);
        QTB_TRY(text_at(&d->file_name, n, "fileName"));
        QTB_TRY(text_at(&d->sha256, n, "sha256"));
        for (char *p = d->sha256; p != NULL && *p != '\0'; p++) {
            if (*p >= 'A' && *p <= 'F') {
                *p = (char)(*p - 'A' + 'a');
            }
        }
    }
    return 0;
}

static int extract(qtb_applicant *a, xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlChar *kind = xmlGetProp(root, (const xmlChar *)"kind");
    const char *k = kind != NULL ? (const char *)kind : "";
    a->kind = strcmp(k, "individual-entrepreneur") == 0 ? QTB_APPLICANT_ENTREPRENEUR
              : strcmp(k, "legal-entity") == 0          ? QTB_APPLICANT_LEGAL_ENTITY
                                                        : QTB_APPLICANT_NATURAL_PERSON;
    xmlFree(kind);

    xmlNodePtr org = child(root, "organisation");
    if (a->kind == QTB_APPLICANT_NATURAL_PERSON && org != NULL) {
        return QTB_FAIL(QTB_EPARSE,
                        "line %ld: /applicant/organisation: a natural person has no "
                        "organisation",
                        xmlGetLineNo(org));
    }
    if (a->kind != QTB_APPLICANT_NATURAL_PERSON && org == NULL) {
        return QTB_FAIL(QTB_EPARSE, "line %ld: /applicant: kind '%s' needs an <organisation>",
                        xmlGetLineNo(root), qtb_applicant_kind_name(a->kind));
    }

    char *lang = NULL;
    QTB_TRY(text_at(&a->application_id, root, "applicationId"));
    QTB_TRY(text_at(&lang, root, "notificationLanguage"));
    a->lang = lang != NULL && strcmp(lang, "kk") == 0 ? QTB_LANG_KK : QTB_LANG_RU;
    qtb_free(lang);
    if (org != NULL) {
        QTB_TRY(extract_org(a, org));
    }
    xmlNodePtr bank = child(root, "bank");
    QTB_TRY(text_at(&a->iban, bank, "iban"));
    QTB_TRY(text_at(&a->bank_name, bank, "bankName"));
    QTB_TRY(text_at(&a->bic, bank, "bic"));
    QTB_TRY(text_at(&a->kbe, bank, "kbe"));
    xmlNodePtr id = child(root, "identityDocument");
    QTB_TRY(text_at(&a->id_kind, id, "kind"));
    QTB_TRY(text_at(&a->id_number, id, "number"));
    QTB_TRY(text_at(&a->id_issuer, id, "issuer"));
    QTB_TRY(date_at(&a->id_start, id, "startDate"));
    QTB_TRY(date_at(&a->id_end, id, "endDate"));
    xmlNodePtr pep = child(root, "pep");
    QTB_TRY(bool_at(&a->pep, pep, "isPep"));
    QTB_TRY(bool_at(&a->pep_relative, pep, "pepRelative"));
    QTB_TRY(bool_at(&a->pep_foreign, pep, "foreignPep"));
    QTB_TRY(extract_user(a, child(root, "user")));
    QTB_TRY(extract_docs(a, child(root, "documents")));
    return 0;
}

int qtb_applicant_parse(qtb_applicant **out, const unsigned char *xml, size_t len,
                        const qtb_applicant_parse_options *opts)
{
    QTB_ASSERT_ARG(out != NULL);
    QTB_ASSERT_ARG(xml != NULL || len == 0);
    QTB_ASSERT_ARG(opts == NULL || opts->version == QTB_APPLICANT_PARSE_OPTIONS_VERSION);
    *out = NULL;
    size_t max = opts != NULL && opts->max_size != 0 ? opts->max_size : QTB_MAX_APPLICANT_FILE;
    QTB_ENSURE(len <= max, QTB_ETOOBIG, "applicant data is %zu bytes, over the %zu-byte limit", len,
               max);
    QTB_ENSURE(len > 0, QTB_EPARSE, "line 1: applicant data is empty");
    int ilen = 0;
    QTB_TRY(qtb_size_to_int(&ilen, len));
    pthread_once(&xml_once, xml_init);

    int rc = 0;
    xmlDocPtr doc = NULL;
    qtb_applicant *a = qtb_calloc(1, sizeof(*a));
    if (a == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory parsing applicant data");
    }
    QTB_TRY_GOTO(parse_xml(&doc, xml, ilen));
    QTB_TRY_GOTO(validate(doc));
    QTB_TRY_GOTO(extract(a, doc));
    if (EVP_Digest(xml, len, a->sha256, NULL, EVP_sha256(), NULL) != 1) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256 of the applicant data failed");
        goto done;
    }
    qtb_hex_encode(a->sha256_hex, a->sha256, sizeof(a->sha256));
    *out = a;
    a = NULL;
done:
    xmlFreeDoc(doc);
    qtb_applicant_free(a);
    return rc;
}

void qtb_applicant_free(qtb_applicant *a)
{
    if (a == NULL) {
        return;
    }
    char **strs[] = {
        &a->application_id,
        &a->org_name,
        &a->org_idnum,
        &a->org_reg_address,
        &a->org_act_address,
        &a->org_sector,
        &a->org_activity,
        &a->org_oked,
        &a->reg_number,
        &a->reg_issuer,
        &a->reg_place,
        &a->lic_number,
        &a->lic_issuer,
        &a->iban,
        &a->bank_name,
        &a->bic,
        &a->kbe,
        &a->id_kind,
        &a->id_number,
        &a->id_issuer,
        &a->user_iin,
        &a->user_surname,
        &a->user_name,
        &a->user_patronymic,
        &a->user_email,
        &a->user_phone,
        &a->user_sex,
        &a->user_country,
        &a->user_birth_place,
        &a->user_position,
        &a->user_address,
    };
    for (size_t i = 0; i < QTB_ARRAY_LEN(strs); i++) {
        qtb_free(*strs[i]);
    }
    for (size_t i = 0; i < a->ndocs; i++) {
        qtb_free(a->docs[i].file_name);
        qtb_free(a->docs[i].sha256);
    }
    qtb_free(a);
}

qtb_applicant_kind qtb_applicant_get_kind(const qtb_applicant *a)
{
    return a->kind;
}

const char *qtb_applicant_kind_name(qtb_applicant_kind kind)
{
    switch (kind) {
    case QTB_APPLICANT_ENTREPRENEUR:
        return "individual-entrepreneur";
    case QTB_APPLICANT_LEGAL_ENTITY:
        return "legal-entity";
    case QTB_APPLICANT_NATURAL_PERSON:
        return "natural-person";
    default:
        return "unknown";
    }
}

const char *qtb_applicant_org_idnum(const qtb_applicant *a)
{
    return a->has_org ? a->org_idnum : NULL;
}

const char *qtb_applicant_user_iin(const qtb_applicant *a)
{
    return a->user_iin;
}

const char *qtb_applicant_application_id(const qtb_applicant *a)
{
    return a->application_id;
}

qtb_lang qtb_applicant_language(const qtb_applicant *a)
{
    return a->lang;
}

const unsigned char *qtb_applicant_sha256(const qtb_applicant *a)
{
    return a->sha256;
}

const char *qtb_applicant_sha256_hex(const qtb_applicant *a)
{
    return a->sha256_hex;
}

void qtb_date_format(char *buf, size_t cap, qtb_date d)
{
    snprintf(buf, cap, "%04d-%02d-%02d", d.y, d.m, d.d);
}

int qtb_date_cmp(qtb_date a, qtb_date b)
{
    long x = (long)a.y * 10000 + a.m * 100 + a.d;
    long y = (long)b.y * 10000 + b.m * 100 + b.d;
    return x < y ? -1 : (x > y ? 1 : 0);
}
