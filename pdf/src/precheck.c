/*
 * Pre-checks: the mistakes a compliance officer returns an application for, found before a
 * person has to. Each is a finding (code, severity, field, message in Russian or Kazakh), never
 * an error: the data parsed, it is just wrong.
 *
 * "Today" is an explicit input (options): the same data and the same day give the same findings.
 */
#include <jansson.h>
#include <stdio.h>

#include <qtb/iin.h>

#include "applicant_int.h"

struct qtb_findings {
    size_t n, cap;
    qtb_finding *items;
};

typedef struct check_ctx {
    qtb_findings *f;
    qtb_lang lang;
    qtb_date today;
    int rc; /* first allocation failure; later adds are skipped */
} check_ctx;

/* Replace {1} and {2} in a message template (no printf formats built at run time). */
static char *expand(const char *tmpl, const char *a1, const char *a2)
{
    qtb_buf b;
    qtb_buf_init(&b, 4096);
    int rc = 0;
    for (const char *p = tmpl; *p != '\0' && rc == 0; p++) {
        if (p[0] == '{' && (p[1] == '1' || p[1] == '2') && p[2] == '}') {
            const char *arg = p[1] == '1' ? a1 : a2;
            rc = qtb_buf_puts(&b, arg != NULL ? arg : "");
            p += 2;
        } else {
            rc = qtb_buf_put(&b, p, 1);
        }
    }
    if (rc == 0) {
        rc = qtb_buf_cstr(&b);
    }
    if (rc != 0) {
        qtb_buf_dispose(&b);
        return NULL;
    }
    return (char *)qtb_buf_detach(&b, NULL);
}

static void add(check_ctx *c, qtb_finding_severity sev, const char *code, const char *field,
                const char *ru, const char *kk, const char *a1, const char *a2)
{
    if (c->rc != 0) {
        return;
    }
    qtb_findings *f = c->f;
    if (f->n == f->cap) {
        size_t cap = f->cap == 0 ? 8 : f->cap * 2;
        size_t bytes = 0;
        if (qtb_mul_overflows(cap, sizeof(qtb_finding), &bytes)) {
            c->rc = QTB_FAIL(QTB_ENOMEM, "too many findings");
            return;
        }
        qtb_finding *items = qtb_realloc(f->items, bytes);
        if (items == NULL) {
            c->rc = QTB_FAIL(QTB_ENOMEM, "out of memory recording a finding");
            return;
        }
        f->items = items;
        f->cap = cap;
    }
    char *msg = expand(c->lang == QTB_LANG_KK ? kk : ru, a1, a2);
    if (msg == NULL) {
        c->rc = QTB_FAIL(QTB_ENOMEM, "out of memory recording a finding");
        return;
    }
    f->items[f->n++] = (qtb_finding){code, sev, field, msg};
}

#define ERR QTB_FINDING_ERROR
#define WARN QTB_FINDING_WARNING

static void fmt_date(char out[16], qtb_date d)
{
    snprintf(out, 16, "%02d.%02d.%04d", d.d, d.m, d.y);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}
static bool is_alnum_upper(char c)
{
    return is_digit(c) || is_upper(c);
}

static bool all_digits(const char *s, size_t n)
{
    if (s == NULL || strlen(s) != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            return false;
        }
    }
    return true;
}

/* ---- identification numbers ---------------------------------------------------------------- */

