/*
 * qoltanba: applicant data, pre-checks and the reproducible applicant questionnaire (анкета) PDF.
 *
 * The flow: qtb_applicant_parse() reads an `applicant` XML document (schemas/applicant.xsd,
 * compiled into the library), qtb_applicant_check() lists the mistakes a compliance officer
 * would return the application for (findings, not errors), and qtb_questionnaire_render()
 * draws the questionnaire the applicant signs with their ЭЦП.
 *
 * Rendering is reproducible: the same applicant bytes and options give byte-identical PDF bytes
 * (no wall-clock dates, no random IDs), so a signature can later be checked against the PDF
 * regenerated from the stored applicant data. Everything here is thread-safe: no global mutable
 * state; an applicant is read-only after parsing and may be shared between threads.
 */
#ifndef QTB_QUESTIONNAIRE_H
#define QTB_QUESTIONNAIRE_H

#include <stdbool.h>

#include <qtb/common.h>

QTB_BEGIN_DECLS

/** A parsed, schema-valid applicant. Opaque; read-only after qtb_applicant_parse. */
typedef struct qtb_applicant qtb_applicant;

/** The three applicant kinds of the registration form (XML attribute `kind`). */
typedef enum qtb_applicant_kind {
    QTB_APPLICANT_ENTREPRENEUR = 1,   /**< "individual-entrepreneur": ИП, identified by an IIN */
    QTB_APPLICANT_LEGAL_ENTITY = 2,   /**< "legal-entity": ТОО/АО, identified by a BIN */
    QTB_APPLICANT_NATURAL_PERSON = 3, /**< "natural-person": no organisation */
} qtb_applicant_kind;

/** Language of labels and finding messages. */
typedef enum qtb_lang {
    QTB_LANG_DEFAULT = 0, /**< the applicant's notification language */
    QTB_LANG_RU = 1,
    QTB_LANG_KK = 2,
} qtb_lang;

/** Options for qtb_applicant_parse. */
typedef struct qtb_applicant_parse_options {
    int version;     /**< QTB_APPLICANT_PARSE_OPTIONS_VERSION */
    size_t max_size; /**< largest accepted document; default QTB_MAX_APPLICANT_FILE */
} qtb_applicant_parse_options;

#define QTB_APPLICANT_PARSE_OPTIONS_VERSION 1
#define QTB_APPLICANT_PARSE_OPTIONS_INIT                                                           \
    {                                                                                              \
        QTB_APPLICANT_PARSE_OPTIONS_VERSION, 0                                                     \
    }

/**
 * Parse and validate applicant XML from memory.
 *
 * The parser never reaches the network or disk: no DTD (a document with one is rejected), no
 * entity substitution, bounded size and depth. The document is validated against the compiled-in
 * schemas/applicant.xsd; the error message then names the line and the field, e.g.
 * "line 14: /applicant/organisation/licence/expiryDate: ... not a valid value of ... xs:date".
 *
 * @param out receives the applicant; free with qtb_applicant_free
 * @param xml the document bytes (copied as needed; the SHA-256 is taken over exactly these)
 * @param len length of `xml`
 * @param opts NULL for defaults
 * @return 0; QTB_EPARSE (malformed, DTD present, schema-invalid, inconsistent kind);
 *         QTB_ETOOBIG (over max_size); QTB_ENOMEM; QTB_EUSAGE
 */
QTB_API int qtb_applicant_parse(qtb_applicant **out, const unsigned char *xml, size_t len,
                                const qtb_applicant_parse_options *opts) QTB_MUST_USE;

/** Free an applicant (NULL-safe). */
QTB_API void qtb_applicant_free(qtb_applicant *a);

/** The applicant kind. */
QTB_API qtb_applicant_kind qtb_applicant_get_kind(const qtb_applicant *a);
/** "individual-entrepreneur", "legal-entity" or "natural-person" (static). */
QTB_API const char *qtb_applicant_kind_name(qtb_applicant_kind kind);
/** Organisation IIN (ИП) or BIN (legal entity); NULL for a natural person. Owned by `a`. */
QTB_API const char *qtb_applicant_org_idnum(const qtb_applicant *a);
/** IIN of the user acting for the organisation (or of the natural person). Owned by `a`. */
QTB_API const char *qtb_applicant_user_iin(const qtb_applicant *a);
/** The application ID. Owned by `a`. */
QTB_API const char *qtb_applicant_application_id(const qtb_applicant *a);
/** Notification language (QTB_LANG_RU or QTB_LANG_KK). */
QTB_API qtb_lang qtb_applicant_language(const qtb_applicant *a);
/** SHA-256 of the applicant XML bytes as given to qtb_applicant_parse: 32 bytes, owned by `a`. */
QTB_API const unsigned char *qtb_applicant_sha256(const qtb_applicant *a);
/** The same SHA-256 as 64 lower-case hex digits. Owned by `a`. */
QTB_API const char *qtb_applicant_sha256_hex(const qtb_applicant *a);

