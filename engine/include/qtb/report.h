/*
 * qoltanba: validation reports, with the indications of ETSI EN 319 102-1 spelled as EU DSS
 * spells them. One report per verified document; one entry per signature in it.
 *
 * A report starts INDETERMINATE. TOTAL_PASSED is set on exactly one path of each verifier, and
 * the overall indication is TOTAL_PASSED only when at least one signature exists and all pass.
 */
#ifndef QTB_REPORT_H
#define QTB_REPORT_H

#include <qtb/common.h>

QTB_BEGIN_DECLS

typedef enum qtb_indication {
    QTB_INDETERMINATE = 0,
    QTB_TOTAL_PASSED = 1,
    QTB_TOTAL_FAILED = 2,
} qtb_indication;

/* Values are stored in the database: append only, never renumber. */
typedef enum qtb_subindication {
    QTB_SUB_NONE = 0,
    /* TOTAL_FAILED */
    QTB_SUB_FORMAT_FAILURE = 1,
    QTB_SUB_HASH_FAILURE = 2,
    QTB_SUB_SIG_CRYPTO_FAILURE = 3,
    QTB_SUB_REVOKED = 4,
    QTB_SUB_EXPIRED = 5,
    QTB_SUB_NOT_YET_VALID = 6,
    /* INDETERMINATE */
    QTB_SUB_SIG_CONSTRAINTS_FAILURE = 7,
    QTB_SUB_CHAIN_CONSTRAINTS_FAILURE = 8,
    QTB_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE = 9,
    QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE = 10,
    QTB_SUB_POLICY_PROCESSING_ERROR = 11,
    QTB_SUB_SIGNATURE_POLICY_NOT_AVAILABLE = 12,
    QTB_SUB_TIMESTAMP_ORDER_FAILURE = 13,
    QTB_SUB_NO_SIGNING_CERTIFICATE_FOUND = 14,
    QTB_SUB_NO_CERTIFICATE_CHAIN_FOUND = 15,
    QTB_SUB_REVOKED_NO_POE = 16,
    QTB_SUB_REVOKED_CA_NO_POE = 17,
    QTB_SUB_OUT_OF_BOUNDS_NO_POE = 18,
    QTB_SUB_OUT_OF_BOUNDS_NOT_REVOKED = 19,
    QTB_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE = 20,
    QTB_SUB_NO_POE = 21,
    QTB_SUB_TRY_LATER = 22,
    QTB_SUB_SIGNED_DATA_NOT_FOUND = 23,
    QTB_SUB_UNEXPECTED_ERROR = 24,
    QTB_SUB_NO_SIGNATURE_FOUND = 25,
} qtb_subindication;

/** "TOTAL_PASSED", "TOTAL_FAILED" or "INDETERMINATE". */
QTB_API const char *qtb_indication_name(qtb_indication ind);
/** The DSS spelling ("HASH_FAILURE", ...), or NULL for QTB_SUB_NONE. */
QTB_API const char *qtb_subindication_name(qtb_subindication sub);
/** Parse a DSS spelling back; QTB_SUB_NONE when unknown. */
QTB_API qtb_subindication qtb_subindication_from_name(const char *name);

/** A document's report: opaque, filled by a verifier, freed with qtb_report_free. */
typedef struct qtb_report qtb_report;

QTB_API void qtb_report_free(qtb_report *r);

/** "CMS" or "XMLDSIG"; owned by the report. */
QTB_API const char *qtb_report_format(const qtb_report *r);
QTB_API qtb_indication qtb_report_indication(const qtb_report *r);
QTB_API qtb_subindication qtb_report_subindication(const qtb_report *r);
QTB_API size_t qtb_report_signature_count(const qtb_report *r);
QTB_API qtb_indication qtb_report_signature_indication(const qtb_report *r, size_t i);
QTB_API qtb_subindication qtb_report_signature_subindication(const qtb_report *r, size_t i);
/** One-line reason for signature i; owned by the report. */
QTB_API const char *qtb_report_signature_message(const qtb_report *r, size_t i);

/**
 * Serialise as the `qoltanba verify --json` document.
 * @param out a NUL-terminated UTF-8 string; free with qtb_string_free.
 * @return 0, QTB_ENOMEM.
 */
QTB_API int qtb_report_to_json(char **out, const qtb_report *r) QTB_MUST_USE;

/**
 * Parse a time as the CLI and the HTTP API take it: RFC 3339 with `Z` or a `±hh:mm` offset
 * (fractions of a second ignored), or a bare date meaning midnight UTC.
 * @param out seconds since the epoch.
 * @return 0, or QTB_EPARSE with a message showing the expected form.
 */
QTB_API int qtb_time_parse(int64_t *out, const char *s) QTB_MUST_USE;

/** Free a string returned by the library. */
QTB_API void qtb_string_free(char *s);

QTB_END_DECLS

#endif