static void check_org_idnum(check_ctx *c, const qtb_applicant *a)
{
    const char *field = "organisation/idNumber";
    const char *v = a->org_idnum;
    qtb_idnum_status st = qtb_idnum_check(v);
    if (st == QTB_IDNUM_BAD_FORMAT) {
        add(c, ERR, "ORG_IDNUM_FORMAT", field,
            "БИН/ИИН организации «{1}» должен состоять из 12 цифр",
            "Ұйымның БСН/ЖСН «{1}» 12 цифрдан тұруы тиіс", v, NULL);
        return;
    }
    if (st != QTB_IDNUM_VALID) {
        add(c, ERR, "ORG_IDNUM_CHECKSUM", field,
            "Контрольная цифра БИН/ИИН организации «{1}» неверна",
            "Ұйымның БСН/ЖСН «{1}» бақылау саны қате", v, NULL);
        return;
    }
    bool is_bin = qtb_idnum_is_bin(v);
    if (a->kind == QTB_APPLICANT_LEGAL_ENTITY && !is_bin) {
        add(c, ERR, "ORG_IDNUM_KIND", field, "Для юридического лица указан ИИН «{1}», а не БИН",
            "Заңды тұлға үшін БСН емес, ЖСН «{1}» көрсетілген", v, NULL);
    } else if (a->kind == QTB_APPLICANT_ENTREPRENEUR && is_bin) {
        add(c, ERR, "ORG_IDNUM_KIND", field,
            "Для индивидуального предпринимателя указан БИН «{1}», а не ИИН",
            "Жеке кәсіпкер үшін ЖСН емес, БСН «{1}» көрсетілген", v, NULL);
    }
}

static void check_user_iin(check_ctx *c, const qtb_applicant *a)
{
    const char *v = a->user_iin;
    qtb_idnum_status st = qtb_idnum_check(v);
    if (st == QTB_IDNUM_BAD_FORMAT) {
        add(c, ERR, "USER_IIN_FORMAT", "user/iin", "ИИН «{1}» должен состоять из 12 цифр",
            "ЖСН «{1}» 12 цифрдан тұруы тиіс", v, NULL);
        return;
    }
    if (st != QTB_IDNUM_VALID) {
        add(c, ERR, "USER_IIN_CHECKSUM", "user/iin", "Контрольная цифра ИИН «{1}» неверна",
            "ЖСН «{1}» бақылау саны қате", v, NULL);
        return;
    }
    qtb_iin_info info;
    if (qtb_iin_decode(&info, v) != 0 || info.year == 0) {
        add(c, ERR, "USER_IIN_BIRTHDATE", "user/iin",
            "ИИН «{1}» не содержит даты рождения и пола физического лица",
            "ЖСН «{1}» жеке тұлғаның туған күні мен жынысын қамтымайды", v, NULL);
        return;
    }
    qtb_date iin_birth = {info.year, info.month, info.day};
    if (qtb_date_cmp(iin_birth, a->user_birth) != 0) {
        char d1[16], d2[16];
        fmt_date(d1, iin_birth);
        fmt_date(d2, a->user_birth);
        add(c, ERR, "USER_IIN_BIRTHDATE", "user/birthDate",
            "Дата рождения в ИИН ({1}) не совпадает с указанной ({2})",
            "ЖСН-дағы туған күні ({1}) көрсетілген күнмен ({2}) сәйкес келмейді", d1, d2);
    }
    bool male = a->user_sex != NULL && strcmp(a->user_sex, "male") == 0;
    if ((info.sex == QTB_SEX_MALE) != male) {
        add(c, ERR, "USER_IIN_SEX", "user/sex",
            "Пол, закодированный в ИИН «{1}», не совпадает с указанным",
            "ЖСН «{1}» ішіндегі жынысы көрсетілген жынысқа сәйкес келмейді", v, NULL);
    }
}

/* ---- dates ---------------------------------------------------------------------------------- */

static void check_licence(check_ctx *c, const qtb_applicant *a)
{
    if (!a->has_licence) {
        return;
    }
    char iss[16], exp[16];
    fmt_date(iss, a->lic_issue);
    fmt_date(exp, a->lic_expiry);
    if (qtb_date_cmp(a->lic_expiry, a->lic_issue) <= 0) {
        add(c, ERR, "LICENCE_DATES", "organisation/licence/expiryDate",
            "Срок действия лицензии ({1}) не позже даты её выдачи ({2})",
            "Лицензияның қолданылу мерзімі ({1}) берілген күнінен ({2}) кейін емес", exp, iss);
    } else if (qtb_date_cmp(a->lic_expiry, c->today) < 0) {
        add(c, ERR, "LICENCE_EXPIRED", "organisation/licence/expiryDate",
            "Срок действия лицензии истёк {1}", "Лицензияның қолданылу мерзімі {1} өтіп кеткен",
            exp, NULL);
    }
    if (qtb_date_cmp(a->lic_issue, c->today) > 0) {
        add(c, WARN, "LICENCE_NOT_YET_ISSUED", "organisation/licence/issueDate",
            "Дата выдачи лицензии ({1}) ещё не наступила",
            "Лицензияның берілген күні ({1}) әлі келмеген", iss, NULL);
    }
}

