/* How much memory one process uses, from /proc/PID.
 *
 * PSS (proportional set size) counts a page shared by N processes as 1/N in
 * each, so the PSS of a Puma master and its forked workers adds up to what
 * they really cost the dyno, where their RSS would count shared pages again
 * in every process. The kernel sums it over a process's mappings in
 * /proc/PID/smaps_rollup (Linux 4.14+); older kernels have only the
 * per-mapping /proc/PID/smaps, which has the same field lines once per
 * mapping; without either (a kernel without CONFIG_PROC_PAGE_MONITOR),
 * /proc/PID/status gives VmRSS and VmSwap, and PSS is taken as RSS.
 * Field lines are "Name:   1234 kB" (Documentation/filesystems/proc.rst).
 */
#ifndef SOLODYNO_PROC_MEMORY_H
#define SOLODYNO_PROC_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dyno/proc_file.h"

struct proc_mem {
    unsigned long long rss_kb, pss_kb, swap_kb;
};

/* Sums of the field lines seen so far (smaps has them once per mapping). */
struct smaps_acc {
    unsigned long long rss, pss, swap, swap_pss;
    bool seen_rss, seen_pss, seen_swap_pss;
};

/* Feeds one line of smaps_rollup or smaps; other lines are ignored. */
void smaps_feed(struct smaps_acc *acc, const char *line, size_t n);
/* The result: false when no Rss: line was seen. Swap is SwapPss where the
 * kernel gives it (swapped pages shared after a fork counted once), else
 * Swap; PSS is RSS when the kernel gives no Pss: lines. */
bool smaps_result(const struct smaps_acc *acc, struct proc_mem *out);

/* The same for /proc/PID/status (VmRSS:, VmSwap:). */
void status_feed(struct smaps_acc *acc, const char *line, size_t n);
bool status_result(const struct smaps_acc *acc, struct proc_mem *out);

/* Whole texts, for tests and the fuzz target: feeds every line. */
bool smaps_parse(const char *text, size_t n, struct proc_mem *out);
bool status_parse(const char *text, size_t n, struct proc_mem *out);

/* Reads the memory of process pid (smaps_rollup, else smaps, else status).
 * PROC_READ_GONE when the process has ended. */
enum proc_read proc_mem_read(pid_t pid, struct proc_mem *out);

/* What /proc/PID/stat says that the sampler needs: one cheap read per
 * process and sample (the kernel keeps these as counters; smaps_rollup walks
 * the page tables). Fields after the command (which may hold spaces and
 * parentheses: the last ')' ends it) are numbered as in proc(5). */
struct proc_stat {
    char state;                       /* field 3: 'Z' for a zombie */
    long long ppid, pgrp;             /* fields 4 and 5 */
    long long num_threads;            /* field 20 */
    unsigned long long starttime;     /* field 22: with the PID, names the process */
    unsigned long long rss_pages;     /* field 24 */
};
bool parse_proc_stat(const char *text, size_t n, struct proc_stat *out);

/* Reads /proc/PID/stat. */
enum proc_read proc_stat_read(pid_t pid, struct proc_stat *out);

/* The PIDs in a /proc/PID/task/TID/children file ("12 345 "): into out (at
 * most cap; more are counted in the return value but not stored). Returns
 * the count, or -1 when the text is not a list of PIDs. */
long parse_pid_list(const char *text, size_t n, pid_t *out, size_t cap);

#endif
