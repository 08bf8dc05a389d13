/* qoltanba: macros shared by every public header. */
#ifndef QTB_COMMON_H
#define QTB_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define QTB_BEGIN_DECLS extern "C" {
#define QTB_END_DECLS }
#else
#define QTB_BEGIN_DECLS
#define QTB_END_DECLS
#endif

#if defined(__GNUC__)
#define QTB_API __attribute__((visibility("default")))
#define QTB_MUST_USE __attribute__((warn_unused_result))
#define QTB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define QTB_API
#define QTB_MUST_USE
#define QTB_PRINTF(f, a)
#endif

#define QTB_VERSION_STRING "0.1.0"

#endif
