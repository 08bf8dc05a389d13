/*
 * Checking one submission folder: load its files (bounded, symlinks confined to the inbox),
 * hash them, verify every signature in it and apply the signer <-> applicant rule. Pure CPU
 * work: no database, no shared mutable state (many workers run it at once).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <qtb/batch.h>
#include <qtb/questionnaire.h>
#include <qtb/verify.h>

#include "cms_int.h"
#include "pipeline_int.h"
#include "report_int.h"
#include "store_int.h"

/* ---- the signer <-> applicant rule --------------------------------------------------------- */

static bool has_text(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static bool has_role(const qtb_signer_id *signer, const char *role)
{
    for (size_t i = 0; i < signer->nroles; i++) {
        if (signer->roles[i] != NULL && strcmp(signer->roles[i], role) == 0) {
            return true;
        }
    }
    return false;
}

qtb_match qtb_match_signer(qtb_applicant_kind kind, const char *applicant_iin,
                           const char *applicant_bin, const qtb_signer_id *signer)
{
    if (signer == NULL) {
        return QTB_MATCH_NO_IDENTITY;
    }
    switch (kind) {
    case QTB_APPLICANT_NATURAL_PERSON:
        if (!has_text(applicant_iin)) {
            return QTB_MATCH_UNKNOWN_APPLICANT;
        }
        if (!has_text(signer->iin)) {
            return QTB_MATCH_NO_IDENTITY;
        }
        if (strcmp(signer->iin, applicant_iin) != 0) {
            return QTB_MATCH_IIN_MISMATCH;
        }
        /* An employee certificate acts for its organisation, not for the person. */
        if (has_text(signer->bin)) {
            return QTB_MATCH_ORG_CERTIFICATE;
        }
        return QTB_MATCH_OK;
    case QTB_APPLICANT_ENTREPRENEUR:
        /* An ИП is identified by its owner's IIN; its certificate is the owner's. */
        if (!has_text(applicant_iin)) {
            return QTB_MATCH_UNKNOWN_APPLICANT;
        }
        if (!has_text(signer->iin)) {
            return QTB_MATCH_NO_IDENTITY;
        }
        return strcmp(signer->iin, applicant_iin) == 0 ? QTB_MATCH_OK : QTB_MATCH_IIN_MISMATCH;
    case QTB_APPLICANT_LEGAL_ENTITY:
        if (!has_text(applicant_bin)) {
            return QTB_MATCH_UNKNOWN_APPLICANT;
        }
        if (!has_text(signer->bin)) {
            return QTB_MATCH_NO_IDENTITY;
        }
        if (strcmp(signer->bin, applicant_bin) != 0) {
            return QTB_MATCH_BIN_MISMATCH;
        }
        /* kz-pki.md §3.2: the right to sign is the EKU role (CEO .1, signing right .2). */
        if (!has_role(signer, "CEO") && !has_role(signer, "CAN_SIGN")) {
            return QTB_MATCH_ROLE_NOT_ALLOWED;
        }
        return QTB_MATCH_OK;
    default:
        return QTB_MATCH_UNKNOWN_APPLICANT;
    }
}

const char *qtb_match_code(qtb_match m)
{
    switch (m) {
    case QTB_MATCH_OK:
        return NULL;
    case QTB_MATCH_UNKNOWN_APPLICANT:
        return "APPLICANT_IDENTITY_MISSING";
    case QTB_MATCH_NO_IDENTITY:
        return "SIGNER_IDENTITY_MISSING";
    case QTB_MATCH_IIN_MISMATCH:
        return "SIGNER_IIN_MISMATCH";
    case QTB_MATCH_BIN_MISMATCH:
        return "SIGNER_BIN_MISMATCH";
    case QTB_MATCH_ROLE_NOT_ALLOWED:
        return "SIGNER_ROLE_NOT_ALLOWED";
    case QTB_MATCH_ORG_CERTIFICATE:
        return "SIGNER_ORGANISATION_CERTIFICATE";
    default:
        return "SIGNER_MISMATCH";
    }
}

const char *qtb_match_message(qtb_match m)
{
    switch (m) {
    case QTB_MATCH_OK:
        return "the signer matches the applicant";
    case QTB_MATCH_UNKNOWN_APPLICANT:
        return "the applicant's kind, IIN or BIN is missing";
    case QTB_MATCH_NO_IDENTITY:
        return "the signer's certificate names no IIN/BIN to compare with the applicant";
    case QTB_MATCH_IIN_MISMATCH:
        return "the signer's IIN is not the applicant's IIN";
    case QTB_MATCH_BIN_MISMATCH:
        return "the signer's BIN is not the organisation's BIN";
    case QTB_MATCH_ROLE_NOT_ALLOWED:
        return "the signer may not sign for the organisation (role is neither CEO nor CAN_SIGN)";
    case QTB_MATCH_ORG_CERTIFICATE:
        return "a person must sign with a personal certificate, not an organisation's";
    default:
        return "the signer does not match the applicant";
    }
}

/* ---- loading the folder -------------------------------------------------------------------- */

static int path_join(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= cap) {
        return QTB_FAIL(QTB_ETOOBIG, "path too long: %s/%s", a, b);
    }
    return 0;
}

