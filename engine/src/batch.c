/*
 * The batch runner: N worker threads check submission folders (pure CPU, no database) and the
 * calling thread alone writes, several submissions per transaction. A submission is recorded by
 * one qtb_store_record call (a savepoint), so a transaction holds whole submissions only; a
 * kill -9 loses the open transaction, which SQLite rolls back and a re-run redoes.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <qtb/batch.h>
#include <qtb/init.h>

#include "pipeline_int.h"
#include "store_int.h"

#define BATCH_DEFAULT_COMMIT_EVERY 256u
#define BATCH_DEFAULT_COMMIT_MS 1000u
#define BATCH_MAX_JOBS 256u

typedef struct batch_item {
    qtb_submission_result r;
    bool skipped;
    int rc; /* a failure of the worker itself (ENOMEM) */
} batch_item;

typedef struct batch_shared {
    /* read-only after start */
    const qtb_batch_options *opts;
    qtb_pipeline_ctx ctx;
    char *root;
    char **names;
    size_t nnames;
    const unsigned char *index;
    size_t nindex;
    /* guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    size_t next; /* next folder to take */
    batch_item **queue;
    size_t qcap, qhead, qlen;
    unsigned workers_left;
    bool stop;
} batch_shared;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- listing the inbox --------------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        qtb_free(names[i]);
    }
    qtb_free(names);
}

/* Sub-folders of the inbox (hidden ones and symlinks leaving it skipped), sorted. */
static int list_inbox(char ***out, size_t *n_out, const char *root)
{
    DIR *d = opendir(root);
    if (d == NULL) {
        return QTB_FAIL(QTB_EIO, "cannot list the inbox %s: %s", root, strerror(errno));
    }
    int rc = 0;
    char **names = NULL;
    size_t n = 0;
    size_t cap = 0;
    char path[PATH_MAX];
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                rc = QTB_FAIL(QTB_EIO, "cannot list the inbox %s: %s", root, strerror(errno));
            }
            break;
        }
        if (e->d_name[0] == '.') {
            continue; /* ".", "..", and hidden folders (e.g. a portal's temporary uploads) */
        }
        int len = snprintf(path, sizeof(path), "%s/%s", root, e->d_name);
        if (len < 0 || (size_t)len >= sizeof(path)) {
            continue;
        }
        struct stat st;
        if (lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISLNK(st.st_mode) && (!qtb_pipeline_inside(root, path) || stat(path, &st) != 0)) {
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            continue;
        }
        if (n >= QTB_MAX_INBOX_ENTRIES) {
            rc = QTB_FAIL(QTB_ETOOBIG, "more than %u submissions in the inbox",
                          QTB_MAX_INBOX_ENTRIES);
            break;
        }
        if (n == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2;
            char **grown = qtb_realloc(names, ncap * sizeof(*names));
            if (grown == NULL) {
                rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
                break;
            }
            names = grown;
            cap = ncap;
        }
        names[n] = qtb_strdup(e->d_name);
        if (names[n] == NULL) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc < 0) {
        free_names(names, n);
        return rc;
    }
    if (n > 0) {
        qsort(names, n, sizeof(*names), cmp_names);
    }
    *out = names;
    *n_out = n;
    return 0;
}

/* ---- workers ------------------------------------------------------------------------------- */

static void check_one(batch_item *it, batch_shared *sh, const char *name)
{
    char dir[PATH_MAX];
    int len = snprintf(dir, sizeof(dir), "%s/%s", sh->root, name);
    qtb_submission_result_init(&it->r);
    if (len < 0 || (size_t)len >= sizeof(dir)) {
        it->rc = QTB_FAIL(QTB_ETOOBIG, "path too long: %s/%s", sh->root, name);
        return;
    }
    it->rc = qtb_pipeline_load(&it->r, &sh->ctx, dir, name);
    if (it->rc == QTB_EIO) {
        /* The folder vanished or is unreadable: an outcome of this submission, not of the run. */
        it->rc = 0;
        if (it->r.reason == NULL) {
            char msg[512];
            snprintf(msg, sizeof(msg), "FOLDER_UNREADABLE: %s", qtb_error_last()->message);
            it->r.reason = qtb_strdup(msg);
            it->r.outcome = QTB_OUTCOME_ERROR;
            it->rc = it->r.reason != NULL ? 0 : QTB_ENOMEM;
        }
        return;
    }
    if (it->rc < 0) {
        return;
    }
    if (qtb_content_index_contains(sh->index, sh->nindex, name, it->r.content_hash)) {
        it->skipped = true;
        return;
    }
    it->rc = qtb_pipeline_verify(&it->r, &sh->ctx);
}

