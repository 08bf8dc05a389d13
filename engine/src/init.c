/* qtb_library_init: one-time setup of the dependencies' lazy, unlocked global state. */
#include <pthread.h>

#include <libxml/parser.h>
#include <libxml/xmlschemastypes.h>

#include <qtb/init.h>

#include "internal.h"
#include "ossl_int.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_all(void)
{
    /* A failure here is reported again, with its reason, by the first call that needs it. */
    (void)qtb_ossl_init();
    xmlInitParser();
    xmlSchemaInitTypes();
}

void qtb_library_init(void)
{
    (void)pthread_once(&init_once, init_all);
}
