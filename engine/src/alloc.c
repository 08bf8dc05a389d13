/* Checked allocation with optional failure injection for the allocation-failure test run. */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

/*
 * QTB_FAIL_ALLOC_AT=N makes the Nth allocation (1-based, process-wide) fail. Read once; this is
 * test instrumentation, the only process-wide state in the library, and it is atomic.
 */
static atomic_long alloc_count;
static atomic_long fail_at = -1;

static bool should_fail(void)
{
    long target = atomic_load(&fail_at);
    if (target == -1) {
        const char *env = getenv("QTB_FAIL_ALLOC_AT");
        long parsed = 0;
        if (env != NULL && *env != '\0') {
            char *end = NULL;
            parsed = strtol(env, &end, 10);
            if (*end != '\0' || parsed < 1) {
                parsed = 0;
            }
        }
        atomic_store(&fail_at, parsed);
        target = parsed;
    }
    if (target == 0) {
        return false;
    }
    return atomic_fetch_add(&alloc_count, 1) + 1 == target;
}

void *qtb_malloc(size_t n)
{
    if (should_fail()) {
        return NULL;
    }
    return malloc(n == 0 ? 1 : n);
}

void *qtb_calloc(size_t count, size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    return calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
}

void *qtb_realloc(void *p, size_t n)
{
    if (should_fail()) {
        return NULL;
    }
    return realloc(p, n == 0 ? 1 : n);
}

void qtb_free(void *p)
{
    free(p);
}

char *qtb_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *out = qtb_malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

char *qtb_strdup(const char *s)
{
    return qtb_strndup(s, strlen(s));
}

int qtb_size_to_int(int *out, size_t n)
{
    if (n > (size_t)INT_MAX) {
        return QTB_FAIL(QTB_ETOOBIG, "length %zu exceeds the library limit of %d", n, INT_MAX);
    }
    *out = (int)n;
    return 0;
}