static void *worker(void *arg)
{
    batch_shared *sh = arg;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        if (sh->stop || sh->next >= sh->nnames) {
            sh->workers_left--;
            pthread_cond_broadcast(&sh->not_empty);
            pthread_mutex_unlock(&sh->mu);
            return NULL;
        }
        size_t i = sh->next++;
        pthread_mutex_unlock(&sh->mu);

        batch_item *it = qtb_calloc(1, sizeof(*it));
        if (it != NULL) {
            check_one(it, sh, sh->names[i]);
        }

        pthread_mutex_lock(&sh->mu);
        while (!sh->stop && sh->qlen == sh->qcap) {
            pthread_cond_wait(&sh->not_full, &sh->mu);
        }
        if (sh->stop) {
            pthread_mutex_unlock(&sh->mu);
            if (it != NULL) {
                qtb_submission_result_dispose(&it->r);
                qtb_free(it);
            }
            continue;
        }
        /* NULL stands for "out of memory" and stops the run. */
        sh->queue[(sh->qhead + sh->qlen) % sh->qcap] = it;
        sh->qlen++;
        pthread_cond_signal(&sh->not_empty);
        pthread_mutex_unlock(&sh->mu);
    }
}

/* Next finished item; *done true when every worker has finished and the queue is empty. */
static batch_item *next_item(batch_shared *sh, bool *done)
{
    pthread_mutex_lock(&sh->mu);
    while (sh->qlen == 0 && sh->workers_left > 0) {
        pthread_cond_wait(&sh->not_empty, &sh->mu);
    }
    batch_item *it = NULL;
    *done = sh->qlen == 0;
    if (!*done) {
        it = sh->queue[sh->qhead];
        sh->qhead = (sh->qhead + 1) % sh->qcap;
        sh->qlen--;
        pthread_cond_signal(&sh->not_full);
    }
    pthread_mutex_unlock(&sh->mu);
    return it;
}

static void stop_workers(batch_shared *sh)
{
    pthread_mutex_lock(&sh->mu);
    sh->stop = true;
    pthread_cond_broadcast(&sh->not_full);
    pthread_mutex_unlock(&sh->mu);
}

/* ---- the writer ---------------------------------------------------------------------------- */

typedef struct pending {
    batch_item **items;
    int64_t *ids;
    int64_t *versions;
    size_t n;
} pending;

static void emit(const qtb_batch_options *o, qtb_batch_summary *sum, const batch_item *it,
                 int64_t id, int64_t version)
{
    if (it->skipped) {
        sum->skipped++;
    } else if (it->r.outcome == QTB_OUTCOME_ACCEPTED) {
        sum->accepted++;
    } else if (it->r.outcome == QTB_OUTCOME_REJECTED) {
        sum->rejected++;
    } else {
        sum->errors++;
    }
    if (o->progress != NULL) {
        qtb_batch_event ev = {it->r.key,
                              id,
                              version,
                              it->r.outcome,
                              it->r.reason,
                              it->skipped,
                              sum->skipped + sum->accepted + sum->rejected + sum->errors,
                              sum->total};
        o->progress(o->payload, &ev);
    }
}

static void drop_item(batch_item *it)
{
    if (it != NULL) {
        qtb_submission_result_dispose(&it->r);
        qtb_free(it);
    }
}

static void pending_clear(pending *p, bool report, const qtb_batch_options *o,
                          qtb_batch_summary *sum)
{
    for (size_t i = 0; i < p->n; i++) {
        if (report) {
            emit(o, sum, p->items[i], p->ids[i], p->versions[i]);
        }
        drop_item(p->items[i]);
    }
    p->n = 0;
}

static int version_of(qtb_store *s, int64_t id, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    QTB_TRY(qtb_store_prepare(s, &st, "SELECT version FROM submissions WHERE id = ?1"));
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : qtb_store_fail(s, "reading a version");
    *out = rc == 0 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc;
}

