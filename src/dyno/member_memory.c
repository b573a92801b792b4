#include "dyno/member_memory.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "dyno/proc_file.h"
#include "dyno/proc_memory.h"

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

static void remember(struct member_walk *w, pid_t pid, int owner)
{
    if (w->next_n == w->next_cap) {
        size_t cap = w->next_cap;
        w->next_pids = xgrow(w->next_pids, w->next_n, &cap, sizeof *w->next_pids);
        w->next_owners = xrealloc(w->next_owners, cap * sizeof *w->next_owners);
        w->next_cap = cap;
    }
    w->next_pids[w->next_n] = pid;
    w->next_owners[w->next_n++] = owner;
}

/* Pushes the children of every thread of pid, with owner. */
static void push_children(struct member_walk *w, pid_t pid, int owner)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return; /* ended meanwhile */
    if (!w->kids) {
        w->kids_cap = 256;
        w->kids = xrealloc(NULL, w->kids_cap * sizeof *w->kids);
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        /* PIDs are at most 7 digits; a children file is 8 bytes per child. */
        char file[96], buf[2048];
        size_t len;
        snprintf(file, sizeof file, "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
        if (proc_read_small(file, buf, sizeof buf, &len) != PROC_READ_OK)
            continue;
        long count = parse_pid_list(buf, len, w->kids, w->kids_cap);
        for (long k = 0; k < count && (size_t)k < w->kids_cap; k++)
            push(w, w->kids[k], owner);
    }
    closedir(d);
}

static int group_owner(pid_t pid, const pid_t *groups, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (groups[i] > 0 && groups[i] == pid)
            return (int)i;
    pid_t pgid = getpgid(pid);
    for (size_t i = 0; i < n; i++)
        if (groups[i] > 0 && groups[i] == pgid)
            return (int)i;
    return -1;
}

static int previous_owner(const struct member_walk *w, pid_t pid)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->pids[i] == pid)
            return w->owners[i];
    return -1;
}

void member_memory_sample(struct member_walk *w, const pid_t *groups, size_t n,
                          struct member_memory *out, struct member_memory *others)
{
    memset(out, 0, n * sizeof *out);
    memset(others, 0, sizeof *others);
    w->stack_n = w->next_n = 0;

    /* Our children: the members' first processes, and adopted orphans. */
    push_children(w, getpid(), -1);
    for (size_t k = 0; k < w->stack_n; k++) {
        pid_t pid = w->stack[k];
        int owner = group_owner(pid, groups, n);
        if (owner < 0)
            owner = previous_owner(w, pid);
        w->stack_owner[k] = owner;
    }

    unsigned visited = 0;
    while (w->stack_n > 0 && visited < MEMBER_MEMORY_MAX_PROCS) {
        w->stack_n--;
        pid_t pid = w->stack[w->stack_n];
        int owner = w->stack_owner[w->stack_n];
        visited++;
        struct proc_mem mem;
        if (proc_mem_read(pid, &mem) != PROC_READ_OK)
            continue; /* ended, or not ours to read: its children are still found below */
        struct member_memory *into = owner >= 0 && (size_t)owner < n ? &out[owner] : others;
        into->rss_kb += mem.rss_kb;
        into->pss_kb += mem.pss_kb;
        into->swap_kb += mem.swap_kb;
        into->procs++;
        remember(w, pid, owner);
        push_children(w, pid, owner);
    }

    /* This sample's attribution is the next one's memory. */
    pid_t *p = w->pids;
    int *o = w->owners;
    size_t cap = w->cap;
    w->pids = w->next_pids;
    w->owners = w->next_owners;
    w->n = w->next_n;
    w->cap = w->next_cap;
    w->next_pids = p;
    w->next_owners = o;
    w->next_cap = cap;
    w->next_n = 0;
}

void member_walk_free(struct member_walk *w)
{
    free(w->pids);
    free(w->owners);
    free(w->next_pids);
    free(w->next_owners);
    free(w->stack);
    free(w->stack_owner);
    free(w->kids);
    memset(w, 0, sizeof *w);
}
