/* Fuzz target: certificate input (DER, PEM, base64) through qtb_cert_load and the certinfo JSON. */
#include <stddef.h>
#include <stdint.h>

#include <qtb/cert.h>
#include <qtb/report.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qtb_cert *c = NULL;
    if (qtb_cert_load(&c, data, size) == 0) {
        char *json = NULL;
        if (qtb_cert_info_json(&json, c) == 0) {
            qtb_string_free(json);
        }
        qtb_cert_free(c);
    }
    return 0;
}