/* A symlink is followed only when it resolves inside the inbox. */
bool qtb_pipeline_inside(const char *root, const char *path)
{
    if (root == NULL) {
        return false;
    }
    char *real = realpath(path, NULL);
    if (real == NULL) {
        return false;
    }
    size_t n = strlen(root);
    bool inside = strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
    free(real);
    return inside;
}

typedef struct file_list {
    char **names; /* relative, '/'-separated */
    size_t n;
} file_list;

static void file_list_dispose(file_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        qtb_free(l->names[i]);
    }
    qtb_free(l->names);
    memset(l, 0, sizeof(*l));
}

static int file_list_add(file_list *l, const char *prefix, const char *name)
{
    QTB_ENSURE(l->n < QTB_MAX_SUBMISSION_FILES, QTB_ETOOBIG, "more than %u files in the submission",
               QTB_MAX_SUBMISSION_FILES);
    char **names = qtb_realloc(l->names, (l->n + 1) * sizeof(*names));
    if (names == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    l->names = names;
    size_t len = strlen(prefix) + strlen(name) + 1;
    char *s = qtb_malloc(len);
    if (s == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    snprintf(s, len, "%s%s", prefix, name);
    l->names[l->n++] = s;
    return 0;
}

static int finding(qtb_submission_result *r, const char *severity, const char *code,
                   const char *fmt, ...) QTB_PRINTF(4, 5);

static int finding(qtb_submission_result *r, const char *severity, const char *code,
                   const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return qtb_submission_result_add_finding(r, severity, code, msg);
}

/* Decide once: the first blocking problem gives the outcome and the reason; an ERROR (could not
 * check) outranks a REJECTED (checked and refused). */
static int block(qtb_submission_result *r, qtb_outcome o, const char *code, const char *fmt, ...)
    QTB_PRINTF(4, 5);

static int block(qtb_submission_result *r, qtb_outcome o, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    QTB_TRY(qtb_submission_result_add_finding(r, "ERROR", code, msg));
    bool replace = r->reason == NULL || (o == QTB_OUTCOME_ERROR && r->outcome != QTB_OUTCOME_ERROR);
    if (!replace) {
        return 0;
    }
    size_t len = strlen(code) + strlen(msg) + 3;
    char *reason = qtb_malloc(len);
    if (reason == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    snprintf(reason, len, "%s: %s", code, msg);
    qtb_free(r->reason);
    r->reason = reason;
    r->outcome = o;
    return 0;
}

/* List one folder level: regular files (and symlinks to them inside the inbox). */
static int list_dir(file_list *l, qtb_submission_result *r, const qtb_pipeline_ctx *ctx,
                    const char *dir, const char *prefix, bool top)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return QTB_FAIL(QTB_EIO, "cannot list %s: %s", dir, strerror(errno));
    }
    int rc = 0;
    char path[PATH_MAX];
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                rc = QTB_FAIL(QTB_EIO, "cannot list %s: %s", dir, strerror(errno));
            }
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        QTB_TRY_GOTO(path_join(path, sizeof(path), dir, e->d_name));
        struct stat st;
        if (lstat(path, &st) != 0) {
            QTB_TRY_GOTO(block(r, QTB_OUTCOME_ERROR, "FILE_UNREADABLE", "%s%s: %s", prefix,
                               e->d_name, strerror(errno)));
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            if (!qtb_pipeline_inside(ctx->inbox_root, path) || stat(path, &st) != 0) {
                QTB_TRY_GOTO(finding(r, "WARNING", "SYMLINK_SKIPPED",
                                     "%s%s is a symbolic link leading outside the inbox; ignored",
                                     prefix, e->d_name));
                continue;
            }
        }
        if (S_ISDIR(st.st_mode) && top && strcmp(e->d_name, "attachments") == 0) {
            QTB_TRY_GOTO(list_dir(l, r, ctx, path, "attachments/", false));
        } else if (S_ISDIR(st.st_mode)) {
            QTB_TRY_GOTO(finding(r, "WARNING", "UNEXPECTED_FOLDER",
                                 "%s%s/ is not part of the "
                                 "submission format; ignored",
                                 prefix, e->d_name));
        } else if (S_ISREG(st.st_mode)) {
            rc = file_list_add(l, prefix, e->d_name);
            if (rc == QTB_ETOOBIG) {
                rc = block(r, QTB_OUTCOME_REJECTED, "TOO_MANY_FILES", "more than %u files",
                           QTB_MAX_SUBMISSION_FILES);
                break;
            }
            QTB_TRY_GOTO(rc);
        } else {
            QTB_TRY_GOTO(finding(r, "WARNING", "UNEXPECTED_ENTRY",
                                 "%s%s is not a regular file; ignored", prefix, e->d_name));
        }
    }