static void check_id_document(check_ctx *c, const qtb_applicant *a)
{
    char start[16], end[16];
    fmt_date(start, a->id_start);
    fmt_date(end, a->id_end);
    if (qtb_date_cmp(a->id_end, a->id_start) <= 0) {
        add(c, ERR, "IDDOC_DATES", "identityDocument/endDate",
            "Дата окончания документа, удостоверяющего личность ({1}), не позже даты выдачи ({2})",
            "Жеке басын куәландыратын құжаттың аяқталу күні ({1}) берілген күнінен ({2}) кейін "
            "емес",
            end, start);
    } else if (qtb_date_cmp(a->id_end, c->today) < 0) {
        add(c, ERR, "IDDOC_EXPIRED", "identityDocument/endDate",
            "Срок действия документа, удостоверяющего личность, истёк {1}",
            "Жеке басын куәландыратын құжаттың мерзімі {1} өтіп кеткен", end, NULL);
    }
    if (qtb_date_cmp(a->id_start, c->today) > 0) {
        add(c, WARN, "IDDOC_NOT_YET_ISSUED", "identityDocument/startDate",
            "Дата выдачи документа, удостоверяющего личность ({1}), ещё не наступила",
            "Жеке басын куәландыратын құжаттың берілген күні ({1}) әлі келмеген", start, NULL);
    }
}

/* ---- bank details --------------------------------------------------------------------------- */

/* ISO 13616: move the first four characters to the end, letters to 10..35, mod 97 must be 1. */
static int iban_mod97(const char *iban, size_t len)
{
    int rem = 0;
    for (size_t k = 0; k < len; k++) {
        char ch = iban[(k + 4) % len];
        int v = is_digit(ch) ? ch - '0' : ch - 'A' + 10;
        rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
    }
    return rem;
}

static void check_iban(check_ctx *c, const qtb_applicant *a)
{
    const char *v = a->iban;
    size_t len = strlen(v);
    /* A Kazakh IBAN: KZ, 2 check digits, 3-digit bank code, 13-character account: 20 in all. */
    bool ok = len == 20 && v[0] == 'K' && v[1] == 'Z' && is_digit(v[2]) && is_digit(v[3]);
    for (size_t i = 4; ok && i < len; i++) {
        ok = is_alnum_upper(v[i]);
    }
    if (!ok) {
        add(c, ERR, "IBAN_FORMAT", "bank/iban",
            "IBAN «{1}» не является казахстанским: нужно KZ и 18 знаков (цифры и заглавные "
            "латинские буквы)",
            "IBAN «{1}» қазақстандық емес: KZ және 18 таңба (цифрлар мен бас латын әріптері) "
            "қажет",
            v, NULL);
        return;
    }
    if (iban_mod97(v, len) != 1) {
        add(c, ERR, "IBAN_CHECKSUM", "bank/iban",
            "Контрольные цифры IBAN «{1}» неверны (проверка mod 97)",
            "IBAN «{1}» бақылау сандары қате (mod 97 тексеруі)", v, NULL);
    }
}

