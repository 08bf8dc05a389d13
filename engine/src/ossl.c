/* One-time OpenSSL set-up: the default provider plus the legacy one that NCA's PKCS#12 needs. */
#include <pthread.h>

#include <openssl/provider.h>

#include "internal.h"
#include "ossl_int.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;
/* Held for the life of the process; kept here so leak checkers see them as reachable. */
static OSSL_PROVIDER *provider_default;
static OSSL_PROVIDER *provider_legacy;

static void do_init(void)
{
    /*
     * NCA RK's PKCS#12 files protect the certificate bag with pbeWithSHA1And40BitRC2-CBC, which
     * OpenSSL 3 keeps in the legacy provider. Loading a provider explicitly disables the implicit
     * default, so both are loaded. Providers are reference counted and process-wide; this only
     * adds algorithms for the embedding application.
     */
    provider_default = OSSL_PROVIDER_try_load(NULL, "default", 1);
    if (provider_default == NULL) {
        init_result = QTB_ECRYPTO;
        return;
    }
    provider_legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
    if (provider_legacy == NULL) {
        init_result = QTB_EUNSUPPORTED;
        return;
    }
    init_result = 0;
}

int qtb_ossl_init(void)
{
    pthread_once(&init_once, do_init);
    if (init_result == QTB_EUNSUPPORTED) {
        return QTB_FAIL_SSL(QTB_EUNSUPPORTED,
                            "OpenSSL's legacy provider is not available (needed for RC2 PKCS#12)");
    }
    if (init_result < 0) {
        return QTB_FAIL_SSL(init_result, "cannot load OpenSSL's default provider");
    }
    return 0;
}
