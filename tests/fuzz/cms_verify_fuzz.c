/*
 * Fuzz target: qtb_cms_verify on arbitrary bytes, attached and with a small detached content,
 * plus the JSON report. Deterministic and offline (no trust set, fixed validation time).
 */
#include <stddef.h>
#include <stdint.h>

#include <qtb/report.h>
#include <qtb/verify.h>

static const unsigned char content[] = "seed content";

static void run(const uint8_t *data, size_t size, const qtb_verify_options *o)
{
    qtb_report *rep = NULL;
    if (qtb_cms_verify(&rep, data, size, o) == 0) {
        char *json = NULL;
        if (qtb_report_to_json(&json, rep) == 0) {
            qtb_string_free(json);
        }
        (void)qtb_report_indication(rep);
        qtb_report_free(rep);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
    o.at = 1790000000; /* 2026-09-21: the same verdicts on every run */
    run(data, size, &o);
    o.content = content;
    o.content_len = sizeof(content) - 1;
    o.flags = QTB_VERIFY_NO_CHAIN;
    run(data, size, &o);
    return 0;
}
