/*
 * Fuzz target: PKCS#12 key stores through qtb_p12_open and the JSON document. The corpus stores
 * use the password "fuzz", so mutations reach the bag walk, not only the MAC check.
 */
#include <stddef.h>
#include <stdint.h>

#include <qtb/p12.h>
#include <qtb/report.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!qtb_p12_detect(data, size)) {
        return 0;
    }
    qtb_p12 *p = NULL;
    if (qtb_p12_open(&p, data, size, "fuzz") == 0) {
        char *json = NULL;
        if (qtb_p12_info_json(&json, p) == 0) {
            qtb_string_free(json);
        }
        qtb_p12_free(p);
    }
    return 0;
}