done:
    closedir(d);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *kind_of(const char *name)
{
    if (strcmp(name, "applicant.xml") == 0) {
        return "APPLICANT_XML";
    }
    if (strcmp(name, "questionnaire.pdf.cms") == 0) {
        return "QUESTIONNAIRE_CMS";
    }
    if (strcmp(name, "auth.xml") == 0) {
        return "AUTH_XML";
    }
    if (strncmp(name, "attachments/", 12) == 0 && ends_with(name, ".pdf")) {
        return "ATTACHMENT";
    }
    if (strncmp(name, "attachments/", 12) == 0 && ends_with(name, ".pdf.cms")) {
        return "ATTACHMENT_CMS";
    }
    return "OTHER";
}

/* One file's part of the content hash: name, NUL, 8-byte big-endian size, SHA-256 of the bytes
 * (each file is hashed once; its digest is also the document's). */
static int hash_file(EVP_MD_CTX *h, const char *name, size_t len, const unsigned char digest[32])
{
    unsigned char size[8];
    for (int i = 0; i < 8; i++) {
        size[i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    }
    if (!EVP_DigestUpdate(h, name, strlen(name) + 1) || !EVP_DigestUpdate(h, size, 8) ||
        !EVP_DigestUpdate(h, digest, 32)) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256");
    }
    return 0;
}

/* A file not taken into the submission: its name still enters the content hash (so the same
 * problem is not re-checked on every run) and the submission gets `o` with `code`. */
static int file_refused(qtb_submission_result *out, EVP_MD_CTX *h, const char *name, qtb_outcome o,
                        const char *code, const char *why)
{
    static const unsigned char none[32] = {0};
    QTB_TRY(hash_file(h, name, 0, none));
    return block(out, o, code, "%s: %s", name, why);
}

/* The document just added to `out`: its part of the content hash, and a note when its name is
 * not part of the submission format. */
static int file_taken(qtb_submission_result *out, EVP_MD_CTX *h)
{
    const qtb_sub_document *doc = &out->documents[out->ndocuments - 1];
    QTB_TRY(hash_file(h, doc->name, doc->len, doc->sha256));
    if (strcmp(doc->kind, "OTHER") == 0) {
        QTB_TRY(finding(out, "INFO", "UNEXPECTED_FILE",
                        "%s is not part of the submission format (recorded, not checked)",
                        doc->name));
    }
    return 0;
}

static int load_files(qtb_submission_result *out, EVP_MD_CTX *h, const file_list *l,
                      const char *dir)
{
    size_t total = 0;
    char path[PATH_MAX];
    for (size_t i = 0; i < l->n; i++) {
        const char *name = l->names[i];
        unsigned char *data = NULL;
        size_t len = 0;
        QTB_TRY(path_join(path, sizeof(path), dir, name));
        int rc = qtb_file_read(&data, &len, path, QTB_MAX_SUBMISSION_FILE);
        if (rc == QTB_ENOMEM) {
            return rc;
        }
        if (rc == 0 && qtb_add_overflows(total, len, &total)) {
            rc = QTB_ETOOBIG;
        }
        if (rc == 0 && total > QTB_MAX_SUBMISSION_BYTES) {
            rc = QTB_FAIL(QTB_ETOOBIG, "the submission is over %u bytes", QTB_MAX_SUBMISSION_BYTES);
        }
        if (rc < 0) {
            qtb_free(data);
            QTB_TRY(file_refused(
                out, h, name, rc == QTB_ETOOBIG ? QTB_OUTCOME_REJECTED : QTB_OUTCOME_ERROR,
                rc == QTB_ETOOBIG ? "FILE_TOO_BIG" : "FILE_UNREADABLE", qtb_error_last()->message));
            continue;
        }
        QTB_TRY(qtb_submission_result_take_document(out, name, kind_of(name), data, len));
        QTB_TRY(file_taken(out, h));
    }
    return 0;
}

