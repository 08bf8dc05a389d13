/*
 * A minimal unit-test harness: each test is a function, run by name from main via QTB_RUN.
 * Prints one line per case and a closing "N passed, N failed, N skipped" line.
 *
 *   static void test_iin__valid_first_pass(void) { QTB_CHECK(...); }
 *   int main(void) { QTB_RUN(test_iin__valid_first_pass); return qtb_test_done(); }
 */
#ifndef QTB_TEST_H
#define QTB_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qtb/error.h>

static int qtb_t_passed, qtb_t_failed, qtb_t_skipped;
static int qtb_t_case_failed, qtb_t_case_skipped;
static char qtb_t_skip_reason[256];

#define QTB_CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
            qtb_t_case_failed = 1;                                                                 \
        }                                                                                          \
    } while (0)

/* Stop the case: without the condition the rest of it makes no sense. */
#define QTB_REQUIRE(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond);       \
            const qtb_error *e_ = qtb_error_last();                                                \
            if (e_->code != 0) {                                                                   \
                fprintf(stderr, "  last error: %s (%s:%d)\n", e_->message, e_->file, e_->line);    \
            }                                                                                      \
            qtb_t_case_failed = 1;                                                                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* A library call that must succeed; prints qtb_error_last() when it does not. */
#define QTB_OK_CALL(expr)                                                                          \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != 0) {                                                                            \
            const qtb_error *e_ = qtb_error_last();                                                \
            fprintf(stderr, "  %s:%d: %s returned %d: %s (%s:%d)\n", __FILE__, __LINE__, #expr,    \
                    rc_, e_->message, e_->file, e_->line);                                         \
            qtb_t_case_failed = 1;                                                                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define QTB_CHECK_STR(a, b)                                                                        \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                                     \
            fprintf(stderr, "  %s:%d: \"%s\" != \"%s\" (%s vs %s)\n", __FILE__, __LINE__,          \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)", #a, #b);                               \
            qtb_t_case_failed = 1;                                                                 \
        }                                                                                          \
    } while (0)

#define QTB_SKIP(...)                                                                              \
    do {                                                                                           \
        snprintf(qtb_t_skip_reason, sizeof(qtb_t_skip_reason), __VA_ARGS__);                       \
        qtb_t_case_skipped = 1;                                                                    \
        return;                                                                                    \
    } while (0)

#define QTB_RUN(fn)                                                                                \
    do {                                                                                           \
        qtb_t_case_failed = 0;                                                                     \
        qtb_t_case_skipped = 0;                                                                    \
        qtb_error_clear();                                                                         \
        fn();                                                                                      \
        if (qtb_t_case_failed) {                                                                   \
            qtb_t_failed++;                                                                        \
            printf("FAIL %s\n", #fn);                                                              \
        } else if (qtb_t_case_skipped) {                                                           \
            qtb_t_skipped++;                                                                       \
            printf("SKIP %s: %s\n", #fn, qtb_t_skip_reason);                                       \
        } else {                                                                                   \
            qtb_t_passed++;                                                                        \
            printf("ok   %s\n", #fn);                                                              \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

/* Exit 77 (CTest "skipped") only when nothing ran and something was skipped. */
static inline int qtb_test_done(void)
{
    printf("%d passed, %d failed, %d skipped\n", qtb_t_passed, qtb_t_failed, qtb_t_skipped);
    if (qtb_t_failed > 0) {
        return 1;
    }
    if (qtb_t_passed == 0 && qtb_t_skipped > 0) {
        return 77;
    }
    return 0;
}

/*
 * Path of a file under ../shared. When ../shared is missing the case is skipped, except under
 * CI=true where a missing ../shared is a failure.
 */
static inline const char *qtb_test_shared_dir(void)
{
    const char *d = getenv("QTB_SHARED");
    return d != NULL ? d : "../shared";
}

#define QTB_NEED_SHARED()                                                                          \
    do {                                                                                           \
        char p_[4096];                                                                             \
        snprintf(p_, sizeof(p_), "%s/reference", qtb_test_shared_dir());                           \
        FILE *f_ = fopen(p_, "r");                                                                 \
        if (f_ == NULL) {                                                                          \
            const char *ci_ = getenv("CI");                                                        \
            if (ci_ != NULL && strcmp(ci_, "true") == 0) {                                         \
                fprintf(stderr, "  ../shared is missing (%s) and CI=true\n", p_);                  \
                qtb_t_case_failed = 1;                                                             \
                return;                                                                            \
            }                                                                                      \
            QTB_SKIP("../shared not found at %s", qtb_test_shared_dir());                          \
        }                                                                                          \
        fclose(f_);                                                                                \
    } while (0)

#endif