static void check_bic(check_ctx *c, const qtb_applicant *a)
{
    const char *v = a->bic;
    size_t len = strlen(v);
    /* ISO 9362: 4 letters (bank), 2 letters (country), 2 alphanumerics, optional 3 (branch). */
    bool ok = len == 8 || len == 11;
    for (size_t i = 0; ok && i < len; i++) {
        ok = i < 6 ? is_upper(v[i]) : is_alnum_upper(v[i]);
    }
    if (!ok) {
        add(c, ERR, "BIC_FORMAT", "bank/bic",
            "БИК «{1}» должен состоять из 8 или 11 заглавных латинских букв и цифр (ISO 9362)",
            "БСК «{1}» 8 немесе 11 бас латын әрпі мен цифрдан тұруы тиіс (ISO 9362)", v, NULL);
        return;
    }
    if (v[4] != 'K' || v[5] != 'Z') {
        add(c, WARN, "BIC_NOT_KZ", "bank/bic", "БИК «{1}» принадлежит не казахстанскому банку",
            "БСК «{1}» қазақстандық банкке тиесілі емес", v, NULL);
    }
}

static void check_sector_kbe(check_ctx *c, const qtb_applicant *a)
{
    bool sector_ok = true;
    if (a->has_org) {
        const char *s = a->org_sector;
        sector_ok = strlen(s) == 1 && s[0] >= '1' && s[0] <= '9';
        if (!sector_ok) {
            add(c, ERR, "SECTOR_FORMAT", "organisation/sectorCode",
                "Код сектора экономики «{1}» должен быть цифрой от 1 до 9",
                "Экономика секторының коды «{1}» 1-ден 9-ға дейінгі цифр болуы тиіс", s, NULL);
        }
    }
    const char *k = a->kbe;
    /* КБе: residency (1 resident, 2 non-resident) then the economic sector (1..9). */
    if (strlen(k) != 2 || (k[0] != '1' && k[0] != '2') || k[1] < '1' || k[1] > '9') {
        add(c, ERR, "KBE_FORMAT", "bank/kbe",
            "КБе «{1}» должен состоять из двух цифр: признак резидентства (1 или 2) и сектор "
            "экономики (1–9)",
            "КБе «{1}» екі цифрдан тұруы тиіс: резиденттік белгісі (1 немесе 2) және экономика "
            "секторы (1–9)",
            k, NULL);
        return;
    }
    if (a->has_org && sector_ok && k[1] != a->org_sector[0]) {
        add(c, WARN, "KBE_SECTOR_MISMATCH", "bank/kbe",
            "Сектор экономики в КБе «{1}» не совпадает с кодом сектора экономики «{2}»",
            "КБе «{1}» ішіндегі экономика секторы экономика секторының «{2}» кодымен сәйкес "
            "келмейді",
            k, a->org_sector);
    }
}

static void check_oked(check_ctx *c, const qtb_applicant *a)
{
    if (a->has_org && !all_digits(a->org_oked, 5)) {
        add(c, ERR, "OKED_FORMAT", "organisation/oked",
            "Код ОКЭД «{1}» должен состоять из пяти цифр", "ЭҚЖЖ коды «{1}» бес цифрдан тұруы тиіс",
            a->org_oked, NULL);
    }
}

/* ---- contact details ------------------------------------------------------------------------ */

static bool email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL) {
        return false;
    }
    for (const char *p = s; p < at; p++) {
        bool allowed =
            is_digit(*p) || (*p >= 'a' && *p <= 'z') || is_upper(*p) || strchr("._%+-", *p) != NULL;
        if (!allowed || (*p == '.' && (p == s || p + 1 == at || p[1] == '.'))) {
            return false;
        }
    }
    /* Domain: dot-separated labels of letters, digits and inner hyphens; a 2+ letter TLD. */
    const char *label = at + 1;
    int labels = 0;
    for (;;) {
        const char *end = label;
        while (*end != '\0' && *end != '.') {
            if (!is_digit(*end) && !(*end >= 'a' && *end <= 'z') && !is_upper(*end) &&
                *end != '-') {
                return false;
            }
            end++;
        }
        size_t n = (size_t)(end - label);
        if (n == 0 || n > 63 || label[0] == '-' || end[-1] == '-') {
            return false;
        }
        labels++;
        if (*end == '\0') {
            if (n < 2) {
                return false;
            }
            for (const char *p = label; p < end; p++) {
                if (is_digit(*p) || *p == '-') {
                    return false;
                }
            }
            break;
        }
        label = end + 1;
    }
    return labels >= 2;
}

