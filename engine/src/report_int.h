/*
 * Report builder shared by the CMS and XMLDSig verifiers (one implementation of the report
 * contract for both).
 */
#ifndef QTB_REPORT_INT_H
#define QTB_REPORT_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <jansson.h>

#include <qtb/report.h>

typedef struct qtb_sig_report {
    qtb_indication indication; /* starts INDETERMINATE */
    qtb_subindication sub;
    char *message; /* one line */
    json_t *obj;   /* the JSON object of this signature; other fields live here */
} qtb_sig_report;

struct qtb_report {
    char *format; /* "CMS" / "XMLDSIG" */
    qtb_sig_report *sigs;
    size_t nsigs;
    size_t cap;
    json_t *extra;             /* document-level fields merged into the JSON (may be NULL) */
    qtb_subindication doc_sub; /* document-level failure (e.g. FORMAT_FAILURE, no signature) */
    char *doc_message;
};

int qtb_report_new(qtb_report **out, const char *format) QTB_MUST_USE;
/* Append a signature entry (INDETERMINATE, empty object) and return it. */
int qtb_report_add_signature(qtb_sig_report **out, qtb_report *r) QTB_MUST_USE;
/* Set the verdict of one signature, with a printf-style one-line message. */
int qtb_sig_report_set(qtb_sig_report *s, qtb_indication ind, qtb_subindication sub,
                       const char *fmt, ...) QTB_PRINTF(4, 5) QTB_MUST_USE;
/* A document-level problem (no signature, unparseable input): overall INDETERMINATE/FAILED. */
int qtb_report_set_document_failure(qtb_report *r, qtb_subindication sub, const char *fmt, ...)
    QTB_PRINTF(3, 4) QTB_MUST_USE;
/*
 * A JSON string of `s` in which every byte that does not begin a valid UTF-8 sequence (a message
 * cut mid-character by a bounded snprintf, say) is replaced by '?': text put into a report must
 * never make its serialisation fail. NULL only when out of memory (or `s` is NULL).
 */
json_t *qtb_json_string_lossy(const char *s);
/* The same repair in place, for text stored or reported elsewhere. */
void qtb_utf8_repair(char *s);
/* Format a UTC time as RFC 3339 ("2026-11-22T10:00:00Z") into buf (at least 21 bytes). */
void qtb_time_rfc3339(char *buf, size_t cap, int64_t t);
/* Parse RFC 3339 (Z or ±hh:mm offset) into seconds since the epoch; QTB_EPARSE otherwise. */
int qtb_time_parse_rfc3339(int64_t *out, const char *s) QTB_MUST_USE;

#endif
