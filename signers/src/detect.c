/* What a signature file holds, judged from its first bytes. */
#include <qtb/verify.h>

#include "internal.h"

qtb_sig_kind qtb_detect_signature_kind(const unsigned char *data, size_t len)
{
    if (data == NULL || len == 0) {
        return QTB_SIG_UNKNOWN;
    }
    size_t i = 0;
    /* A UTF-8 byte order mark may precede an XML declaration. */
    if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf) {
        i = 3;
    }
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')) {
        i++;
    }
    if (i == len) {
        return QTB_SIG_UNKNOWN;
    }
    /* XML starts with '<'; CMS is DER (0x30), PEM or bare base64 of DER. */
    return data[i] == '<' ? QTB_SIG_XML : QTB_SIG_CMS;
}