typedef struct writer {
    qtb_store *s;
    int64_t *evidence_ids; /* opts->evidence, stored once */
    const qtb_batch_options *o;
    qtb_batch_summary *sum;
    pending p;
    size_t commit_every;
    double commit_s;
    double tx_started;
    bool in_tx;
} writer;

static int writer_commit(writer *w)
{
    if (!w->in_tx) {
        return 0;
    }
    QTB_TRY(qtb_store_commit(w->s));
    w->in_tx = false;
    w->sum->commits++;
    pending_clear(&w->p, true, w->o, w->sum);
    if (w->o->crash_after_commits != 0 && w->sum->commits >= w->o->crash_after_commits) {
        raise(SIGKILL); /* test hook: a crash right after a commit */
    }
    return 0;
}

static int writer_take(writer *w, batch_item *it)
{
    if (it->skipped) {
        emit(w->o, w->sum, it, 0, 0);
        drop_item(it);
        return 0;
    }
    if (!w->in_tx) {
        QTB_TRY(qtb_store_begin(w->s));
        w->in_tx = true;
        w->tx_started = now_seconds();
    }
    int64_t id = 0;
    int64_t version = 0;
    int rc = qtb_store_record(w->s, &id, &it->r, "batch", w->o->record_flags);
    if (rc == QTB_EEXISTS) {
        /* Recorded meanwhile by another run: the same content, so nothing to do. */
        it->skipped = true;
        emit(w->o, w->sum, it, 0, 0);
        drop_item(it);
        return 0;
    }
    if (rc == 0) {
        rc = qtb_store_link_evidence(w->s, id, w->evidence_ids, w->o->nevidence);
    }
    if (rc == 0) {
        rc = version_of(w->s, id, &version);
    }
    if (rc < 0) {
        drop_item(it);
        return rc;
    }
    w->p.items[w->p.n] = it;
    w->p.ids[w->p.n] = id;
    w->p.versions[w->p.n] = version;
    w->p.n++;
    if (w->o->crash_mid_transaction != 0 && w->sum->commits + 1 >= w->o->crash_mid_transaction &&
        w->p.n >= 2) {
        raise(SIGKILL); /* test hook: a crash inside an open transaction */
    }
    if (w->p.n >= w->commit_every || now_seconds() - w->tx_started >= w->commit_s) {
        QTB_TRY(writer_commit(w));
    }
    return 0;
}

static int write_all(writer *w, batch_shared *sh)
{
    int rc = 0;
    for (;;) {
        bool done = false;
        batch_item *it = next_item(sh, &done);
        if (done) {
            break;
        }
        if (it == NULL) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory in a worker");
        } else if (it->rc < 0) {
            rc = it->rc;
            drop_item(it);
        } else {
            rc = writer_take(w, it);
        }
        if (rc < 0) {
            stop_workers(sh);
            /* Drain what the workers still hand over so they can finish. */
            for (;;) {
                bool d2 = false;
                batch_item *rest = next_item(sh, &d2);
                if (d2) {
                    break;
                }
                drop_item(rest);
            }
            return rc;
        }
    }
    return writer_commit(w);
}

