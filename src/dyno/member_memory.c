#include "dyno/member_memory.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "dyno/proc_file.h"
#include "dyno/proc_memory.h"

/* An owner not decided yet: one of our own children. */
#define OWNER_UNKNOWN (-2)

static void push(struct member_walk *w, pid_t pid, int owner)
{
    if (w->stack_n == w->stack_cap) {
        size_t cap = w->stack_cap;
        w->stack = xgrow(w->stack, w->stack_n, &cap, sizeof *w->stack);
        w->stack_owner = xrealloc(w->stack_owner, cap * sizeof *w->stack_owner);
        w->stack_cap = cap;
    }
    w->stack[w->stack_n] = pid;
    w->stack_owner[w->stack_n++] = owner;
}

static void push_children_file(struct member_walk *w, const char *file, int owner)
{
    /* PIDs are at most 7 digits: 8 bytes per child. */
    char buf[2048];
    size_t len;
    if (proc_read_small(file, buf, sizeof buf, &len) != PROC_READ_OK)
        return;
    if (!w->kids) {
        w->kids_cap = sizeof buf / 2;
        w->kids = xrealloc(NULL, w->kids_cap * sizeof *w->kids);
    }
    long count = parse_pid_list(buf, len, w->kids, w->kids_cap);
    for (long k = 0; k < count && (size_t)k < w->kids_cap; k++)
        push(w, w->kids[k], owner);
}

/* Pushes the children of every thread of pid, with owner. */
static void push_children(struct member_walk *w, pid_t pid, long long threads, int owner)
{
    char file[96];
    if (threads == 1) { /* most processes: no need to list the threads */
        snprintf(file, sizeof file, "/proc/%d/task/%d/children", (int)pid, (int)pid);
        push_children_file(w, file, owner);
        return;
    }
    snprintf(file, sizeof file, "/proc/%d/task", (int)pid);
    DIR *d = opendir(file);
    if (!d)
        return; /* ended meanwhile */
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(file, sizeof file, "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
        push_children_file(w, file, owner);
    }
    closedir(d);
}

static int by_pid(const void *a, const void *b)
{
    pid_t x = ((const struct proc_entry *)a)->pid, y = ((const struct proc_entry *)b)->pid;
    return (x > y) - (x < y);
}

/* The previous sample's entry for the same process, or NULL. */
static const struct proc_entry *previous(const struct member_walk *w, pid_t pid,
                                         unsigned long long starttime)
{
    struct proc_entry key = {.pid = pid};
    const struct proc_entry *p = w->prev_n ? bsearch(&key, w->prev, w->prev_n, sizeof key, by_pid) : NULL;
    return p && p->starttime == starttime ? p : NULL;
}

/* Which member one of our own children belongs to. */
static int top_owner(const struct member_walk *w, pid_t pid, const struct proc_stat *st,
                     const pid_t *groups, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (groups[i] > 0 && (groups[i] == pid || groups[i] == st->pgrp))
            return (int)i;
    const struct proc_entry *p = previous(w, pid, st->starttime);
    return p ? p->owner : -1;
}

