/* gzip output for solodyno-slug: zlib's deflate on worker threads, in the way
 * pigz does it.
 *
 * The input is cut into BLOCK-byte blocks. Each block is deflated on its own
 * (raw deflate) with the last 32 KiB of the block before it as the dictionary,
 * so matches can reach back across the cut as in one stream. A block ends with
 * a sync flush (an empty stored block: byte-aligned, not final), except the
 * last, which ends the stream; the blocks' outputs concatenated are therefore
 * one deflate stream. The gzip trailer's CRC-32 is combined from the blocks'
 * CRCs with crc32_combine. Blocks are cut at fixed offsets, so the output is
 * the same for any number of threads.
 *
 * The calling thread fills blocks and writes the finished ones in order (and
 * hashes them); `threads` workers deflate. With one worker that is still two
 * threads, like `tar | gzip`: reading files and compressing overlap.
 *
 * As in pigz, a block's input buffer goes back to a small pool as soon as it
 * is deflated, not when its output is written: if the worker holding the
 * oldest block is slowed down (a busy machine), the other workers keep
 * deflating later blocks, whose output waits in the ring of sequence numbers.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "slug/slug.h"

#define BLOCK (128 * 1024) /* pigz's default block size */
#define DICT (32 * 1024)   /* deflate's window */

enum job_state { JOB_FREE, JOB_QUEUED, JOB_WORKING, JOB_DONE };

struct job {
    unsigned char *in;   /* from the pool: DICT bytes of dictionary room, then the block */
    size_t dict_len, in_len;
    unsigned char *out;  /* the slot's own, allocated on first use, reused */
    size_t out_len, out_cap;
    uLong crc;
    bool last;
    bool failed;
    enum job_state state;
};

struct gz_writer {
    int fd;
    const char *label;   /* the output's name, for messages */
    int level;
    uint64_t max_out;
    size_t njobs;
    struct job *jobs;    /* a ring: job for sequence number s is jobs[s % njobs] */
    uint64_t head;       /* sequence number of the block being filled */
    uint64_t tail;       /* oldest block not yet written */
    uint64_t take;       /* next queued block for a worker */
    bool shutdown;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* a block was queued, or shutdown */
    pthread_cond_t done;  /* a block was deflated (and its input buffer freed) */
    unsigned char **bufs; /* every input buffer, for freeing */
    size_t nbufs;
    unsigned char **pool; /* the free ones */
    size_t npool;
    unsigned char dict[DICT]; /* the end of the last submitted block */
    size_t dict_len;
    pthread_t *threads;
    int nthreads;
    uLong crc;
    uint64_t bytes_in, bytes_out;
    struct sha256 sha;
    unsigned char digest[SHA256_DIGEST_LEN];
    bool over_limit;
    bool broken;         /* an error happened: nothing more is written */
};

static const unsigned char gzip_header[10] = {
    0x1f, 0x8b, /* magic */
    8,          /* deflate */
    0,          /* flags: no name, no comment, no extra field */
    0, 0, 0, 0, /* no modification time: the same input gives the same bytes */
    0,          /* extra flags */
    3,          /* OS: Unix */
};

/* Deflates one block. Runs on a worker thread with its own z_stream. */
static void deflate_job(z_stream *zs, struct job *j)
{
    j->failed = false;
    if (!j->out) {
        j->out_cap = BLOCK + BLOCK / 8 + 1024; /* grows if ever needed */
        j->out = malloc(j->out_cap);
        if (!j->out) {
            j->failed = true;
            return;
        }
    }
    j->crc = crc32(0L, j->in + DICT, (uInt)j->in_len);
    if (deflateReset(zs) != Z_OK ||
        (j->dict_len && deflateSetDictionary(zs, j->in + DICT - j->dict_len, (uInt)j->dict_len) != Z_OK)) {
        j->failed = true;
        return;
    }
    zs->next_in = j->in + DICT;
    zs->avail_in = (uInt)j->in_len;
    j->out_len = 0;
    int flush = j->last ? Z_FINISH : Z_SYNC_FLUSH;
    for (;;) {
        if (j->out_len == j->out_cap) {
            unsigned char *bigger = realloc(j->out, j->out_cap * 2);
            if (!bigger) {
                j->failed = true;
                return;
            }
            j->out = bigger;
            j->out_cap *= 2;
        }
        zs->next_out = j->out + j->out_len;
        zs->avail_out = (uInt)(j->out_cap - j->out_len);
        int rc = deflate(zs, flush);
        j->out_len = j->out_cap - zs->avail_out;
        if (rc == Z_STREAM_END)
            return;
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            j->failed = true;
            return;
        }
        /* A sync flush is complete when deflate left room in the buffer. */
        if (!j->last && zs->avail_in == 0 && zs->avail_out > 0)
            return;
    }
}

