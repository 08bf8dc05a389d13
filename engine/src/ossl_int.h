#ifndef QTB_OSSL_INT_H
#define QTB_OSSL_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

/* Load the OpenSSL providers qoltanba needs, once per process (thread-safe, idempotent). */
int qtb_ossl_init(void);

#endif
