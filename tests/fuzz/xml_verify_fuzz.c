/*
 * Fuzz target: qtb_xml_verify on arbitrary bytes. The first byte picks the options (no trust,
 * HMAC allowed with a fixed key, chain not checked, a pinned key) so every path of the
 * verifier is reachable; the report is serialised too. Deterministic and offline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qtb/report.h>
#include <qtb/verify.h>

/* A P-256 public key to pin (SPKI, PEM). */
static const char pinned_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEUolxlnvUWGFvVAjea/qnOuNJq+aF\n"
    "dv+UzPOtOyreGbVCeUUqNhRHmYQQUWOPLp+/oyrJamkY3UKpqLzlfzZj1Q==\n"
    "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
    static const unsigned char key[] = "secret";
    switch (data[0] & 3u) {
    case 1:
        o.flags |= QTB_VERIFY_ALLOW_HMAC;
        o.hmac_key = key;
        o.hmac_key_len = sizeof(key) - 1;
        break;
    case 2:
        o.flags |= QTB_VERIFY_NO_CHAIN;
        break;
    case 3:
        o.pinned_key = (const unsigned char *)pinned_pem;
        o.pinned_key_len = sizeof(pinned_pem) - 1;
        break;
    default:
        break;
    }
    o.at = 1767225600; /* fixed: 2026-01-01 */
    qtb_report *r = NULL;
    if (qtb_xml_verify(&r, data + 1, size - 1, &o) == 0) {
        char *js = NULL;
        if (qtb_report_to_json(&js, r) == 0) {
            qtb_string_free(js);
        }
        /* A report may never pass without a signature. */
        if (qtb_report_indication(r) == QTB_TOTAL_PASSED && qtb_report_signature_count(r) == 0) {
            abort();
        }
        qtb_report_free(r);
    }
    return 0;
}