int qtb_pipeline_load(qtb_submission_result *out, const qtb_pipeline_ctx *ctx, const char *dir,
                      const char *key)
{
    QTB_ASSERT_ARG(out != NULL && ctx != NULL && dir != NULL && key != NULL);
    QTB_ASSERT_ARG(ctx->version == QTB_PIPELINE_CTX_VERSION);
    int rc = 0;
    file_list l = {0};
    EVP_MD_CTX *h = NULL;
    out->key = qtb_strdup(key);
    if (out->key == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    out->outcome = QTB_OUTCOME_ACCEPTED; /* until a check says otherwise */
    QTB_TRY_GOTO(list_dir(&l, out, ctx, dir, "", true));
    if (l.n > 0) {
        qsort(l.names, l.n, sizeof(*l.names), cmp_names);
    }
    h = EVP_MD_CTX_new();
    if (h == NULL || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "SHA-256 context");
        goto done;
    }
    QTB_TRY_GOTO(load_files(out, h, &l, dir));
    unsigned int len = 0;
    if (!EVP_DigestFinal_ex(h, out->content_hash, &len) || len != 32) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256");
    }
done:
    EVP_MD_CTX_free(h);
    file_list_dispose(&l);
    return rc;
}

static bool safe_member_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= PATH_MAX || name[0] == '/' || name[n - 1] == '/') {
        return false;
    }
    const char *p = name;
    while (*p != '\0') {
        const char *slash = strchr(p, '/');
        size_t part = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (part == 0 || (part == 1 && p[0] == '.') || (part == 2 && p[0] == '.' && p[1] == '.')) {
            return false;
        }
        for (size_t i = 0; i < part; i++) {
            if ((unsigned char)p[i] < 0x20 || p[i] == '\\') {
                return false;
            }
        }
        p += part + (slash != NULL ? 1 : 0);
    }
    return true;
}

static int cmp_files(const void *a, const void *b)
{
    return strcmp(((const qtb_sub_file *)a)->name, ((const qtb_sub_file *)b)->name);
}

int qtb_pipeline_load_files(qtb_submission_result *out, const char *key, const qtb_sub_file *files,
                            size_t n)
{
    QTB_ASSERT_ARG(out != NULL && key != NULL && (files != NULL || n == 0));
    QTB_ENSURE(n <= QTB_MAX_SUBMISSION_FILES, QTB_ETOOBIG, "a submission has more than %u files",
               (unsigned)QTB_MAX_SUBMISSION_FILES);
    int rc = 0;
    EVP_MD_CTX *h = NULL;
    size_t total = 0;
    qtb_sub_file *sorted = qtb_calloc(n > 0 ? n : 1, sizeof(*sorted));
    if (sorted == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (files[i].name == NULL || !safe_member_name(files[i].name) ||
            (files[i].data == NULL && files[i].len > 0)) {
            rc = QTB_FAIL(QTB_EUSAGE, "file %zu has no valid relative name", i);
            goto done;
        }
        sorted[i] = files[i];
    }
    if (n > 0) {
        qsort(sorted, n, sizeof(*sorted), cmp_files);
    }
    for (size_t i = 1; i < n; i++) {
        if (strcmp(sorted[i - 1].name, sorted[i].name) == 0) {
            rc = QTB_FAIL(QTB_EUSAGE, "file %s is given twice", sorted[i].name);
            goto done;
        }
    }
    out->key = qtb_strdup(key);
    if (out->key == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    out->outcome = QTB_OUTCOME_ACCEPTED;
    h = EVP_MD_CTX_new();
    if (h == NULL || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
        rc = QTB_FAIL_SSL(QTB_ENOMEM, "SHA-256 context");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = sorted[i].name;
        bool too_big = sorted[i].len > QTB_MAX_SUBMISSION_FILE ||
                       qtb_add_overflows(total, sorted[i].len, &total) ||
                       total > QTB_MAX_SUBMISSION_BYTES;
        if (too_big) {
            QTB_TRY_GOTO(file_refused(out, h, name, QTB_OUTCOME_REJECTED, "FILE_TOO_BIG",
                                      "the file or the submission is too big"));
            continue;
        }
        QTB_TRY_GOTO(qtb_submission_result_add_document(out, name, kind_of(name), sorted[i].data,
                                                        sorted[i].len));
        QTB_TRY_GOTO(file_taken(out, h));
    }
    unsigned int len = 0;
    if (!EVP_DigestFinal_ex(h, out->content_hash, &len) || len != 32) {
        rc = QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256");
    }
done:
    EVP_MD_CTX_free(h);
    qtb_free(sorted);
    return rc;
}

/* ---- applicant.xml ----------------------------------------------------------------------- */

/* Parse and validate applicant.xml (schemas/applicant.xsd) and record who must have signed:
 * a natural person's own IIN, an ИП's IIN, or a legal entity's BIN. */
static int read_applicant(qtb_applicant **out, qtb_submission_result *r,
                          const qtb_sub_document *doc)
{
    *out = NULL;
    qtb_applicant *a = NULL;
    int rc = qtb_applicant_parse(&a, doc->data, doc->len, NULL);
    if (rc == QTB_ENOMEM) {
        return rc;
    }
    if (rc < 0) {
        return block(r, QTB_OUTCOME_REJECTED, "APPLICANT_INVALID", "applicant.xml: %s",
                     qtb_error_last()->message);
    }
    r->applicant_kind = qtb_applicant_get_kind(a);
    const char *org = qtb_applicant_org_idnum(a);
    const char *user = qtb_applicant_user_iin(a);
    const char *iin = r->applicant_kind == QTB_APPLICANT_ENTREPRENEUR ? org : user;
    const char *bin = r->applicant_kind == QTB_APPLICANT_LEGAL_ENTITY ? org : NULL;
    const char *app_id = qtb_applicant_application_id(a);
    r->applicant_iin = iin != NULL ? qtb_strdup(iin) : NULL;
    r->applicant_bin = bin != NULL ? qtb_strdup(bin) : NULL;
    r->application_id = app_id != NULL ? qtb_strdup(app_id) : NULL;
    if ((iin != NULL && r->applicant_iin == NULL) || (bin != NULL && r->applicant_bin == NULL) ||
        (app_id != NULL && r->application_id == NULL)) {
        qtb_applicant_free(a);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    *out = a;
    return 0;
}

/* The questionnaire module's pre-checks become findings for the reviewer; they do not reject
 * (returning an application for rework is the reviewer's decision). */
static int precheck(qtb_submission_result *r, const qtb_applicant *a, int64_t at)
{
    time_t t = (time_t)(at != 0 ? at : (int64_t)time(NULL));
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        return QTB_FAIL(QTB_EGENERIC, "cannot convert the validation time");
    }
    qtb_check_options o = QTB_CHECK_OPTIONS_INIT;
    o.today_year = tm.tm_year + 1900;
    o.today_month = tm.tm_mon + 1;
    o.today_day = tm.tm_mday;
    qtb_findings *f = NULL;
    QTB_TRY(qtb_applicant_check(&f, a, &o));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < qtb_findings_count(f); i++) {
        const qtb_finding *x = qtb_findings_get(f, i);
        rc = finding(r, x->severity == QTB_FINDING_ERROR ? "ERROR" : "WARNING", x->code, "%s: %s",
                     x->field != NULL ? x->field : "", x->message != NULL ? x->message : "");
    }
    qtb_findings_free(f);
    return rc;
}

