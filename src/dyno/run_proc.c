/* The process table from /proc. See run_proc.h. */
#include "dyno/run_proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"

/* No stdio streams or scanf here: this runs in a small long-lived process,
 * and they would add tens of kB of libc to what it keeps resident. */

/* Reads a small /proc file whole (NUL-terminated); its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* /proc/PID/stat is "pid (comm) state ppid pgrp session ... starttime ...":
 * comm may hold spaces and parentheses, so the fields are counted from the
 * last ')'. starttime is field 22 of proc(5). */
bool proc_read_one(pid_t pid, struct proc_info *out)
{
    char path[32], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof buf) < 0)
        return false;
    const char *p = strrchr(buf, ')');
    if (!p)
        return false;
    if (p[1] != ' ' || !p[2] || p[3] != ' ')
        return false;
    char state = p[2];
    char *end;
    long ppid = strtol(p + 4, &end, 10);
    long pgid = strtol(end, &end, 10);
    if (*end != ' ')
        return false;
    /* Fields 6 (session) to 21, then 22 (starttime). */
    const char *f = end;
    for (int field = 6; field <= 22 && f; field++)
        if ((f = strchr(f, ' ')) != NULL)
            f++;
    *out = (struct proc_info){.pid = pid, .ppid = (pid_t)ppid, .pgid = (pid_t)pgid,
                              .state = state, .start = f ? strtoull(f, NULL, 10) : 0};
    return true;
}

static int by_pid(const void *a, const void *b)
{
    pid_t x = ((const struct proc_info *)a)->pid, y = ((const struct proc_info *)b)->pid;
    return (x > y) - (x < y);
}

static void add(struct proc_table *t, const struct proc_info *info)
{
    t->p = xgrow(t->p, t->n, &t->cap, sizeof *t->p);
    t->p[t->n++] = *info;
}

/* Every process of /proc: the way when the kernel lists no children. */
static int read_everything(struct proc_table *t)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        struct proc_info info;
        if (proc_read_one((pid_t)pid, &info)) /* (it may have ended meanwhile) */
            add(t, &info);
    }
    closedir(d);
    return 0;
}

/* Whether the kernel lists each thread's children (CONFIG_PROC_CHILDREN). */
static bool kernel_lists_children(void)
{
    static int known = -1;
    if (known < 0)
        known = access("/proc/thread-self/children", R_OK) == 0;
    return known;
}

/* Adds each process listed in a children file ("12 34 56 "). */
static void add_listed(struct proc_table *t, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096];
    long pid = 0;
    ssize_t n;
    /* Digits may straddle two reads: the number is carried over. */
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] >= '0' && buf[i] <= '9') {
                pid = pid * 10 + (buf[i] - '0');
                continue;
            }
            struct proc_info info;
            if (pid > 0 && proc_read_one((pid_t)pid, &info))
                add(t, &info);
            pid = 0;
        }
    close(fd);
}

/* Adds the children of pid, of each of its threads (a child is listed under
 * the thread that forked it). A process that ended meanwhile adds nothing. */
static void add_children(struct proc_table *t, pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.20s/children", (int)pid, e->d_name);
        add_listed(t, path);
    }
    closedir(d);
}

/* root and its descendants, walked down the kernel's lists of children:
 * far cheaper than all of /proc on a busy host, and it runs at every stop. */
static int read_subtree(struct proc_table *t, pid_t root)
{
    if (!kernel_lists_children())
        return read_everything(t);
    struct proc_info info;
    if (!proc_read_one(root, &info))
        return -1;
    add(t, &info);
    for (size_t i = 0; i < t->n; i++) /* t grows as the walk goes down */
        add_children(t, t->p[i].pid);
    return 0;
}

int proc_table_read(struct proc_table *t, pid_t root)
{
    t->n = 0;
    int rc = root > 0 ? read_subtree(t, root) : read_everything(t);
    if (rc != 0)
        return rc;
    qsort(t->p, t->n, sizeof *t->p, by_pid);
    /* A process re-parented during the walk can be listed twice. */
    size_t kept = 0;
    for (size_t i = 0; i < t->n; i++)
        if (kept == 0 || t->p[kept - 1].pid != t->p[i].pid)
            t->p[kept++] = t->p[i];
    t->n = kept;
    return 0;
}

void proc_table_free(struct proc_table *t)
{
    free(t->p);
    *t = (struct proc_table){0};
}

const struct proc_info *proc_find(const struct proc_table *t, pid_t pid)
{
    struct proc_info key = {.pid = pid};
    return t->n ? bsearch(&key, t->p, t->n, sizeof *t->p, by_pid) : NULL;
}

bool proc_descends_from(const struct proc_table *t, pid_t pid, pid_t ancestor)
{
    /* The chain is short; the bound only guards against a table read while
     * processes were re-parented (a loop cannot form, but be safe). */
    for (size_t depth = 0; depth < t->n; depth++) {
        const struct proc_info *p = proc_find(t, pid);
        if (!p || p->ppid <= 0)
            return false;
        if (p->ppid == ancestor)
            return true;
        pid = p->ppid;
    }
    return false;
}

void proc_command_text(pid_t pid, char *space, size_t size)
{
    char path[32], buf[512];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    if (n <= 0) {
        /* No command line (a zombie, a kernel thread): its name, bracketed
         * as ps shows it. */
        char comm[64];
        snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
        ssize_t c = read_small(path, comm, sizeof comm);
        while (c > 0 && comm[c - 1] == '\n')
            c--;
        n = snprintf(buf, sizeof buf, "[%.*s]", (int)(c > 0 ? c : 0), comm);
    }
    size_t out = 0;
    for (ssize_t i = 0; i < n && out + 1 < size; i++) {
        unsigned char c = (unsigned char)buf[i];
        /* Arguments are separated by NUL; a log line must not carry
         * terminal control bytes from another program's arguments. */
        space[out++] = c == '\0' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if ((ssize_t)out < n && size > 4) /* cut: say so */
        memcpy(space + size - 4, "...", 3), out = size - 1;
    space[out] = '\0';
}

void proc_exe_name(pid_t pid, char *space, size_t size)
{
    char path[32], target[256];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) {
        space[0] = '\0';
        return;
    }
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    snprintf(space, size, "%s", base ? base + 1 : target);
}
