/* One-time OpenSSL set-up: the default provider plus the legacy one that NCA's PKCS#12 needs. */
#include <pthread.h>

#include <openssl/provider.h>

#include "internal.h"
#include "ossl_int.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;
/*
 * The handles stay referenced for the life of the process (written once, under init_once):
 * discarding them made every provider object look leaked to LeakSanitizer once OPENSSL_cleanup
 * had freed the provider store at exit.
 */
static OSSL_PROVIDER *default_provider;
static OSSL_PROVIDER *legacy_provider;

static void do_init(void)
{
    /*
     * NCA RK's PKCS#12 files protect the certificate bag with pbeWithSHA1And40BitRC2-CBC, which
     * OpenSSL 3 keeps in the legacy provider. Loading a provider explicitly disables the implicit
     * default, so both are loaded. Providers are reference counted and process-wide; this only
     * adds algorithms for the embedding application.
     */
    default_provider = OSSL_PROVIDER_try_load(NULL, "default", 1);
    if (default_provider == NULL) {
        init_result = QTB_ECRYPTO;
        return;
    }
    legacy_provider = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
    if (legacy_provider == NULL) {
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