static void check_contacts(check_ctx *c, const qtb_applicant *a)
{
    if (!email_ok(a->user_email)) {
        add(c, ERR, "EMAIL_FORMAT", "user/email", "Адрес электронной почты «{1}» указан неверно",
            "Электрондық пошта мекенжайы «{1}» қате көрсетілген", a->user_email, NULL);
    }
    /* Separators people type are allowed; what remains must be E.164. */
    char num[32];
    size_t n = 0;
    bool ok = true;
    for (const char *p = a->user_phone; *p != '\0' && ok; p++) {
        if (strchr(" -()", *p) != NULL) {
            continue;
        }
        ok = n + 1 < sizeof(num) && (is_digit(*p) || (*p == '+' && n == 0));
        if (ok) {
            num[n++] = *p;
        }
    }
    num[n] = '\0';
    ok = ok && n >= 9 && n <= 16 && num[0] == '+' && num[1] != '0';
    if (!ok) {
        add(c, ERR, "PHONE_FORMAT", "user/phone",
            "Телефон «{1}» должен быть в формате +7XXXXXXXXXX",
            "Телефон «{1}» +7XXXXXXXXXX форматында болуы тиіс", a->user_phone, NULL);
    } else if (num[1] == '7' && n != 12) {
        add(c, ERR, "PHONE_FORMAT", "user/phone",
            "Телефон «{1}» должен быть в формате +7XXXXXXXXXX (10 цифр после +7)",
            "Телефон «{1}» +7XXXXXXXXXX форматында болуы тиіс (+7-ден кейін 10 цифр)",
            a->user_phone, NULL);
    } else if (num[1] != '7') {
        add(c, WARN, "PHONE_NOT_KZ", "user/phone", "Телефон «{1}» не казахстанский (+7)",
            "Телефон «{1}» қазақстандық емес (+7)", a->user_phone, NULL);
    }
}

/* ---- due diligence and attachments ------------------------------------------------------------
 */

static void check_pep(check_ctx *c, const qtb_applicant *a)
{
    if (a->pep || a->pep_relative || a->pep_foreign) {
        const char *field =
            a->pep ? "pep/isPep" : (a->pep_relative ? "pep/pepRelative" : "pep/foreignPep");
        add(c, WARN, "PEP_EDD", field,
            "Публичное должностное лицо или связанное с ним лицо: требуется углублённая проверка "
            "(enhanced due diligence)",
            "Жария лауазымды тұлға немесе оған байланысты тұлға: тереңдетілген тексеру қажет "
            "(enhanced due diligence)",
            NULL, NULL);
    }
}

static bool has_doc(const qtb_applicant *a, qtb_attachment_kind k)
{
    for (size_t i = 0; i < a->ndocs; i++) {
        if (a->docs[i].kind == k) {
            return true;
        }
    }
    return false;
}

static void check_documents(check_ctx *c, const qtb_applicant *a)
{
    if (!has_doc(a, QTB_ATTACH_IDENTITY)) {
        add(c, WARN, "DOC_MISSING", "documents", "Не приложен документ, удостоверяющий личность",
            "Жеке басын куәландыратын құжат тіркелмеген", NULL, NULL);
    }
    if (a->has_org && !has_doc(a, QTB_ATTACH_REGISTRATION)) {
        add(c, WARN, "DOC_MISSING", "documents", "Не приложено свидетельство о регистрации",
            "Тіркеу туралы куәлік тіркелмеген", NULL, NULL);
    }
    if (a->has_licence && !has_doc(a, QTB_ATTACH_LICENCE)) {
        add(c, WARN, "DOC_MISSING", "documents", "Не приложена лицензия", "Лицензия тіркелмеген",
            NULL, NULL);
    }
}

