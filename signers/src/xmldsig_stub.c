/* Entry points that later issues fill in; each file is replaced by its module. */
#include <qtb/verify.h>

#include "internal.h"

int qtb_xml_verify(qtb_report **out, const unsigned char *sig, size_t sig_len,
                   const qtb_verify_options *opts)
{
    (void)sig;
    (void)sig_len;
    (void)opts;
    *out = NULL;
    return QTB_FAIL(QTB_EUNSUPPORTED, "XMLDSig verification is not built yet");
}
