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
 */
#ifndef SOLODYNO_MEMBER_MEMORY_H
#define SOLODYNO_MEMBER_MEMORY_H

#include <stddef.h>
#include <sys/types.h>

/* A dyno has a few dozen processes; past this many we stop counting. */
#define MEMBER_MEMORY_MAX_PROCS 4096

struct member_memory {
    unsigned long long rss_kb, pss_kb, swap_kb;
    unsigned procs;
};

/* State kept between samples (allocated once, reused). */
struct member_walk {
    pid_t *pids;      /* the previous sample's processes... */
    int *owners;      /* ...and their members */
    size_t n, cap;
    pid_t *next_pids; /* this sample's, swapped in at the end */
    int *next_owners;
    size_t next_n, next_cap;
    pid_t *stack;     /* processes still to visit... */
    int *stack_owner;
    size_t stack_n, stack_cap;
    pid_t *kids;      /* one children file's PIDs */
    size_t kids_cap;
};

/* groups[i]: member i's process group (its first process), 0 when it has
 * none running. Fills out[0..n) and *others (processes of no member). */
void member_memory_sample(struct member_walk *w, const pid_t *groups, size_t n,
                          struct member_memory *out, struct member_memory *others);

void member_walk_free(struct member_walk *w);

#endif
