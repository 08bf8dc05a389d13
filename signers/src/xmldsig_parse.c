/*
 * Hostile-XML parsing for the XMLDSig verifier and signer.
 *
 * libxml2 2.9.14 has no XML_PARSE_NO_XXE, so the defence is structural: never NOENT or DTDLOAD,
 * XML_PARSE_NONET, and a SAX hook that stops the parser at the DOCTYPE name, before any of the
 * internal subset is read. No entity can then be declared, so XXE and entity expansion ("billion
 * laughs") have nothing to work with; an undeclared entity reference is a well-formedness error.
 * Element count and nesting are bounded while parsing (QTB_MAX_XML_NODES / QTB_MAX_XML_DEPTH).
 */
#include <pthread.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "internal.h"
#include "xmldsig_int.h"

typedef struct parse_state {
    bool doctype;
    bool too_many;
    bool too_deep;
    size_t nodes;
    size_t depth;
    startElementNsSAX2Func start;
    endElementNsSAX2Func end;
} parse_state;

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init_once(void)
{
    xmlInitParser();
}

static void silent_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void silent_structured(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
}

void qtb_xml_thread_init(void)
{
    pthread_once(&xml_once, xml_init_once);
    /* libxml2 keeps these per thread; nothing it says may reach stderr of a server. */
    xmlSetGenericErrorFunc(NULL, silent_generic);
    xmlSetStructuredErrorFunc(NULL, silent_structured);
}

bool qtb_xml_is_dsig(const xmlNode *n, const char *local)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           xmlStrEqual(n->ns->href, BAD_CAST QTB_DSIG_NS) && xmlStrEqual(n->name, BAD_CAST local);
}

static void on_internal_subset(void *ud, const xmlChar *name, const xmlChar *ext_id,
                               const xmlChar *sys_id)
{
    xmlParserCtxtPtr ctxt = ud;
    parse_state *st = ctxt->_private;
    (void)name;
    (void)ext_id;
    (void)sys_id;
    st->doctype = true;
    xmlStopParser(ctxt);
}

static void on_start(void *ud, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ud;
    parse_state *st = ctxt->_private;
    st->nodes += 1 + (size_t)(nb_attributes > 0 ? nb_attributes : 0) +
                 (size_t)(nb_namespaces > 0 ? nb_namespaces : 0);
    st->depth++;
    if (st->nodes > QTB_MAX_XML_NODES) {
        st->too_many = true;
        xmlStopParser(ctxt);
        return;
    }
    if (st->depth > QTB_MAX_XML_DEPTH) {
        st->too_deep = true;
        xmlStopParser(ctxt);
        return;
    }
    st->start(ud, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
              attributes);
}

static void on_end(void *ud, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ud;
    parse_state *st = ctxt->_private;
    if (st->depth > 0) {
        st->depth--;
    }
    st->end(ud, localname, prefix, uri);
}

static int parse_error(xmlParserCtxtPtr ctxt, const parse_state *st)
{
    if (st->doctype) {
        return QTB_FAIL(QTB_EPARSE, "XML with a DOCTYPE is not accepted (no DTD, no entities)");
    }
    if (st->too_many) {
        return QTB_FAIL(QTB_ETOOBIG, "XML has more than %u nodes", QTB_MAX_XML_NODES);
    }
    if (st->too_deep) {
        return QTB_FAIL(QTB_ETOOBIG, "XML nests deeper than %u elements", QTB_MAX_XML_DEPTH);
    }
    xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
    if (e != NULL && e->message != NULL) {
        size_t n = strcspn(e->message, "\r\n");
        return QTB_FAIL(QTB_EPARSE, "XML is not well-formed (line %d): %.*s", e->line, (int)n,
                        e->message);
    }
    return QTB_FAIL(QTB_EPARSE, "XML is not well-formed");
}

int qtb_xml_parse(xmlDocPtr *out, const unsigned char *xml, size_t len)
{
    int ilen = 0;
    *out = NULL;
    if (len > QTB_MAX_SIGNATURE_FILE) {
        return QTB_FAIL(QTB_ETOOBIG, "XML is larger than %u bytes", QTB_MAX_SIGNATURE_FILE);
    }
    QTB_TRY(qtb_size_to_int(&ilen, len));
    qtb_xml_thread_init();

    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt((const char *)xml, ilen);
    if (ctxt == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "cannot create an XML parser");
    }
    /* Never XML_PARSE_NOENT / DTDLOAD / DTDATTR / XINCLUDE / HUGE. */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    parse_state st = {0};
    st.start = ctxt->sax->startElementNs;
    st.end = ctxt->sax->endElementNs;
    ctxt->_private = &st;
    ctxt->sax->internalSubset = on_internal_subset;
    ctxt->sax->externalSubset = NULL;
    ctxt->sax->startElementNs = on_start;
    ctxt->sax->endElementNs = on_end;
    ctxt->loadsubset = 0;
    ctxt->replaceEntities = 0;

    (void)xmlParseDocument(ctxt);
    xmlDocPtr doc = ctxt->myDoc;
    int rc = 0;
    if (st.doctype || st.too_many || st.too_deep || !ctxt->wellFormed || doc == NULL ||
        doc->intSubset != NULL || doc->extSubset != NULL) {
        rc = parse_error(ctxt, &st);
        xmlFreeDoc(doc);
        doc = NULL;
    }
    ctxt->myDoc = NULL;
    xmlFreeParserCtxt(ctxt);
    *out = doc;
    return rc;
}