/* Finds the dyno's processes: w->cur, with owners and RSS, sorted by pid. */
static void find_processes(struct member_walk *w, const pid_t *groups, size_t n, long page_kb)
{
    w->stack_n = w->cur_n = 0;
    char self[64];
    snprintf(self, sizeof self, "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
    push_children_file(w, self, OWNER_UNKNOWN);

    while (w->stack_n > 0 && w->cur_n < MEMBER_MEMORY_MAX_PROCS) {
        w->stack_n--;
        pid_t pid = w->stack[w->stack_n];
        int owner = w->stack_owner[w->stack_n];
        struct proc_stat st;
        if (proc_stat_read(pid, &st) != PROC_READ_OK || st.state == 'Z' || st.state == 'X')
            continue; /* ended meanwhile, or a zombie: no memory left */
        if (owner == OWNER_UNKNOWN)
            owner = top_owner(w, pid, &st, groups, n);
        if (w->cur_n == w->cur_cap)
            w->cur = xgrow(w->cur, w->cur_n, &w->cur_cap, sizeof *w->cur);
        w->cur[w->cur_n++] = (struct proc_entry){
            .pid = pid, .owner = owner, .starttime = st.starttime, .rss_kb = st.rss_pages * page_kb};
        push_children(w, pid, st.num_threads, owner);
    }
    qsort(w->cur, w->cur_n, sizeof *w->cur, by_pid);
}

/* Whether the set of processes of each member (and of none: index n)
 * changed since the previous sample: w->counts[i] is 1 if it did. */
static void find_changes(struct member_walk *w, size_t n)
{
    size_t slots = 3 * (n + 1);
    if (w->counts_cap < slots) {
        w->counts = xrealloc(w->counts, slots * sizeof *w->counts);
        w->counts_cap = slots;
    }
    unsigned *now = w->counts, *kept = now + n + 1, *before = kept + n + 1;
    memset(w->counts, 0, slots * sizeof *w->counts);
    for (size_t k = 0; k < w->cur_n; k++) {
        const struct proc_entry *e = &w->cur[k];
        size_t o = e->owner >= 0 ? (size_t)e->owner : n;
        now[o]++;
        const struct proc_entry *p = previous(w, e->pid, e->starttime);
        if (p && p->owner == e->owner)
            kept[o]++;
    }
    for (size_t k = 0; k < w->prev_n; k++) {
        int owner = w->prev[k].owner;
        before[owner >= 0 && (size_t)owner < n ? (size_t)owner : n]++;
    }
    for (size_t o = 0; o <= n; o++)
        now[o] = now[o] != kept[o] || before[o] != kept[o];
}

static unsigned long long diff(unsigned long long a, unsigned long long b)
{
    return a > b ? a - b : b - a;
}

void member_memory_sample(struct member_walk *w, const pid_t *groups, size_t n, bool exact,
                          struct member_memory *out, struct member_memory *others)
{
    memset(out, 0, n * sizeof *out);
    memset(others, 0, sizeof *others);
    long page = sysconf(_SC_PAGESIZE);
    find_processes(w, groups, n, page > 0 ? page / 1024 : 4);
    find_changes(w, n);
    const unsigned *changed = w->counts;

    for (size_t k = 0; k < w->cur_n; k++) {
        struct proc_entry *e = &w->cur[k];
        size_t o = e->owner >= 0 && (size_t)e->owner < n ? (size_t)e->owner : n;
        const struct proc_entry *p = previous(w, e->pid, e->starttime);
        /* Spread the periodic reads over samples: not all at once. */
        unsigned due = PSS_REFRESH_SAMPLES - (unsigned)(e->pid % 16);
        unsigned long long moved = p ? diff(e->rss_kb, p->base_rss_kb) : 0;
        bool read = exact || changed[o] || !p || p->age + 1 >= due ||
                    (moved > 4096 && moved > p->base_rss_kb / 16);
        unsigned long long pss, swap;
        struct proc_mem m;
        if (read && proc_mem_read(e->pid, &m) == PROC_READ_OK) {
            w->pss_reads++;
            e->base_rss_kb = e->rss_kb;
            e->base_pss_kb = pss = m.pss_kb;
            e->base_swap_kb = swap = m.swap_kb;
            e->age = 0;
        } else if (p) {
            /* PSS follows RSS: what a process allocates is its own. */
            e->base_rss_kb = p->base_rss_kb;
            e->base_pss_kb = p->base_pss_kb;
            e->base_swap_kb = swap = p->base_swap_kb;
            e->age = p->age + 1;
            long long est = (long long)p->base_pss_kb + ((long long)e->rss_kb - (long long)p->base_rss_kb);
            pss = est > 0 ? (unsigned long long)est : 0;
        } else {
            /* smaps not readable (another user's process): RSS stands in. */
            e->base_rss_kb = e->base_pss_kb = pss = e->rss_kb;
            e->base_swap_kb = swap = 0;
            e->age = 0;
        }
        struct member_memory *into = o < n ? &out[o] : others;
        into->rss_kb += e->rss_kb;
        into->pss_kb += pss;
        into->swap_kb += swap;
        into->procs++;
    }

    /* This sample is the next one's memory. */
    struct proc_entry *t = w->prev;
    size_t tcap = w->prev_cap;
    w->prev = w->cur;
    w->prev_n = w->cur_n;
    w->prev_cap = w->cur_cap;
    w->cur = t;
    w->cur_cap = tcap;
    w->cur_n = 0;
}

void member_walk_free(struct member_walk *w)
{
    free(w->prev);
    free(w->cur);
    free(w->stack);
    free(w->stack_owner);
    free(w->kids);
    free(w->counts);
    memset(w, 0, sizeof *w);
}
