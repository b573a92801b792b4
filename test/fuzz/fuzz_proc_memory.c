/* libFuzzer target: the /proc/PID readers of the memory watch (smaps_rollup
 * and smaps fields, status fields, stat, children lists), with invariants:
 * whole-text and line-by-line parsing agree; status gives PSS = RSS; stat's
 * PIDs and thread count are in range; a children list's PIDs are positive. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dyno/proc_memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct proc_mem m;
    if (smaps_parse(text, size, &m)) {
        /* Feeding the same text line by line gives the same sums. */
        struct smaps_acc acc = {0};
        size_t start = 0;
        for (size_t i = 0; i <= size; i++) {
            if (i == size || text[i] == '\n') {
                smaps_feed(&acc, text + start, i - start);
                start = i + 1;
            }
        }
        struct proc_mem again;
        if (!smaps_result(&acc, &again) || memcmp(&m, &again, sizeof m) != 0)
            abort();
    }
    if (status_parse(text, size, &m) && m.pss_kb != m.rss_kb)
        abort();
    struct proc_stat st;
    if (parse_proc_stat(text, size, &st) &&
        (st.ppid < 0 || st.pgrp < 0 || st.num_threads < 0 || st.ppid > 0x3fffffff))
        abort();
    pid_t pids[8];
    long n = parse_pid_list(text, size, pids, 8);
    if (n < -1)
        abort();
    for (long i = 0; i < n && i < 8; i++)
        if (pids[i] <= 0)
            abort();
    return 0;
}
