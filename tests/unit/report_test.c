/*
 * The report builder (engine/src/report.c): the verdict aggregation that
 * schemas/report.schema.json documents, and text that can never make serialisation fail (a
 * message cut mid-character by a bounded snprintf used to turn into "out of memory").
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "qtb_test.h"
#include "report_int.h"

/* The report as JSON, parsed back; NULL when serialisation fails. */
static json_t *to_json(const qtb_report *r)
{
    char *text = NULL;
    if (qtb_report_to_json(&text, r) != 0) {
        return NULL;
    }
    json_t *j = json_loads(text, 0, NULL);
    qtb_string_free(text);
    return j;
}

static const char *str_at(json_t *j, const char *k)
{
    return json_string_value(json_object_get(j, k));
}

static void test_report__document_failure_shape(void)
{
    qtb_report *r = NULL;
    QTB_OK_CALL(qtb_report_new(&r, "CMS"));
    QTB_OK_CALL(qtb_report_set_document_failure(r, QTB_SUB_FORMAT_FAILURE, "not a %s", "CMS"));
    json_t *j = to_json(r);
    QTB_REQUIRE(j != NULL);
    QTB_CHECK_STR(str_at(j, "indication"), "TOTAL_FAILED");
    QTB_CHECK_STR(str_at(j, "subIndication"), "FORMAT_FAILURE");
    QTB_CHECK_STR(str_at(j, "message"), "not a CMS");
    QTB_CHECK(json_array_size(json_object_get(j, "signatures")) == 0);
    json_decref(j);
    qtb_report_free(r);

    /* Twin: no document failure and no signature is INDETERMINATE, never TOTAL_PASSED. */
    QTB_OK_CALL(qtb_report_new(&r, "XMLDSIG"));
    QTB_CHECK(qtb_report_indication(r) == QTB_INDETERMINATE);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_NO_SIGNATURE_FOUND);
    qtb_report_free(r);
}

static void test_report__aggregation(void)
{
    qtb_report *r = NULL;
    qtb_sig_report *a = NULL, *b = NULL, *c = NULL;
    QTB_OK_CALL(qtb_report_new(&r, "CMS"));
    QTB_OK_CALL(qtb_report_add_signature(&a, r));
    QTB_OK_CALL(qtb_sig_report_set(a, QTB_TOTAL_PASSED, QTB_SUB_NONE, "ok"));
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_PASSED);
    json_t *j = to_json(r);
    QTB_REQUIRE(j != NULL);
    QTB_CHECK(json_is_null(json_object_get(j, "subIndication")));
    QTB_CHECK(json_object_get(j, "message") == NULL);
    json_decref(j);
    /* One doubt: INDETERMINATE with that signature's sub-indication. */
    QTB_OK_CALL(qtb_report_add_signature(&b, r));
    QTB_OK_CALL(qtb_sig_report_set(b, QTB_INDETERMINATE, QTB_SUB_TRY_LATER, "later"));
    QTB_CHECK(qtb_report_indication(r) == QTB_INDETERMINATE);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_TRY_LATER);
    /* One failure wins over the doubt. */
    QTB_OK_CALL(qtb_report_add_signature(&c, r));
    QTB_OK_CALL(qtb_sig_report_set(c, QTB_TOTAL_FAILED, QTB_SUB_REVOKED, "revoked"));
    QTB_CHECK(qtb_report_indication(r) == QTB_TOTAL_FAILED);
    QTB_CHECK(qtb_report_subindication(r) == QTB_SUB_REVOKED);
    j = to_json(r);
    QTB_REQUIRE(j != NULL);
    QTB_CHECK(json_array_size(json_object_get(j, "signatures")) == 3);
    QTB_CHECK_STR(str_at(json_array_get(json_object_get(j, "signatures"), 1), "subIndication"),
                  "TRY_LATER");
    json_decref(j);
    qtb_report_free(r);
}

/* A message with a Kazakh letter (2 bytes) cut after its first byte, and other bad bytes. */
static void test_report__invalid_utf8_message_serialises(void)
{
    static const char *const bad[] = {
        "Reference \"\xd3\x98\xd3\"", /* Ә then a cut Ә */
        "lone continuation \x80 byte",
        "overlong \xc0\xaf slash",
        "surrogate \xed\xa0\x80 half", /* U+D800 */
        "beyond U+10FFFF \xf4\x90\x80\x80.",
        "cut at the end \xe2\x82", /* € without its last byte */
    };
    for (size_t i = 0; i < QTB_ARRAY_LEN(bad); i++) {
        qtb_report *r = NULL;
        qtb_sig_report *s = NULL;
        QTB_OK_CALL(qtb_report_new(&r, "XMLDSIG"));
        QTB_OK_CALL(qtb_report_add_signature(&s, r));
        QTB_OK_CALL(qtb_sig_report_set(s, QTB_TOTAL_FAILED, QTB_SUB_FORMAT_FAILURE, "%s", bad[i]));
        json_t *j = to_json(r);
        QTB_CHECK(j != NULL);
        const char *m = str_at(json_array_get(json_object_get(j, "signatures"), 0), "message");
        QTB_CHECK(m != NULL && strchr(m, '?') != NULL);
        json_decref(j);
        qtb_report_free(r);
        /* The same text as a document-level message. */
        QTB_OK_CALL(qtb_report_new(&r, "CMS"));
        QTB_OK_CALL(qtb_report_set_document_failure(r, QTB_SUB_FORMAT_FAILURE, "%s", bad[i]));
        j = to_json(r);
        QTB_CHECK(j != NULL && strchr(str_at(j, "message"), '?') != NULL);
        json_decref(j);
        qtb_report_free(r);
        /* And through the helper the verifiers use for their other fields. */
        json_t *js = qtb_json_string_lossy(bad[i]);
        QTB_CHECK(js != NULL && strchr(json_string_value(js), '?') != NULL);
        json_decref(js);
    }
    QTB_CHECK(qtb_json_string_lossy(NULL) == NULL);
}

/* Twin: valid UTF-8 of every length passes unchanged, byte for byte. */
static void test_report__valid_utf8_kept(void)
{
    static const char text[] = "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ € \xf0\x9f\x94\x8f ok?";
    qtb_report *r = NULL;
    qtb_sig_report *s = NULL;
    QTB_OK_CALL(qtb_report_new(&r, "CMS"));
    QTB_OK_CALL(qtb_report_add_signature(&s, r));
    QTB_OK_CALL(qtb_sig_report_set(s, QTB_INDETERMINATE, QTB_SUB_TRY_LATER, "%s", text));
    QTB_CHECK_STR(qtb_report_signature_message(r, 0), text);
    json_t *j = to_json(r);
    QTB_REQUIRE(j != NULL);
    QTB_CHECK_STR(str_at(json_array_get(json_object_get(j, "signatures"), 0), "message"), text);
    json_decref(j);
    qtb_report_free(r);
    json_t *js = qtb_json_string_lossy(text);
    QTB_CHECK(js != NULL && strcmp(json_string_value(js), text) == 0);
    json_decref(js);
}

int main(void)
{
    QTB_RUN(test_report__document_failure_shape);
    QTB_RUN(test_report__aggregation);
    QTB_RUN(test_report__invalid_utf8_message_serialises);
    QTB_RUN(test_report__valid_utf8_kept);
    return qtb_test_done();
}