/* ---- pre-checks ----------------------------------------------------------------------------- */

typedef enum qtb_finding_severity {
    QTB_FINDING_WARNING = 1, /**< worth a look; the questionnaire is still produced */
    QTB_FINDING_ERROR = 2,   /**< the application would be returned for rework */
} qtb_finding_severity;

/** One finding. All strings are owned by the findings list. */
typedef struct qtb_finding {
    const char *code; /**< stable upper-case code, e.g. "LICENCE_EXPIRED" */
    qtb_finding_severity severity;
    const char *field;   /**< path of the field, e.g. "organisation/licence/expiryDate" */
    const char *message; /**< human message in the chosen language */
} qtb_finding;

typedef struct qtb_findings qtb_findings;

/** Options for qtb_applicant_check. */
typedef struct qtb_check_options {
    int version;    /**< QTB_CHECK_OPTIONS_VERSION */
    int today_year; /**< "today" for the "not past" checks: an explicit input, never the clock */
    int today_month;
    int today_day;
    qtb_lang lang; /**< message language; QTB_LANG_DEFAULT = notification language */
} qtb_check_options;

#define QTB_CHECK_OPTIONS_VERSION 1
#define QTB_CHECK_OPTIONS_INIT                                                                     \
    {                                                                                              \
        QTB_CHECK_OPTIONS_VERSION, 0, 0, 0, QTB_LANG_DEFAULT                                       \
    }

/**
 * Run the pre-checks: IIN/BIN checksums and kinds, IIN birth date and sex against the stated
 * ones, licence and identity-document dates, IBAN (Kazakh, mod-97), BIC, KBe, OKED, email and
 * phone formats, PEP flags (enhanced due diligence) and the attached document list.
 * @param out receives the findings (possibly none); free with qtb_findings_free
 * @param a the applicant
 * @param opts must carry a valid `today` date
 * @return 0 (findings are a verdict, not an error); QTB_EUSAGE (no or invalid today); QTB_ENOMEM
 */
QTB_API int qtb_applicant_check(qtb_findings **out, const qtb_applicant *a,
                                const qtb_check_options *opts) QTB_MUST_USE;

/** Free a findings list (NULL-safe). */
QTB_API void qtb_findings_free(qtb_findings *f);
/** Number of findings. */
QTB_API size_t qtb_findings_count(const qtb_findings *f);
/** Number of findings with severity QTB_FINDING_ERROR. */
QTB_API size_t qtb_findings_error_count(const qtb_findings *f);
/** The i-th finding (NULL when out of range); owned by `f`. */
QTB_API const qtb_finding *qtb_findings_get(const qtb_findings *f, size_t i);
/** True when a finding with this code exists. */
QTB_API bool qtb_findings_has(const qtb_findings *f, const char *code);
/** "warning" or "error" (static). */
QTB_API const char *qtb_finding_severity_name(qtb_finding_severity s);

/**
 * Findings as JSON: {"applicationId","kind","dataSha256","errors","warnings","findings":[
 * {"code","severity","field","message"}...]}.
 * @param out receives a NUL-terminated string; free with qtb_string_free
 * @return 0; QTB_ENOMEM
 */
QTB_API int qtb_findings_to_json(char **out, const qtb_findings *f,
                                 const qtb_applicant *a) QTB_MUST_USE;

/* ---- the PDF ------------------------------------------------------------------------------------
 */

/** Options for qtb_questionnaire_render. Nothing here may depend on the clock. */
typedef struct qtb_questionnaire_options {
    int version;   /**< QTB_QUESTIONNAIRE_OPTIONS_VERSION */
    qtb_lang lang; /**< label language; QTB_LANG_DEFAULT = notification language */
} qtb_questionnaire_options;

#define QTB_QUESTIONNAIRE_OPTIONS_VERSION 1
#define QTB_QUESTIONNAIRE_OPTIONS_INIT                                                             \
    {                                                                                              \
        QTB_QUESTIONNAIRE_OPTIONS_VERSION, QTB_LANG_DEFAULT                                        \
    }

/**
 * Render the questionnaire PDF into memory: A4, an embedded Unicode TrueType font (a subset of
 * DejaVu Sans compiled into the library), sections as in the registration form, page numbers,
 * a footer with the application ID and the SHA-256 of the applicant data, and a marked place for
 * the ЭЦП signature. The output depends only on the applicant and the options.
 * @param pdf receives the bytes; free with qtb_string_free((char *)*pdf)
 * @param len receives the length
 * @param a the applicant
 * @param opts NULL for defaults
 * @return 0; QTB_ENOMEM; QTB_EGENERIC (libharu failed; the message has its error code)
 */
QTB_API int qtb_questionnaire_render(unsigned char **pdf, size_t *len, const qtb_applicant *a,
                                     const qtb_questionnaire_options *opts) QTB_MUST_USE;

QTB_END_DECLS

#endif
