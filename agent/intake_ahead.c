/* intake_ahead.c - parsing messages ahead of their storing (intake_ahead.h).
 *
 * One GThreadPool of a few threads runs intake_parse(); a FIFO of jobs keeps
 * the order. A job's result is published under one mutex and its condition
 * variable, which the storing thread waits on only when the oldest job is
 * not parsed yet. */
#include "intake_ahead.h"

/* A third thread would only queue behind the first two on the 2-core machines
 * this runs on; four leave room on larger ones without flooding them. */
#define AHEAD_THREADS 4

typedef struct {
    const guint8 *raw;
    gsize len;
    gpointer tag;
    IntakeParsed *parsed; /* set by a pool thread, under IntakeAhead.lock; never NULL then */
} Job;

struct IntakeAhead {
    Intake *intake;
    GThreadPool *pool;
    GQueue jobs; /* Job*, oldest first */
    gsize bytes;
    GMutex lock;
    GCond parsed;
};

static void parse_job(gpointer data, gpointer user_data)
{
    Job *job = data;
    IntakeAhead *a = user_data;
    IntakeParsed *parsed = intake_parse(a->intake, job->raw, job->len);
    g_mutex_lock(&a->lock);
    job->parsed = parsed;
    g_cond_broadcast(&a->parsed);
    g_mutex_unlock(&a->lock);
}

IntakeAhead *intake_ahead_new(Intake *intake)
{
    IntakeAhead *a = g_new0(IntakeAhead, 1);
    a->intake = intake;
    g_queue_init(&a->jobs);
    g_mutex_init(&a->lock);
    g_cond_init(&a->parsed);
    a->pool = g_thread_pool_new(parse_job, a, (gint)CLAMP(g_get_num_processors(), 1, AHEAD_THREADS),
                                FALSE, NULL);
    if (!a->pool) {
        intake_ahead_free(&a);
        return NULL;
    }
    return a;
}

void intake_ahead_push(IntakeAhead *a, const guint8 *raw, gsize len, gpointer tag)
{
    Job *job = g_new0(Job, 1);
    job->raw = raw;
    job->len = len;
    job->tag = tag;
    g_queue_push_tail(&a->jobs, job);
    a->bytes += len;
    g_thread_pool_push(a->pool, job, NULL);
}

IntakeParsed *intake_ahead_pop(IntakeAhead *a, gpointer *tag_r, const guint8 **raw_r, gsize *len_r)
{
    Job *job = g_queue_pop_head(&a->jobs);
    if (!job)
        return NULL;
    g_mutex_lock(&a->lock);
    while (!job->parsed)
        g_cond_wait(&a->parsed, &a->lock);
    g_mutex_unlock(&a->lock);
    a->bytes -= job->len;
    IntakeParsed *parsed = job->parsed;
    if (tag_r)
        *tag_r = job->tag;
    if (raw_r)
        *raw_r = job->raw;
    if (len_r)
        *len_r = job->len;
    g_free(job);
    return parsed;
}

guint intake_ahead_length(const IntakeAhead *a)
{
    return a->jobs.length;
}

gsize intake_ahead_bytes(const IntakeAhead *a)
{
    return a->bytes;
}

void intake_ahead_free(IntakeAhead **ahead)
{
    IntakeAhead *a = ahead ? *ahead : NULL;
    if (!a)
        return;
    /* wait for the running parses before their jobs go */
    if (a->pool)
        g_thread_pool_free(a->pool, FALSE, TRUE);
    Job *job;
    while ((job = g_queue_pop_head(&a->jobs))) {
        intake_parsed_free(&job->parsed);
        g_free(job);
    }
    g_mutex_clear(&a->lock);
    g_cond_clear(&a->parsed);
    g_free(a);
    *ahead = NULL;
}