/* The run's shared evidence, stored before any submission (its own small transaction). */
static int store_evidence(int64_t **ids_out, qtb_store *s, const qtb_batch_options *o)
{
    *ids_out = NULL;
    if (o->nevidence == 0) {
        return 0;
    }
    int64_t *ids = qtb_calloc(o->nevidence, sizeof(*ids));
    if (ids == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    int rc = qtb_store_begin(s);
    for (size_t i = 0; rc == 0 && i < o->nevidence; i++) {
        rc = qtb_store_put_evidence(&ids[i], s, &o->evidence[i]);
    }
    rc = rc == 0 ? qtb_store_commit(s) : rc;
    if (rc < 0) {
        qtb_store_rollback(s);
        qtb_free(ids);
        return rc;
    }
    *ids_out = ids;
    return 0;
}

static unsigned job_count(const qtb_batch_options *o)
{
    unsigned jobs = o->jobs;
    if (jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? (unsigned)n : 1u;
    }
    return jobs > BATCH_MAX_JOBS ? BATCH_MAX_JOBS : jobs;
}

static int run(qtb_batch_summary *out, qtb_store *s, batch_shared *sh, unsigned jobs)
{
    int rc = 0;
    pthread_t threads[BATCH_MAX_JOBS];
    unsigned started = 0;
    writer w = {s, NULL, sh->opts, out, {NULL, NULL, NULL, 0}, 0, 0, 0, false};
    w.commit_every =
        sh->opts->commit_every != 0 ? sh->opts->commit_every : BATCH_DEFAULT_COMMIT_EVERY;
    w.commit_s =
        (sh->opts->commit_ms != 0 ? sh->opts->commit_ms : BATCH_DEFAULT_COMMIT_MS) / 1000.0;
    w.p.items = qtb_calloc(w.commit_every, sizeof(*w.p.items));
    w.p.ids = qtb_calloc(w.commit_every, sizeof(*w.p.ids));
    w.p.versions = qtb_calloc(w.commit_every, sizeof(*w.p.versions));
    QTB_TRY_GOTO(store_evidence(&w.evidence_ids, s, sh->opts));
    sh->qcap = (size_t)jobs * 2 + 8;
    sh->queue = qtb_calloc(sh->qcap, sizeof(*sh->queue));
    if (w.p.items == NULL || w.p.ids == NULL || w.p.versions == NULL || sh->queue == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    sh->workers_left = jobs;
    for (; started < jobs; started++) {
        if (pthread_create(&threads[started], NULL, worker, sh) != 0) {
            pthread_mutex_lock(&sh->mu);
            sh->workers_left -= jobs - started;
            pthread_mutex_unlock(&sh->mu);
            if (started == 0) {
                rc = QTB_FAIL(QTB_EGENERIC, "cannot start a worker thread");
                goto done;
            }
            break;
        }
    }
    rc = write_all(&w, sh);
    if (rc < 0) {
        qtb_store_rollback(s);
        pending_clear(&w.p, false, sh->opts, out);
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
done:
    qtb_free(w.evidence_ids);
    qtb_free(w.p.items);
    qtb_free(w.p.ids);
    qtb_free(w.p.versions);
    qtb_free(sh->queue);
    return rc;
}

int qtb_batch_run(qtb_batch_summary *out, qtb_store *s, const char *inbox,
                  const qtb_batch_options *opts)
{
    QTB_ASSERT_ARG(out != NULL && s != NULL && inbox != NULL && opts != NULL);
    QTB_ASSERT_ARG(opts->version == QTB_BATCH_OPTIONS_VERSION);
    memset(out, 0, sizeof(*out));
    double t0 = now_seconds();
    int rc = 0;
    batch_shared sh;
    memset(&sh, 0, sizeof(sh));
    sh.opts = opts;
    sh.ctx = opts->pipeline;
    unsigned char *index = NULL;
    sh.root = realpath(inbox, NULL);
    if (sh.root == NULL) {
        return QTB_FAIL(QTB_EIO, "inbox %s: %s", inbox, strerror(errno));
    }
    sh.ctx.inbox_root = sh.root;
    qtb_cert_cache *own_cache = NULL;
    if (sh.ctx.cert_cache == NULL) {
        /* The same few signers and CAs recur across an inbox: decode each certificate once. */
        rc = qtb_cert_cache_new(&own_cache, 0);
        if (rc < 0) {
            free(sh.root);
            return rc;
        }
        sh.ctx.cert_cache = own_cache;
    }
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.not_empty, NULL);
    pthread_cond_init(&sh.not_full, NULL);
    /* Once, before any worker parses XML: libxml2 2.9 builds its schema type table lazily and
     * without a lock, so two workers validating their first applicant.xml at once leaked one
     * (qtb_library_init does that once per process, with the OpenSSL providers). */
    qtb_library_init();
    QTB_TRY_GOTO(list_inbox(&sh.names, &sh.nnames, sh.root));
    QTB_TRY_GOTO(qtb_store_content_index(&index, &sh.nindex, s, opts->record_flags));
    sh.index = index;
    out->total = sh.nnames;
    if (sh.nnames > 0) {
        unsigned jobs = job_count(opts);
        if (jobs > sh.nnames) {
            jobs = (unsigned)sh.nnames;
        }
        rc = run(out, s, &sh, jobs);
    }
done:
    out->seconds = now_seconds() - t0;
    qtb_free(index);
    free_names(sh.names, sh.nnames);
    pthread_cond_destroy(&sh.not_full);
    pthread_cond_destroy(&sh.not_empty);
    pthread_mutex_destroy(&sh.mu);
    free(sh.root);
    qtb_cert_cache_free(own_cache);
    return rc;
}
