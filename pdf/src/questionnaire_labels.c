/* Questionnaire labels: Russian and Kazakh, after the insurance-pool registration form. */
#include <stdio.h>

#include "questionnaire_labels.h"

static const qtb_labels labels_ru = {
    .title = "АНКЕТА ЗАЯВИТЕЛЯ",
    .app_id = "Номер заявки",
    .notify_lang = "Язык уведомлений",
    .lang_ru = "русский",
    .lang_kk = "казахский",
    .kind_ie = "Индивидуальный предприниматель (ИП)",
    .kind_le = "Юридическое лицо (ТОО, АО)",
    .kind_np = "Физическое лицо",
    .sec_org = "Сведения об организации",
    .org_name = "Наименование",
    .bin = "БИН",
    .iin = "ИИН",
    .reg_address = "Юридический адрес",
    .act_address = "Фактический адрес",
    .sector = "Код сектора экономики",
    .oked = "Код ОКЭД",
    .activity = "Вид деятельности",
    .sec_reg = "Свидетельство о государственной регистрации",
    .number = "Номер",
    .date = "Дата",
    .issued_by = "Кем выдан",
    .place = "Место выдачи",
    .sec_licence = "Лицензия",
    .issue_date = "Дата выдачи",
    .valid_until = "Действителен до",
    .not_provided = "не представлено",
    .sec_bank = "Банковские реквизиты",
    .iban = "ИИК (IBAN)",
    .bank = "Банк",
    .bic = "БИК",
    .kbe = "КБе",
    .sec_iddoc_head = "Документ, удостоверяющий личность руководителя",
    .sec_iddoc = "Документ, удостоверяющий личность",
    .doc_kind = "Вид документа",
    .id_card = "удостоверение личности",
    .passport = "паспорт",
    .residence_permit = "вид на жительство",
    .sec_pep = "Публичные должностные лица (ПДЛ)",
    .pep = "Является публичным должностным лицом",
    .pep_relative = "Является родственником или супругом(-ой) ПДЛ",
    .pep_foreign = "Является иностранным ПДЛ или членом его семьи",
    .yes = "Да",
    .no = "Нет",
    .sec_user = "Пользователь, действующий от имени организации",
    .sec_applicant = "Сведения о заявителе",
    .birth_date = "Дата рождения",
    .surname = "Фамилия",
    .name = "Имя",
    .patronymic = "Отчество",
    .sex = "Пол",
    .male = "мужской",
    .female = "женский",
    .email = "Электронная почта",
    .phone = "Телефон",
    .country = "Страна резидентства",
    .birth_place = "Место рождения",
    .position = "Должность",
    .address = "Адрес",
    .sec_docs = "Прилагаемые документы",
    .att_identity = "Документ, удостоверяющий личность",
    .att_registration = "Свидетельство о регистрации",
    .att_licence = "Лицензия",
    .sig_title = "Место для подписи ЭЦП",
    .sig_text = "Подписывая анкету электронной цифровой подписью (ЭЦП), заявитель подтверждает, "
                "что сведения в ней достоверны и полны, и согласен на их проверку.",
    .sig_signer = "Подписант",
    .sig_place = "ЭЦП заявителя",
    .footer_app_id = "Номер заявки",
    .footer_sha = "SHA-256 данных заявителя",
    .page = "Страница",
};