static bool valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
        return false;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

int qtb_applicant_check(qtb_findings **out, const qtb_applicant *a, const qtb_check_options *opts)
{
    QTB_ASSERT_ARG(out != NULL);
    QTB_ASSERT_ARG(a != NULL);
    QTB_ASSERT_ARG(opts != NULL && opts->version == QTB_CHECK_OPTIONS_VERSION);
    *out = NULL;
    QTB_ENSURE(valid_date(opts->today_year, opts->today_month, opts->today_day), QTB_EUSAGE,
               "the pre-checks need today's date (options today_year/month/day)");
    qtb_findings *f = qtb_calloc(1, sizeof(*f));
    if (f == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory running pre-checks");
    }
    check_ctx c = {f,
                   opts->lang != QTB_LANG_DEFAULT ? opts->lang : a->lang,
                   {opts->today_year, opts->today_month, opts->today_day},
                   0};
    if (a->has_org) {
        check_org_idnum(&c, a);
    }
    check_user_iin(&c, a);
    check_licence(&c, a);
    check_id_document(&c, a);
    check_iban(&c, a);
    check_bic(&c, a);
    check_sector_kbe(&c, a);
    check_oked(&c, a);
    check_contacts(&c, a);
    check_pep(&c, a);
    check_documents(&c, a);
    if (c.rc != 0) {
        qtb_findings_free(f);
        return c.rc;
    }
    *out = f;
    return 0;
}

void qtb_findings_free(qtb_findings *f)
{
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < f->n; i++) {
        qtb_free((char *)f->items[i].message);
    }
    qtb_free(f->items);
    qtb_free(f);
}

size_t qtb_findings_count(const qtb_findings *f)
{
    return f != NULL ? f->n : 0;
}

size_t qtb_findings_error_count(const qtb_findings *f)
{
    size_t n = 0;
    for (size_t i = 0; f != NULL && i < f->n; i++) {
        n += f->items[i].severity == QTB_FINDING_ERROR;
    }
    return n;
}

const qtb_finding *qtb_findings_get(const qtb_findings *f, size_t i)
{
    return f != NULL && i < f->n ? &f->items[i] : NULL;
}

bool qtb_findings_has(const qtb_findings *f, const char *code)
{
    for (size_t i = 0; f != NULL && code != NULL && i < f->n; i++) {
        if (strcmp(f->items[i].code, code) == 0) {
            return true;
        }
    }
    return false;
}

const char *qtb_finding_severity_name(qtb_finding_severity s)
{
    return s == QTB_FINDING_ERROR ? "error" : "warning";
}

int qtb_findings_to_json(char **out, const qtb_findings *f, const qtb_applicant *a)
{
    QTB_ASSERT_ARG(out != NULL);
    QTB_ASSERT_ARG(f != NULL);
    QTB_ASSERT_ARG(a != NULL);
    *out = NULL;
    int rc = 0;
    size_t errors = qtb_findings_error_count(f);
    json_t *list = json_array();
    json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:I}", "applicationId", a->application_id, "kind",
                            qtb_applicant_kind_name(a->kind), "dataSha256", a->sha256_hex, "errors",
                            (json_int_t)errors, "warnings", (json_int_t)(f->n - errors));
    if (list == NULL || doc == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory serialising findings");
        goto done;
    }
    for (size_t i = 0; i < f->n; i++) {
        const qtb_finding *x = &f->items[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "code", x->code, "severity",
                              qtb_finding_severity_name(x->severity), "field", x->field, "message",
                              x->message);
        if (o == NULL || json_array_append_new(list, o) != 0) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory serialising findings");
            goto done;
        }
    }
    if (json_object_set(doc, "findings", list) != 0) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory serialising findings");
        goto done;
    }
    *out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (*out == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory serialising findings");
    }
done:
    json_decref(list);
    json_decref(doc);
    return rc;
}
