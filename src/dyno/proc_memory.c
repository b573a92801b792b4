#include "dyno/proc_memory.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "Name:   1234 kB": true and *kb when line is the field key. */
static bool field_kb(const char *line, size_t n, const char *key, unsigned long long *kb)
{
    size_t k = strlen(key);
    if (n <= k || memcmp(line, key, k) != 0 || line[k] != ':')
        return false;
    size_t i = k + 1;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i >= n || line[i] < '0' || line[i] > '9')
        return false;
    unsigned long long v = 0;
    for (; i < n && line[i] >= '0' && line[i] <= '9'; i++) {
        if (v > (~0ULL >> 4))
            return false; /* past 2^60 kB: not a real value */
        v = v * 10 + (unsigned)(line[i] - '0');
    }
    while (i < n && line[i] == ' ')
        i++;
    if (n - i != 2 || line[i] != 'k' || line[i + 1] != 'B')
        return false;
    *kb = v;
    return true;
}

/* Adds without wrapping: a sum past 2^62 kB is nonsense anyway. */
static void add_kb(unsigned long long *sum, unsigned long long v)
{
    *sum = *sum + v < *sum ? ~0ULL : *sum + v;
}

void smaps_feed(struct smaps_acc *acc, const char *line, size_t n)
{
    unsigned long long v;
    /* Most lines start with a lower-case hex address or another field. */
    if (n < 4)
        return;
    if (field_kb(line, n, "Rss", &v)) {
        add_kb(&acc->rss, v);
        acc->seen_rss = true;
    } else if (field_kb(line, n, "Pss", &v)) {
        add_kb(&acc->pss, v);
        acc->seen_pss = true;
    } else if (field_kb(line, n, "Swap", &v)) {
        add_kb(&acc->swap, v);
    } else if (field_kb(line, n, "SwapPss", &v)) {
        add_kb(&acc->swap_pss, v);
        acc->seen_swap_pss = true;
    }
}

bool smaps_result(const struct smaps_acc *acc, struct proc_mem *out)
{
    if (!acc->seen_rss)
        return false;
    out->rss_kb = acc->rss;
    out->pss_kb = acc->seen_pss ? acc->pss : acc->rss;
    out->swap_kb = acc->seen_swap_pss ? acc->swap_pss : acc->swap;
    return true;
}

void status_feed(struct smaps_acc *acc, const char *line, size_t n)
{
    unsigned long long v;
    if (field_kb(line, n, "VmRSS", &v)) {
        acc->rss = v;
        acc->seen_rss = true;
    } else if (field_kb(line, n, "VmSwap", &v)) {
        acc->swap = v;
    }
}

bool status_result(const struct smaps_acc *acc, struct proc_mem *out)
{
    if (!acc->seen_rss)
        return false;
    out->rss_kb = out->pss_kb = acc->rss;
    out->swap_kb = acc->swap;
    return true;
}

static void feed_lines(const char *text, size_t n, struct smaps_acc *acc,
                       void (*feed)(struct smaps_acc *, const char *, size_t))
{
    while (n) {
        const char *nl = memchr(text, '\n', n);
        size_t len = nl ? (size_t)(nl - text) : n;
        feed(acc, text, len);
        if (!nl)
            break;
        text += len + 1;
        n -= len + 1;
    }
}

bool smaps_parse(const char *text, size_t n, struct proc_mem *out)
{
    struct smaps_acc acc = {0};
    feed_lines(text, n, &acc, smaps_feed);
    return smaps_result(&acc, out);
}

bool status_parse(const char *text, size_t n, struct proc_mem *out)
{
    struct smaps_acc acc = {0};
    feed_lines(text, n, &acc, status_feed);
    return status_result(&acc, out);
}

static bool smaps_line(void *ctx, const char *s, size_t n)
{
    smaps_feed(ctx, s, n);
    return true;
}

static bool status_line(void *ctx, const char *s, size_t n)
{
    status_feed(ctx, s, n);
    return true;
}

/* Which file this kernel has, found on the first read: 0 smaps_rollup,
 * 1 smaps, 2 status. */