static const qtb_labels labels_kk = {
    .title = "ӨТІНІШ БЕРУШІНІҢ САУАЛНАМАСЫ",
    .app_id = "Өтінім нөмірі",
    .notify_lang = "Хабарлама тілі",
    .lang_ru = "орыс тілі",
    .lang_kk = "қазақ тілі",
    .kind_ie = "Жеке кәсіпкер (ЖК)",
    .kind_le = "Заңды тұлға (ЖШС, АҚ)",
    .kind_np = "Жеке тұлға",
    .sec_org = "Ұйым туралы мәліметтер",
    .org_name = "Атауы",
    .bin = "БСН",
    .iin = "ЖСН",
    .reg_address = "Заңды мекенжайы",
    .act_address = "Нақты мекенжайы",
    .sector = "Экономика секторының коды",
    .oked = "ЭҚЖЖ коды",
    .activity = "Қызмет түрі",
    .sec_reg = "Мемлекеттік тіркеу туралы куәлік",
    .number = "Нөмірі",
    .date = "Күні",
    .issued_by = "Кім берген",
    .place = "Берілген жері",
    .sec_licence = "Лицензия",
    .issue_date = "Берілген күні",
    .valid_until = "Жарамдылық мерзімі",
    .not_provided = "ұсынылмаған",
    .sec_bank = "Банк деректемелері",
    .iban = "ЖСК (IBAN)",
    .bank = "Банк",
    .bic = "БСК",
    .kbe = "КБе",
    .sec_iddoc_head = "Басшының жеке басын куәландыратын құжаты",
    .sec_iddoc = "Жеке басын куәландыратын құжат",
    .doc_kind = "Құжат түрі",
    .id_card = "жеке куәлік",
    .passport = "паспорт",
    .residence_permit = "тұруға ықтиярхат",
    .sec_pep = "Жария лауазымды тұлғалар (ЖЛТ)",
    .pep = "Жария лауазымды тұлға болып табылады",
    .pep_relative = "ЖЛТ-ның туысы немесе жұбайы болып табылады",
    .pep_foreign = "Шетелдік ЖЛТ немесе оның отбасы мүшесі болып табылады",
    .yes = "Иә",
    .no = "Жоқ",
    .sec_user = "Ұйым атынан әрекет ететін пайдаланушы",
    .sec_applicant = "Өтініш беруші туралы мәліметтер",
    .birth_date = "Туған күні",
    .surname = "Тегі",
    .name = "Аты",
    .patronymic = "Әкесінің аты",
    .sex = "Жынысы",
    .male = "ер",
    .female = "әйел",
    .email = "Электрондық пошта",
    .phone = "Телефон",
    .country = "Резиденттік елі",
    .birth_place = "Туған жері",
    .position = "Лауазымы",
    .address = "Мекенжайы",
    .sec_docs = "Қоса берілетін құжаттар",
    .att_identity = "Жеке басын куәландыратын құжат",
    .att_registration = "Тіркеу туралы куәлік",
    .att_licence = "Лицензия",
    .sig_title = "ЭЦҚ қою орны",
    .sig_text = "Сауалнамаға электрондық цифрлық қолтаңба (ЭЦҚ) қою арқылы өтініш беруші ондағы "
                "мәліметтердің дұрыс әрі толық екенін растайды және оларды тексеруге келіседі.",
    .sig_signer = "Қол қоюшы",
    .sig_place = "Өтініш берушінің ЭЦҚ",
    .footer_app_id = "Өтінім нөмірі",
    .footer_sha = "Өтініш беруші деректерінің SHA-256",
    .page = "Бет",
};

const qtb_labels *qtb_labels_for(qtb_lang lang)
{
    return lang == QTB_LANG_KK ? &labels_kk : &labels_ru;
}

const char *qtb_label_kind(const qtb_labels *L, qtb_applicant_kind kind)
{
    switch (kind) {
    case QTB_APPLICANT_ENTREPRENEUR:
        return L->kind_ie;
    case QTB_APPLICANT_LEGAL_ENTITY:
        return L->kind_le;
    case QTB_APPLICANT_NATURAL_PERSON:
        return L->kind_np;
    default:
        return "";
    }
}

const char *qtb_label_iddoc(const qtb_labels *L, const char *kind)
{
    if (kind != NULL && strcmp(kind, "passport") == 0) {
        return L->passport;
    }
    if (kind != NULL && strcmp(kind, "residence-permit") == 0) {
        return L->residence_permit;
    }
    return L->id_card;
}

const char *qtb_label_attachment(const qtb_labels *L, qtb_attachment_kind kind)
{
    switch (kind) {
    case QTB_ATTACH_IDENTITY:
        return L->att_identity;
    case QTB_ATTACH_REGISTRATION:
        return L->att_registration;
    case QTB_ATTACH_LICENCE:
        return L->att_licence;
    default:
        return "";
    }
}

void qtb_label_date(char out[16], qtb_date d)
{
    snprintf(out, 16, "%02d.%02d.%04d", d.d, d.m, d.y);
}
