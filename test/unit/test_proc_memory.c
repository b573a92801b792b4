/* Unit tests of reading a process's memory (/proc/PID/smaps_rollup, smaps,
 * status), the children-file parser, and the line reader under them. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dyno/proc_file.h"
#include "dyno/proc_memory.h"
#include "unit.h"

#define S(x) x, sizeof(x) - 1

/* The shape of Linux 6.x smaps_rollup. */
static const char rollup[] =
    "556d844c9000-7ffc0220f000 ---p 00000000 00:00 0                          [rollup]\n"
    "Rss:              183732 kB\n"
    "Pss:              121356 kB\n"
    "Pss_Dirty:        100116 kB\n"
    "Pss_Anon:          99116 kB\n"
    "Pss_File:          22240 kB\n"
    "Pss_Shmem:             0 kB\n"
    "Shared_Clean:      61560 kB\n"
    "Private_Dirty:    100116 kB\n"
    "Anonymous:        100116 kB\n"
    "Swap:               2048 kB\n"
    "SwapPss:            1024 kB\n"
    "Locked:                0 kB\n";

/* Two mappings of an old kernel's smaps (no rollup, no SwapPss). */
static const char smaps[] =
    "557bd56f3000-557bd56f5000 r--p 00000000 fe:00 247498                     /usr/bin/ruby\n"
    "Size:                  8 kB\n"
    "KernelPageSize:        4 kB\n"
    "Rss:                   8 kB\n"
    "Pss:                   4 kB\n"
    "Swap:                  0 kB\n"
    "VmFlags: rd mr mw me\n"
    "7f00aa000000-7f00ab000000 rw-p 00000000 00:00 0 \n"
    "Size:              16384 kB\n"
    "Rss:               12000 kB\n"
    "Pss:               12000 kB\n"
    "Swap:                512 kB\n"
    "VmFlags: rd wr mr mw me ac\n";

static const char status[] =
    "Name:\tsidekiq\nState:\tS (sleeping)\nVmPeak:\t  400000 kB\nVmRSS:\t  250000 kB\n"
    "RssAnon:\t  200000 kB\nVmSwap:\t    1000 kB\nThreads:\t12\n";

static bool count_line(void *ctx, const char *s, size_t n)
{
    (void)s;
    size_t *c = ctx;
    c[0]++;
    if (n > c[1])
        c[1] = n;
    return true;
}