/* ---- verification -------------------------------------------------------------------------- */

static long find_doc(const qtb_submission_result *r, const char *name)
{
    for (size_t i = 0; i < r->ndocuments; i++) {
        if (strcmp(r->documents[i].name, name) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static char *json_str_dup(json_t *o, const char *const *keys)
{
    for (size_t i = 0; keys[i] != NULL; i++) {
        const char *v = json_string_value(json_object_get(o, keys[i]));
        if (v != NULL) {
            return qtb_strdup(v);
        }
    }
    return NULL;
}

/* One signer row from the report's per-signature object. The report contract (cms/xml helpers):
 * signer{iin,bin,roles[],commonName,fingerprint (SHA-256 of the certificate)}, signingTime,
 * bestSignatureTime (as the cms module writes them; a few alternative spellings are accepted).
 * Missing fields stay NULL. */
static int fill_signer(qtb_sub_signer *g, const qtb_sig_report *sr)
{
    static const char *const iin[] = {"iin", NULL};
    static const char *const bin[] = {"bin", NULL};
    static const char *const name[] = {"commonName", "name", "cn", NULL};
    static const char *const fp[] = {"sha256", "fingerprint", NULL};
    static const char *const fp_top[] = {"certSha256", "certificateSha256", NULL};
    static const char *const st[] = {"signingTime", "signing_time", NULL};
    static const char *const bst[] = {"bestSignatureTime", "best_signature_time", NULL};
    json_t *signer = json_object_get(sr->obj, "signer");
    g->indication = (int)sr->indication;
    g->subindication = (int)sr->sub;
    g->message = qtb_strdup(sr->message != NULL ? sr->message : "");
    g->iin = json_str_dup(signer, iin);
    g->bin = json_str_dup(signer, bin);
    g->name = json_str_dup(signer, name);
    json_t *roles = json_object_get(signer, "roles");
    g->roles_json = json_is_array(roles) ? json_dumps(roles, JSON_COMPACT) : NULL;
    if (g->roles_json != NULL) {
        char *copy = qtb_strdup(g->roles_json);
        free(g->roles_json);
        g->roles_json = copy;
    }
    g->cert_sha256 = json_str_dup(signer, fp);
    if (g->cert_sha256 == NULL) {
        g->cert_sha256 = json_str_dup(json_object_get(sr->obj, "certificate"), fp);
    }
    if (g->cert_sha256 == NULL) {
        g->cert_sha256 = json_str_dup(sr->obj, fp_top);
    }
    g->signing_time = json_str_dup(sr->obj, st);
    g->best_signature_time = json_str_dup(sr->obj, bst);
    char *text = json_dumps(sr->obj, JSON_COMPACT | JSON_SORT_KEYS);
    g->report_json = text != NULL ? qtb_strdup(text) : NULL;
    free(text);
    if (g->message == NULL || g->report_json == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    return 0;
}

static qtb_sub_validation *add_validation(qtb_submission_result *r)
{
    qtb_sub_validation *v =
        qtb_realloc(r->validations, (r->nvalidations + 1) * sizeof(*r->validations));
    if (v == NULL) {
        return NULL;
    }
    r->validations = v;
    v = &r->validations[r->nvalidations++];
    memset(v, 0, sizeof(*v));
    v->content_document = -1;
    return v;
}

static int fill_validation(qtb_sub_validation *v, const qtb_report *rep)
{
    v->indication = (int)qtb_report_indication(rep);
    v->subindication = (int)qtb_report_subindication(rep);
    char *json = NULL;
    QTB_TRY(qtb_report_to_json(&json, rep));
    v->report_json = qtb_strdup(json);
    qtb_string_free(json);
    if (v->report_json == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (rep->doc_message != NULL) {
        v->message = qtb_strdup(rep->doc_message);
    } else if (rep->nsigs > 0 && rep->sigs[0].message != NULL) {
        v->message = qtb_strdup(rep->sigs[0].message);
    }
    if (rep->nsigs > 0) {
        v->signers = qtb_calloc(rep->nsigs, sizeof(*v->signers));
        if (v->signers == NULL) {
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
        v->nsigners = rep->nsigs;
        for (size_t i = 0; i < rep->nsigs; i++) {
            QTB_TRY(fill_signer(&v->signers[i], &rep->sigs[i]));
        }
    }
    return 0;
}

int qtb_pipeline_run_verifier(qtb_sub_validation *v, bool xml, const unsigned char *sig,
                              size_t sig_len, const unsigned char *content, size_t content_len,
                              const qtb_trust *trust, qtb_cert_cache *cache, int64_t at,
                              unsigned flags)
{
    v->validated_at = at != 0 ? at : (int64_t)time(NULL);
    qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
    o.flags = flags;
    o.trust = trust;
    o.cert_cache = cache;
    o.at = at;
    o.content = content;
    o.content_len = content_len;
    qtb_report *rep = NULL;
    int rc = xml ? qtb_xml_verify(&rep, sig, sig_len, &o) : qtb_cms_verify(&rep, sig, sig_len, &o);
    if (rc == QTB_ENOMEM) {
        qtb_report_free(rep);
        return rc;
    }
    if (rc < 0 || rep == NULL) {
        v->indication = QTB_INDETERMINATE;
        v->error = qtb_strdup(rc < 0 ? qtb_error_last()->message : "verifier returned no report");
        qtb_report_free(rep);
        return v->error != NULL ? 0 : QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    rc = fill_validation(v, rep);
    qtb_report_free(rep);
    return rc;
}

/* Verify one signature document of the submission and record it as a validation. */
static int verify_doc(qtb_sub_validation **vout, qtb_submission_result *r,
                      const qtb_pipeline_ctx *ctx, long doc, long content, bool xml)
{
    qtb_sub_validation *v = add_validation(r);
    if (v == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    *vout = v;
    v->document = (size_t)doc;
    v->content_document = content;
    const qtb_sub_document *d = &r->documents[doc];
    const qtb_sub_document *c = content >= 0 ? &r->documents[content] : NULL;
    return qtb_pipeline_run_verifier(v, xml, d->data, d->len, c ? c->data : NULL, c ? c->len : 0,
                                     ctx->trust, ctx->cert_cache, ctx->at, ctx->verify_flags);
}

static int check_verdict(qtb_submission_result *r, const qtb_sub_validation *v, const char *what)
{
    if (v->error != NULL) {
        return block(r, QTB_OUTCOME_ERROR, "VERIFIER_ERROR", "%s could not be verified: %s", what,
                     v->error);
    }
    if (v->indication != QTB_TOTAL_PASSED) {
        const char *sub = qtb_subindication_name((qtb_subindication)v->subindication);
        return block(r, QTB_OUTCOME_REJECTED, "SIGNATURE_INVALID", "%s: %s%s%s%s%s", what,
                     qtb_indication_name((qtb_indication)v->indication), sub ? "/" : "",
                     sub ? sub : "", v->message ? ": " : "", v->message ? v->message : "");
    }
    return 0;
}

/* At least one passing signer must match the applicant; otherwise the first mismatch is the
 * reason. */
static int check_signers(qtb_submission_result *r, const qtb_sub_validation *v, const char *what)
{
    qtb_match first = QTB_MATCH_NO_IDENTITY;
    bool any = false;
    for (size_t i = 0; i < v->nsigners; i++) {
        const qtb_sub_signer *g = &v->signers[i];
        if (g->indication != QTB_TOTAL_PASSED) {
            continue;
        }
        const char *roles[16];
        size_t nroles = 0;
        json_t *arr = g->roles_json != NULL ? json_loads(g->roles_json, 0, NULL) : NULL;
        size_t k;
        json_t *role;
        json_array_foreach(arr, k, role)
        {
            if (nroles < QTB_ARRAY_LEN(roles) && json_is_string(role)) {
                roles[nroles++] = json_string_value(role);
            }
        }
        qtb_signer_id id = {g->iin, g->bin, roles, nroles};
        qtb_match m = qtb_match_signer(r->applicant_kind, r->applicant_iin, r->applicant_bin, &id);
        json_decref(arr);
        if (m == QTB_MATCH_OK) {
            return 0;
        }
        if (!any) {
            first = m;
            any = true;
        }
    }
    return block(r, QTB_OUTCOME_REJECTED, qtb_match_code(first), "%s: %s", what,
                 qtb_match_message(first));
}

typedef enum cms_shape {
    SHAPE_DETACHED = 0,       /* no eContent (or unparseable: the verifier will say why) */
    SHAPE_ATTACHED_SAME = 1,  /* eContent present and equal to the regenerated PDF */
    SHAPE_ATTACHED_OTHER = 2, /* eContent present and different */
} cms_shape;

/* Compare eContent, chunk by chunk (BER segments), with the regenerated PDF. */
typedef struct same_ctx {
    const unsigned char *want;
    size_t len, off;
    bool same;
} same_ctx;

static int same_chunk(void *vctx, const unsigned char *p, size_t n)
{
    same_ctx *c = vctx;
    if (!c->same || n > c->len - c->off || CRYPTO_memcmp(p, c->want + c->off, n) != 0) {
        c->same = false;
        return 0;
    }
    c->off += n;
    return 0;
}

/* RFC 5652 §5.2: an attached SignedData carries eContent. The questionnaire may come either way;
 * attached, its content must be exactly the regenerated PDF. Read with the verifier's own DER
 * parser: no certificate is decoded here. */
static int cms_shape_of(cms_shape *out, const qtb_sub_document *sig, const qtb_sub_document *pdf)
{
    *out = SHAPE_DETACHED;
    const unsigned char *der = NULL;
    size_t der_len = 0;
    bool owned = false;
    qtb_input_form form;
    char label[64];
    if (qtb_decode_binary_input(&der, &der_len, &owned, &form, label, sizeof(label), sig->data,
                                sig->len) < 0) {
        qtb_error_clear();
        return 0;
    }
    int rc = 0;
    qtb_cms_raw *cms = qtb_malloc(sizeof(*cms));
    if (cms == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
    } else if (qtb_cms_parse(cms, der, der_len) < 0) {
        qtb_error_clear(); /* unparseable: the verifier will say why */
    } else if (cms->has_econtent) {
        same_ctx c = {pdf->data, pdf->len, 0, true};
        if (qtb_ber_octets(&cms->econtent, 0, same_chunk, &c) < 0) {
            qtb_error_clear();
            c.same = false;
        }
        *out = c.same && c.off == c.len ? SHAPE_ATTACHED_SAME : SHAPE_ATTACHED_OTHER;
    }
    qtb_free(cms);
    if (owned) {
        qtb_free((void *)der);
    }
    return rc;
}

static int check_questionnaire(qtb_submission_result *r, const qtb_pipeline_ctx *ctx,
                               const qtb_applicant *a)
{
    long cms = find_doc(r, "questionnaire.pdf.cms");
    if (cms < 0) {
        return block(r, QTB_OUTCOME_REJECTED, "MISSING_QUESTIONNAIRE_SIGNATURE",
                     "questionnaire.pdf.cms is missing");
    }
    /* The signature must cover exactly the PDF regenerated from applicant.xml (rendering is
     * reproducible byte for byte, see pdf/README.md). */
    unsigned char *pdf = NULL;
    size_t len = 0;
    int rc = qtb_questionnaire_render(&pdf, &len, a, NULL);
    if (rc == QTB_ENOMEM) {
        return rc;
    }
    if (rc < 0) {
        return block(r, QTB_OUTCOME_ERROR, "QUESTIONNAIRE_RENDER_FAILED",
                     "the questionnaire PDF could not be regenerated: %s",
                     qtb_error_last()->message);
    }
    QTB_TRY(
        qtb_submission_result_take_document(r, "questionnaire.pdf", "QUESTIONNAIRE_PDF", pdf, len));
    long regenerated = (long)r->ndocuments - 1;
    cms_shape shape = SHAPE_DETACHED;
    QTB_TRY(cms_shape_of(&shape, &r->documents[cms], &r->documents[regenerated]));
    /* Detached: the regenerated PDF is the content. Attached: the CMS carries it (and the
     * verifier refuses a second copy); it was compared with the regeneration above. */
    qtb_sub_validation *v = NULL;
    QTB_TRY(verify_doc(&v, r, ctx, cms, shape == SHAPE_DETACHED ? regenerated : -1, false));
    if (shape == SHAPE_ATTACHED_OTHER) {
        QTB_TRY(block(r, QTB_OUTCOME_REJECTED, "QUESTIONNAIRE_MISMATCH",
                      "questionnaire.pdf.cms carries a document that is not the questionnaire "
                      "regenerated from applicant.xml"));
    }
    QTB_TRY(check_verdict(r, v, "questionnaire.pdf.cms"));
    if (v->error == NULL && v->indication == QTB_TOTAL_PASSED) {
        QTB_TRY(check_signers(r, v, "questionnaire.pdf.cms"));
    }
    return 0;
}

static int check_auth(qtb_submission_result *r, const qtb_pipeline_ctx *ctx)
{
    long auth = find_doc(r, "auth.xml");
    if (auth < 0) {
        return 0;
    }
    qtb_sub_validation *v = NULL;
    QTB_TRY(verify_doc(&v, r, ctx, auth, -1, true));
    QTB_TRY(check_verdict(r, v, "auth.xml"));
    if (v->error == NULL && v->indication == QTB_TOTAL_PASSED) {
        QTB_TRY(check_signers(r, v, "auth.xml"));
    }
    return 0;
}

/* Attachments are issued by others (registration certificate, licence): their signatures must
 * be valid, but their signer is not the applicant. */
static int check_attachments(qtb_submission_result *r, const qtb_pipeline_ctx *ctx)
{
    size_t n = r->ndocuments;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r->documents[i].kind, "ATTACHMENT_CMS") != 0) {
            continue;
        }
        char pdf_name[PATH_MAX];
        snprintf(pdf_name, sizeof(pdf_name), "%s", r->documents[i].name);
        pdf_name[strlen(pdf_name) - 4] = '\0'; /* strip ".cms" */
        long pdf = find_doc(r, pdf_name);
        if (pdf < 0) {
            QTB_TRY(block(r, QTB_OUTCOME_REJECTED, "ATTACHMENT_MISSING",
                          "%s signs %s, which is missing", r->documents[i].name, pdf_name));
            continue;
        }
        qtb_sub_validation *v = NULL;
        QTB_TRY(verify_doc(&v, r, ctx, (long)i, pdf, false));
        QTB_TRY(check_verdict(r, v, r->documents[i].name));
    }
    return 0;
}

int qtb_pipeline_verify(qtb_submission_result *out, const qtb_pipeline_ctx *ctx)
{
    QTB_ASSERT_ARG(out != NULL && ctx != NULL && out->key != NULL);
    QTB_ASSERT_ARG(ctx->version == QTB_PIPELINE_CTX_VERSION);
    if (out->reason != NULL) {
        return 0; /* loading already decided (unreadable or oversize files) */
    }
    long app = find_doc(out, "applicant.xml");
    if (app < 0) {
        return block(out, QTB_OUTCOME_REJECTED, "MISSING_APPLICANT", "applicant.xml is missing");
    }
    qtb_applicant *a = NULL;
    QTB_TRY(read_applicant(&a, out, &out->documents[app]));
    if (a == NULL) {
        return 0; /* rejected: applicant.xml is not valid */
    }
    int rc = 0;
    QTB_TRY_GOTO(precheck(out, a, ctx->at));
    QTB_TRY_GOTO(check_questionnaire(out, ctx, a));
    QTB_TRY_GOTO(check_auth(out, ctx));
    QTB_TRY_GOTO(check_attachments(out, ctx));
done:
    qtb_applicant_free(a);
    return rc;
}

int qtb_pipeline_check_submission(qtb_submission_result *out, const qtb_pipeline_ctx *ctx,
                                  const char *dir, const char *key)
{
    QTB_TRY(qtb_pipeline_load(out, ctx, dir, key));
    return qtb_pipeline_verify(out, ctx);
}