static void *worker(void *arg)
{
    struct gz_writer *gz = arg;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* Raw deflate (negative window bits): we write gzip's header and trailer. */
    bool ok = deflateInit2(&zs, gz->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    pthread_mutex_lock(&gz->mu);
    for (;;) {
        while (!gz->shutdown && gz->take == gz->head)
            pthread_cond_wait(&gz->work, &gz->mu);
        if (gz->take == gz->head) /* shutdown with nothing queued */
            break;
        struct job *j = &gz->jobs[gz->take % gz->njobs];
        gz->take++;
        j->state = JOB_WORKING;
        pthread_mutex_unlock(&gz->mu);
        if (ok)
            deflate_job(&zs, j);
        else
            j->failed = true;
        pthread_mutex_lock(&gz->mu);
        gz->pool[gz->npool++] = j->in;
        j->in = NULL;
        j->state = JOB_DONE;
        pthread_cond_broadcast(&gz->done);
    }
    pthread_mutex_unlock(&gz->mu);
    if (ok)
        deflateEnd(&zs);
    return NULL;
}

static int write_all(struct gz_writer *gz, const unsigned char *p, size_t n, strbuf *err)
{
    if (gz->max_out && gz->bytes_out + n > gz->max_out) {
        gz->over_limit = true;
        gz->broken = true;
        sb_printf(err, "the compressed slug is over the limit of %llu bytes",
                  (unsigned long long)gz->max_out);
        return -1;
    }
    sha256_update(&gz->sha, p, n);
    gz->bytes_out += n;
    while (n > 0) {
        ssize_t w = write(gz->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            gz->broken = true;
            sb_printf(err, "writing %s: %s", gz->label, strerror(e));
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Waits for the oldest block, writes it, frees its slot. Caller holds no lock. */
static int write_oldest(struct gz_writer *gz, strbuf *err)
{
    struct job *j = &gz->jobs[gz->tail % gz->njobs];
    pthread_mutex_lock(&gz->mu);
    while (j->state != JOB_DONE)
        pthread_cond_wait(&gz->done, &gz->mu);
    pthread_mutex_unlock(&gz->mu);
    if (j->failed) {
        gz->broken = true;
        sb_printf(err, "zlib could not deflate a block (out of memory?)");
        return -1;
    }
    gz->crc = crc32_combine(gz->crc, j->crc, (z_off_t)j->in_len);
    gz->bytes_in += j->in_len;
    int rc = write_all(gz, j->out, j->out_len, err);
    j->state = JOB_FREE;
    gz->tail++;
    return rc;
}

/* Writes the finished blocks at the head of the ring, without waiting. */
static int write_ready(struct gz_writer *gz, strbuf *err)
{
    while (gz->tail < gz->head) {
        struct job *t = &gz->jobs[gz->tail % gz->njobs];
        pthread_mutex_lock(&gz->mu);
        bool ready = t->state == JOB_DONE;
        pthread_mutex_unlock(&gz->mu);
        if (!ready)
            break;
        if (write_oldest(gz, err) < 0)
            return -1;
    }
    return 0;
}

/* Hands the block being filled to the workers and starts the next one. */
static int submit(struct gz_writer *gz, bool last, strbuf *err)
{
    struct job *j = &gz->jobs[gz->head % gz->njobs];
    j->last = last;
    /* The next block's dictionary: the last 32 KiB before it. Copied now, as
     * the buffer goes back to the pool once deflated. */
    if (!last) {
        size_t have = j->dict_len + j->in_len;
        gz->dict_len = have < DICT ? have : DICT;
        memcpy(gz->dict, j->in + DICT + j->in_len - gz->dict_len, gz->dict_len);
    }
    pthread_mutex_lock(&gz->mu);
    j->state = JOB_QUEUED;
    gz->head++;
    pthread_cond_signal(&gz->work);
    pthread_mutex_unlock(&gz->mu);
    if (last)
        return 0;
    /* The next slot of the ring must be free: write out the oldest blocks until it is. */
    while (gz->head - gz->tail >= gz->njobs)
        if (write_oldest(gz, err) < 0)
            return -1;
    /* An input buffer for it: wait for a worker to free one, writing whatever
     * is finished meanwhile. */
    struct job *next = &gz->jobs[gz->head % gz->njobs];
    for (;;) {
        if (write_ready(gz, err) < 0)
            return -1;
        pthread_mutex_lock(&gz->mu);
        if (gz->npool > 0) {
            next->in = gz->pool[--gz->npool];
            pthread_mutex_unlock(&gz->mu);
            break;
        }
        struct job *oldest = &gz->jobs[gz->tail % gz->njobs];
        if (oldest->state != JOB_DONE)
            pthread_cond_wait(&gz->done, &gz->mu);
        pthread_mutex_unlock(&gz->mu);
    }
    next->dict_len = gz->dict_len;
    memcpy(next->in + DICT - next->dict_len, gz->dict, next->dict_len);
    next->in_len = 0;
    return 0;
}

struct gz_writer *gz_open(int fd, const char *label, int threads, int level, uint64_t max_out,
                          strbuf *err)
{
    struct gz_writer *gz = calloc(1, sizeof *gz);
    if (!gz) {
        sb_printf(err, "out of memory");
        return NULL;
    }
    gz->fd = fd;
    gz->label = label;
    gz->level = level;
    gz->max_out = max_out;
    gz->crc = crc32(0L, Z_NULL, 0);
    sha256_init(&gz->sha);
    /* Input buffers: two per thread plus three, as pigz has; a buffer is free
     * again once deflated. The ring of sequence numbers is longer, so finished
     * blocks can wait there behind a slow one (output buffers, about 150 KB
     * each, are allocated as slots are first used). */
    gz->nbufs = (size_t)threads * 2 + 3;
    gz->njobs = (size_t)threads * 16 + 8;
    gz->jobs = calloc(gz->njobs, sizeof *gz->jobs);
    gz->bufs = calloc(gz->nbufs, sizeof *gz->bufs);
    gz->pool = calloc(gz->nbufs, sizeof *gz->pool);
    pthread_mutex_init(&gz->mu, NULL);
    pthread_cond_init(&gz->work, NULL);
    pthread_cond_init(&gz->done, NULL);
    if (!gz->jobs || !gz->bufs || !gz->pool)
        goto oom;
    for (size_t i = 0; i < gz->nbufs; i++) {
        gz->bufs[i] = malloc(DICT + BLOCK);
        if (!gz->bufs[i])
            goto oom;
        gz->pool[gz->npool++] = gz->bufs[i];
    }
    gz->jobs[0].in = gz->pool[--gz->npool]; /* the first block to fill */
    gz->threads = calloc((size_t)threads, sizeof *gz->threads);
    if (!gz->threads)
        goto oom;
    /* Workers never take the signals meant for the program's cleanup. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&gz->threads[i], NULL, worker, gz) != 0)
            break;
        gz->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (gz->nthreads == 0) {
        sb_printf(err, "cannot start a compression thread");
        gz_free(gz);
        return NULL;
    }
    if (write_all(gz, gzip_header, sizeof gzip_header, err) < 0) {
        gz_free(gz);
        return NULL;
    }
    return gz;
oom:
    sb_printf(err, "out of memory");
    gz_free(gz);
    return NULL;
}

int gz_write(struct gz_writer *gz, const void *data, size_t len, strbuf *err)
{
    const unsigned char *p = data;
    if (gz->broken)
        return -1; /* the error was reported when it happened */
    while (len > 0) {
        struct job *j = &gz->jobs[gz->head % gz->njobs];
        size_t room = BLOCK - j->in_len;
        size_t n = len < room ? len : room;
        memcpy(j->in + DICT + j->in_len, p, n);
        j->in_len += n;
        p += n;
        len -= n;
        if (j->in_len == BLOCK && submit(gz, false, err) < 0)
            return -1;
    }
    return 0;
}

int gz_finish(struct gz_writer *gz, strbuf *err)
{
    if (gz->broken)
        return -1; /* the error was reported when it happened */
    submit(gz, true, err);
    while (gz->tail < gz->head)
        if (write_oldest(gz, err) < 0)
            return -1;
    unsigned char trailer[8];
    uint32_t crc = (uint32_t)gz->crc, isize = (uint32_t)gz->bytes_in; /* size mod 2^32 */
    for (int i = 0; i < 4; i++) {
        trailer[i] = (unsigned char)(crc >> (8 * i));
        trailer[4 + i] = (unsigned char)(isize >> (8 * i));
    }
    if (write_all(gz, trailer, sizeof trailer, err) < 0)
        return -1;
    sha256_final(&gz->sha, gz->digest);
    return 0;
}

void gz_free(struct gz_writer *gz)
{
    if (!gz)
        return;
    pthread_mutex_lock(&gz->mu);
    gz->shutdown = true;
    pthread_cond_broadcast(&gz->work);
    pthread_mutex_unlock(&gz->mu);
    for (int i = 0; i < gz->nthreads; i++)
        pthread_join(gz->threads[i], NULL);
    if (gz->jobs)
        for (size_t i = 0; i < gz->njobs; i++)
            free(gz->jobs[i].out);
    if (gz->bufs)
        for (size_t i = 0; i < gz->nbufs; i++)
            free(gz->bufs[i]);
    free(gz->bufs);
    free(gz->pool);
    free(gz->jobs);
    free(gz->threads);
    pthread_mutex_destroy(&gz->mu);
    pthread_cond_destroy(&gz->work);
    pthread_cond_destroy(&gz->done);
    free(gz);
}

uint64_t gz_bytes_in(const struct gz_writer *gz) { return gz->bytes_in; }
uint64_t gz_bytes_out(const struct gz_writer *gz) { return gz->bytes_out; }
bool gz_over_limit(const struct gz_writer *gz) { return gz->over_limit; }

void gz_digest(const struct gz_writer *gz, unsigned char digest[SHA256_DIGEST_LEN])
{
    memcpy(digest, gz->digest, SHA256_DIGEST_LEN);
}
