/* The memory of each member of `solodyno run`, over all its processes.
 *
 * The processes are found by walking the process tree down from the
 * supervisor (/proc/PID/task/TID/children: a child belongs to the thread that
 * forked it, so every thread is read, as ImageMagick is started from a
 * Sidekiq job's thread). Only the dyno's own processes are visited, however
 * many others the machine runs. A process belongs to the member whose tree it
 * is in; an orphan re-parented to us (we are a child subreaper) belongs to the
 * member whose process group it is in, else to the member it belonged to at
 * the previous sample; else to no member (counted apart).
 *
 * Cost. /proc/PID/stat (RSS, threads, process group) is a few counters; PSS
 * needs /proc/PID/smaps_rollup, which walks the page tables: measured at
 * 150 us of CPU for a 30 MB Ruby process among 20 (Linux 6.18), too much for
 * every process at every sample. So PSS is read for a process when it is new,
 * when its member's set of processes changed (a fork splits shared pages),
 * when its RSS moved by more than 1/16 (4 MB at least) since, every 90
 * samples or so, and for every process when the caller asks for exact figures
 * (near the quota, where shares decide what the guard restarts). In between,
 * a process's PSS follows its RSS: what it allocates is its own.
 */
#ifndef SOLODYNO_MEMBER_MEMORY_H
#define SOLODYNO_MEMBER_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A dyno has a few dozen processes; past this many we stop counting. */
#define MEMBER_MEMORY_MAX_PROCS 4096
/* At most this many samples between two PSS reads of a process. */
#define PSS_REFRESH_SAMPLES 90

struct member_memory {
    unsigned long long rss_kb, pss_kb, swap_kb;
    unsigned procs;
};

/* One process, as last seen. */
struct proc_entry {
    pid_t pid;
    int owner;                    /* member index; -1: none */
    unsigned long long starttime; /* with pid, names the process */
    unsigned long long rss_kb;    /* now */
    unsigned long long base_rss_kb, base_pss_kb, base_swap_kb; /* at its last PSS read */
    unsigned age;                 /* samples since that read */
};

/* State kept between samples (allocated as needed, reused). */
struct member_walk {
    struct proc_entry *prev, *cur; /* last sample's (sorted by pid) and this one's */
    size_t prev_n, cur_n, prev_cap, cur_cap;
    pid_t *stack;                  /* processes still to visit, and their members */
    int *stack_owner;
    size_t stack_n, stack_cap;
    pid_t *kids;                   /* one children file's PIDs */
    size_t kids_cap;
    unsigned *counts;              /* per member (and others): scratch */
    size_t counts_cap;
    unsigned long long pss_reads;  /* smaps_rollup reads so far (tests, benchmark) */
};

/* groups[i]: member i's process group (its first process), 0 when it has
 * none running. exact: read every process's PSS now. Fills out[0..n) and
 * *others (processes of no member). */
void member_memory_sample(struct member_walk *w, const pid_t *groups, size_t n, bool exact,
                          struct member_memory *out, struct member_memory *others);

void member_walk_free(struct member_walk *w);

#endif
