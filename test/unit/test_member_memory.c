/* Unit tests of finding each member's processes and adding up their memory:
 * real processes forked here, arranged as members' trees are on a dyno. */
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dyno/member_memory.h"
#include "unit.h"

static void touch_mb(size_t mb)
{
    volatile char *p = malloc(mb << 20); /* volatile: the writes must happen */
    for (size_t i = 0; p && i < mb << 20; i += 4096)
        p[i] = 1;
}

static void say(int fd)
{
    if (write(fd, "x", 1) != 1)
        _exit(3);
}

static void hear(int fd)
{
    char c;
    if (read(fd, &c, 1) != 1)
        _exit(4);
}

static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *close_paren = strrchr(buf, ')');
    int ppid = -1;
    if (close_paren)
        sscanf(close_paren + 2, "%*c %d", &ppid);
    return ppid;
}

int main(void)
{
    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0);

    /* Member A: a group of its own, a child with 32 MB, an orphan left by a
     * child that exited (re-parented to us, still in A's group), and a child
     * that left the group (setsid) and whose own child outlives it. */
    pid_t a = fork();
    if (a == 0) {
        setpgid(0, 0);
        if (fork() == 0) {
            touch_mb(32);
            say(ready[1]);
            pause();
        }
        if (fork() == 0) {
            if (fork() == 0) {
                say(ready[1]);
                pause();
            }
            _exit(0); /* its child is orphaned */
        }
        if (fork() == 0) {
            setsid();
            if (fork() == 0) {
                touch_mb(8);
                say(ready[1]);
                pause();
            }
            hear(go[0]);
            _exit(0);
        }
        say(ready[1]);
        for (;;)
            pause();
    }
    setpgid(a, a);
    /* Member B: one process, 16 MB. */
    pid_t b = fork();
    if (b == 0) {
        setpgid(0, 0);
        touch_mb(16);
        sigset_t usr1;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1, NULL);
        say(ready[1]);
        int sig;
        sigwait(&usr1, &sig); /* then grow */
        touch_mb(24);
        pause();
    }
    setpgid(b, b);
    /* A child of ours in no member's group. */
    pid_t other = fork();
    if (other == 0) {
        setpgid(0, 0);
        say(ready[1]);
        pause();
    }
    for (int i = 0; i < 5; i++)
        hear(ready[0]);

    /* Wait for the orphan to be re-parented to us. */
    for (int i = 0; i < 200; i++) {
        int status;
        pid_t r = waitpid(-1, &status, WNOHANG);
        (void)r;
        usleep(10000);
    }

    struct member_walk w = {0};
    pid_t groups[3] = {a, b, 0};
    struct member_memory out[3], others;
    member_memory_sample(&w, groups, 3, true, out, &others);
    /* A, its 32 MB child, the orphan in its group, the setsid child and its child */
    CHECK(out[0].procs == 5);
    CHECK(out[0].pss_kb >= 40 * 1024 && out[0].rss_kb >= out[0].pss_kb);
    CHECK(out[1].procs == 1 && out[1].pss_kb >= 16 * 1024);
    CHECK(out[2].procs == 0 && out[2].pss_kb == 0);
    CHECK(others.procs == 1);

    /* The setsid child exits: its child is ours now, in no member's group,
     * and still counts for A, where the previous sample saw it. */
    say(go[1]);
    pid_t orphan = 0;
    for (int i = 0; i < 500 && !orphan; i++) {
        waitpid(-1, NULL, WNOHANG);
        usleep(10000);
        for (size_t k = 0; k < w.prev_n; k++)
            if (w.prev[k].owner == 0 && parent_of(w.prev[k].pid) == getpid() &&
                getpgid(w.prev[k].pid) != a && w.prev[k].pid != a)
                orphan = w.prev[k].pid;
    }
    CHECK(orphan > 0);
    member_memory_sample(&w, groups, 3, true, out, &others);
    CHECK(out[0].procs == 4 && out[0].pss_kb >= 40 * 1024);
    CHECK(others.procs == 1);

    /* A member not running counts nothing; its processes go to others, as
     * does the orphan once the previous sample is forgotten. */
    groups[1] = 0;
    w.prev_n = 0; /* forget the previous sample */
    member_memory_sample(&w, groups, 3, true, out, &others);
    CHECK(out[1].procs == 0 && others.procs == 3);

    /* Between exact samples, PSS is read again only where something moved:
     * a process that grows past 1/16 (4 MB at least) gets read, the rest not. */
    groups[1] = b;
    member_memory_sample(&w, groups, 3, true, out, &others);
    unsigned long long reads = w.pss_reads, b_before = out[1].pss_kb;
    member_memory_sample(&w, groups, 3, false, out, &others);
    CHECK(w.pss_reads == reads); /* nothing moved */
    CHECK(out[1].pss_kb == b_before);
    kill(b, SIGUSR1); /* B takes 24 MB more */
    unsigned samples = 0;
    for (int i = 0; i < 1000 && out[1].pss_kb < b_before + 20 * 1024; i++) {
        usleep(10000);
        member_memory_sample(&w, groups, 3, false, out, &others);
        samples++;
    }
    CHECK(out[1].pss_kb >= b_before + 20 * 1024);
    /* B's growth was read (once per sample at most), the 7 others never. */
    CHECK(w.pss_reads > reads && w.pss_reads <= reads + samples);

    member_walk_free(&w);
    kill(-a, SIGKILL);
    kill(-b, SIGKILL);
    kill(-other, SIGKILL);
    if (orphan > 0)
        kill(orphan, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0)
        ;
    UNIT_DONE();
}
