/*
 * Fuzz target: applicant XML parsing, validation, pre-checks and JSON. When the input parses,
 * the questionnaire is rendered too (the renderer must cope with whatever the schema lets through).
 * Deterministic and offline: "today" is fixed.
 */
#include <stddef.h>
#include <stdint.h>

#include <qtb/questionnaire.h>
#include <qtb/report.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qtb_applicant *a = NULL;
    if (qtb_applicant_parse(&a, data, size, NULL) != 0) {
        return 0;
    }
    qtb_check_options co = QTB_CHECK_OPTIONS_INIT;
    co.today_year = 2026;
    co.today_month = 11;
    co.today_day = 22;
    qtb_findings *f = NULL;
    if (qtb_applicant_check(&f, a, &co) == 0) {
        char *json = NULL;
        if (qtb_findings_to_json(&json, f, a) == 0) {
            qtb_string_free(json);
        }
        qtb_findings_free(f);
    }
    unsigned char *pdf = NULL;
    size_t len = 0;
    if (qtb_questionnaire_render(&pdf, &len, a, NULL) == 0) {
        qtb_string_free((char *)pdf);
    }
    qtb_applicant_free(a);
    return 0;
}