int main(int argc, char **argv)
{
    struct proc_mem m;

    CHECK(smaps_parse(S(rollup), &m));
    CHECK(m.rss_kb == 183732 && m.pss_kb == 121356 && m.swap_kb == 1024); /* SwapPss wins */
    CHECK(smaps_parse(S(smaps), &m));
    CHECK(m.rss_kb == 12008 && m.pss_kb == 12004 && m.swap_kb == 512); /* summed over mappings */
    /* CRLF-free but odd lines are ignored, not fatal; no Rss: is no answer. */
    CHECK(!smaps_parse(S("Pss: 12 kB\nSwap: 1 kB\n"), &m));
    CHECK(!smaps_parse(S(""), &m));
    CHECK(smaps_parse(S("Rss: 7 kB"), &m) && m.rss_kb == 7 && m.pss_kb == 7 && m.swap_kb == 0);
    /* A field must be exactly "Name: digits kB". */
    CHECK(!smaps_parse(S("Rss: 7 MB\n"), &m));
    CHECK(!smaps_parse(S("Rss: -7 kB\n"), &m));
    CHECK(!smaps_parse(S("Rss: 7 kB extra\n"), &m));
    CHECK(!smaps_parse(S("Rssx: 7 kB\n"), &m));
    CHECK(!smaps_parse(S("Rss:\n"), &m));
    CHECK(!smaps_parse(S("Rss: 99999999999999999999999 kB\n"), &m));
    CHECK(smaps_parse(S("Rss:\t\t42 kB\n"), &m) && m.rss_kb == 42);

    CHECK(status_parse(S(status), &m));
    CHECK(m.rss_kb == 250000 && m.pss_kb == 250000 && m.swap_kb == 1000);
    CHECK(!status_parse(S("Name:\tkthreadd\nState:\tS\n"), &m)); /* a kernel thread */

    /* /proc/PID/stat, as Linux 6.x writes it; a command may hold ") (". */
    struct proc_stat st;
    const char stat_line[] =
        "12657 (cat) R 12655 12655 20621 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 400346 3133440 390 "
        "18446744073709551615 94903719587840 94903719607721 140730537327840 0 0 0 0 0 0 0 0 0 17 1 0 0\n";
    CHECK(parse_proc_stat(S(stat_line), &st));
    CHECK(st.state == 'R' && st.ppid == 12655 && st.pgrp == 12655 && st.num_threads == 1);
    CHECK(st.starttime == 400346 && st.rss_pages == 390);
    const char odd[] = "7 (a) b) (c) S 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 -2 -20 12 0 99 1000 2000 9 9\n";
    CHECK(parse_proc_stat(S(odd), &st) && st.state == 'S' && st.num_threads == 12 && st.rss_pages == 2000);
    CHECK(!parse_proc_stat(S("12657 (cat) R 12655"), &st));            /* cut short */
    CHECK(!parse_proc_stat(S("12657 cat R 1 2 3"), &st));              /* no command */
    CHECK(!parse_proc_stat(S("1 (x) R -1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 6 7"), &st)); /* ppid < 0 */
    CHECK(!parse_proc_stat(S("1 (x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 6 7x"), &st));
    CHECK(proc_stat_read(getpid(), &st) == PROC_READ_OK && st.pgrp == getpgrp() && st.num_threads == 1);

    pid_t pids[4];
    CHECK(parse_pid_list(S("12 345 6789 "), pids, 4) == 3 && pids[0] == 12 && pids[2] == 6789);
    CHECK(parse_pid_list(S(""), pids, 4) == 0);
    CHECK(parse_pid_list(S("1 2 3 4 5 6 "), pids, 4) == 6 && pids[3] == 4);
    CHECK(parse_pid_list(S("12 x"), pids, 4) == -1);
    CHECK(parse_pid_list(S("12a"), pids, 4) == -1);
    CHECK(parse_pid_list(S("0 "), pids, 4) == -1);
    CHECK(parse_pid_list(S("99999999999 "), pids, 4) == -1);

    /* This process, read for real: whichever file the kernel has. */
    CHECK(proc_mem_read(getpid(), &m) == PROC_READ_OK);
    CHECK(m.rss_kb > 100 && m.pss_kb > 0 && m.pss_kb <= m.rss_kb);
    /* A process that has ended is gone, not an error. */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    CHECK(proc_mem_read(child, &m) == PROC_READ_GONE);
    /* Memory a child touches shows in its PSS. */
    int ready[2];
    CHECK(pipe(ready) == 0);
    child = fork();
    if (child == 0) {
        size_t size = 64u << 20;
        volatile char *p = malloc(size); /* volatile: the writes must happen */
        for (size_t i = 0; p && i < size; i += 4096)
            p[i] = 1;
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK(proc_mem_read(child, &m) == PROC_READ_OK && m.pss_kb >= 64 * 1024);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    /* The line reader: lines across its buffer, a long line cut, no newline at the end. */
    if (argc > 1) {
        char path[4096];
        snprintf(path, sizeof path, "%s/lines", argv[1]);
        FILE *f = fopen(path, "w");
        for (int i = 0; i < 1000; i++)
            fprintf(f, "line %d with some text to cross the buffer\n", i);
        for (int i = 0; i < 10000; i++)
            fputc('x', f);
        fputs("\nlast", f);
        fclose(f);
        size_t counts[2] = {0, 0};
        CHECK(proc_read_lines(path, count_line, counts) == PROC_READ_OK);
        CHECK(counts[0] == 1002 && counts[1] == PROC_LINE_MAX);
        snprintf(path, sizeof path, "%s/missing", argv[1]);
        CHECK(proc_read_lines(path, count_line, counts) == PROC_READ_GONE);
    }
    UNIT_DONE();
}
