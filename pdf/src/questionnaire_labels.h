/* qoltanba: questionnaire labels in Russian and Kazakh. */
#ifndef QTB_QUESTIONNAIRE_LABELS_H
#define QTB_QUESTIONNAIRE_LABELS_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include "applicant_int.h"

typedef struct qtb_labels {
    const char *title, *app_id, *notify_lang, *lang_ru, *lang_kk;
    const char *kind_ie, *kind_le, *kind_np;
    const char *sec_org, *org_name, *bin, *iin, *reg_address, *act_address, *sector, *oked,
        *activity;
    const char *sec_reg, *number, *date, *issued_by, *place;
    const char *sec_licence, *issue_date, *valid_until, *not_provided;
    const char *sec_bank, *iban, *bank, *bic, *kbe;
    const char *sec_iddoc_head, *sec_iddoc, *doc_kind, *id_card, *passport, *residence_permit;
    const char *sec_pep, *pep, *pep_relative, *pep_foreign, *yes, *no;
    const char *sec_user, *sec_applicant, *birth_date, *surname, *name, *patronymic, *sex, *male,
        *female, *email, *phone, *country, *birth_place, *position, *address;
    const char *sec_docs, *att_identity, *att_registration, *att_licence;
    const char *sig_title, *sig_text, *sig_signer, *sig_place;
    const char *footer_app_id, *footer_sha, *page;
} qtb_labels;

const qtb_labels *qtb_labels_for(qtb_lang lang);
const char *qtb_label_kind(const qtb_labels *L, qtb_applicant_kind kind);
const char *qtb_label_iddoc(const qtb_labels *L, const char *kind);
const char *qtb_label_attachment(const qtb_labels *L, qtb_attachment_kind kind);
/* DD.MM.YYYY into out (16 bytes). */
void qtb_label_date(char out[16], qtb_date d);

#endif