static int source_in_use;

enum proc_read proc_mem_read(pid_t pid, struct proc_mem *out)
{
    static const char *const files[] = {"smaps_rollup", "smaps", "status"};
    char path[64];
    enum proc_read last = PROC_READ_GONE;
    for (int s = source_in_use; s < 3; s++) {
        struct smaps_acc acc = {0};
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, files[s]);
        last = proc_read_lines(path, s < 2 ? smaps_line : status_line, &acc);
        if (last == PROC_READ_OK) {
            if (s < 2 ? smaps_result(&acc, out) : status_result(&acc, out))
                return PROC_READ_OK;
            /* Empty: a zombie has no memory left to count. */
            last = PROC_READ_GONE;
            continue;
        }
        if (last == PROC_READ_FAILED)
            continue; /* smaps needs ptrace access, status does not */
        /* Missing: the process ended, or this kernel lacks the file (then
         * skip it for every process from now on). */
        snprintf(path, sizeof path, "/proc/%d", (int)pid);
        if (access(path, F_OK) != 0)
            return PROC_READ_GONE;
        source_in_use = s + 1 < 3 ? s + 1 : 2;
    }
    return last;
}

bool parse_proc_stat(const char *text, size_t n, struct proc_stat *out)
{
    const char *close = NULL;
    for (size_t i = n; i > 0; i--)
        if (text[i - 1] == ')') {
            close = text + i - 1;
            break;
        }
    if (!close || !memchr(text, '(', (size_t)(close - text)))
        return false;
    /* Fields 3 (state) to 24, after ") ". */
    size_t i = (size_t)(close - text) + 1;
    unsigned long long v[25] = {0};
    for (int field = 3; field <= 24; field++) {
        if (i >= n || text[i] != ' ')
            return false;
        i++;
        if (field == 3) { /* one letter */
            if (i >= n || text[i] < 'A' || text[i] > 'z')
                return false;
            out->state = text[i];
            i++;
            continue;
        }
        bool negative = i < n && text[i] == '-';
        if (negative)
            i++;
        if (i >= n || text[i] < '0' || text[i] > '9')
            return false;
        unsigned long long x = 0;
        for (; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
            if (x > (~0ULL - 9) / 10)
                return false;
            x = x * 10 + (unsigned)(text[i] - '0');
        }
        /* Only tty_nr, tpgid, priority, nice and the like may be negative. */
        if (negative && (field == 4 || field == 5 || field == 20 || field == 22 || field == 24))
            return false;
        v[field] = x;
    }
    if (i < n && text[i] != ' ' && text[i] != '\n')
        return false;
    if (v[4] > 0x3fffffff || v[5] > 0x3fffffff || v[20] > 0x3fffffff)
        return false;
    out->ppid = (long long)v[4];
    out->pgrp = (long long)v[5];
    out->num_threads = (long long)v[20];
    out->starttime = v[22];
    out->rss_pages = v[24];
    return true;
}

enum proc_read proc_stat_read(pid_t pid, struct proc_stat *out)
{
    char path[64], buf[1024];
    size_t n;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    enum proc_read rc = proc_read_small(path, buf, sizeof buf, &n);
    if (rc != PROC_READ_OK)
        return rc;
    return parse_proc_stat(buf, n, out) ? PROC_READ_OK : PROC_READ_FAILED;
}

long parse_pid_list(const char *text, size_t n, pid_t *out, size_t cap)
{
    long count = 0;
    size_t i = 0;
    for (;;) {
        while (i < n && (text[i] == ' ' || text[i] == '\n'))
            i++;
        if (i >= n)
            return count;
        if (text[i] < '0' || text[i] > '9')
            return -1;
        long long v = 0;
        for (; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
            v = v * 10 + (text[i] - '0');
            if (v > 0x3fffffff) /* PID_MAX_LIMIT is 2^22 */
                return -1;
        }
        if (i < n && text[i] != ' ' && text[i] != '\n')
            return -1;
        if (v == 0)
            return -1;
        if ((size_t)count < cap)
            out[count] = (pid_t)v;
        count++;
    }
}
