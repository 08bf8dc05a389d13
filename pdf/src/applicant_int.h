/* qoltanba: the parsed applicant, shared by the parser, the pre-checks and the PDF renderer. */
#ifndef QTB_APPLICANT_INT_H
#define QTB_APPLICANT_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <qtb/questionnaire.h>

#include "internal.h"

#define QTB_APPLICANT_MAX_DOCS 16

/* A calendar date as written in the data (xs:date without a time zone). */
typedef struct qtb_date {
    int y, m, d;
} qtb_date;

typedef enum qtb_attachment_kind {
    QTB_ATTACH_IDENTITY = 1,
    QTB_ATTACH_REGISTRATION = 2,
    QTB_ATTACH_LICENCE = 3,
} qtb_attachment_kind;

typedef struct qtb_attachment {
    qtb_attachment_kind kind;
    char *file_name;
    char *sha256; /* lower-case hex */
} qtb_attachment;

/* Every string is NUL-terminated UTF-8 with whitespace collapsed, or NULL when optional+absent. */
struct qtb_applicant {
    qtb_applicant_kind kind;
    qtb_lang lang;
    char *application_id;

    bool has_org;
    char *org_name, *org_idnum, *org_reg_address, *org_act_address, *org_sector, *org_activity,
        *org_oked;
    char *reg_number, *reg_issuer, *reg_place;
    qtb_date reg_date;
    bool has_licence;
    char *lic_number, *lic_issuer;
    qtb_date lic_issue, lic_expiry;

    char *iban, *bank_name, *bic, *kbe;

    char *id_kind, *id_number, *id_issuer;
    qtb_date id_start, id_end;

    bool pep, pep_relative, pep_foreign;

    char *user_iin, *user_surname, *user_name, *user_patronymic, *user_email, *user_phone,
        *user_sex, *user_country, *user_birth_place, *user_position, *user_address;
    qtb_date user_birth;

    size_t ndocs;
    qtb_attachment docs[QTB_APPLICANT_MAX_DOCS];

    unsigned char sha256[32];
    char sha256_hex[65];
};

/* "YYYY-MM-DD" into buf (11 bytes). */
void qtb_date_format(char *buf, size_t cap, qtb_date d);
/* <0, 0, >0 like strcmp. */
int qtb_date_cmp(qtb_date a, qtb_date b);

#endif
