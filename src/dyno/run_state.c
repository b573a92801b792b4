/* Writing and reading the state file of solodyno run. See run_state.h. */
#include "dyno/run_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "dyno/run.h"
#include "dyno/run_proc.h"

const char *run_state_dir(void)
{
    static char dir[4096];
    const char *set = getenv("SOLODYNO_RUN_DIR");
    if (set && *set)
        snprintf(dir, sizeof dir, "%s", set);
    else
        snprintf(dir, sizeof dir, "/tmp/solodyno-%u", (unsigned)getuid());
    return dir;
}

/* The directory, made if needed; 0 if it is ours to use. */
static int usable_dir(const char *dir, int *err)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        *err = errno;
        return -1;
    }
    struct stat st;
    if (lstat(dir, &st) != 0) {
        *err = errno;
        return -1;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)) {
        *err = EPERM; /* a link, or someone else's: never write through it */
        return -1;
    }
    return 0;
}

void state_write(struct supervisor *sv)
{
    const char *dir = run_state_dir();
    int err = 0;
    if (usable_dir(dir, &err) != 0) {
        if (!sv->state_path) /* say it once */
            note(sv, "cannot use %s (%s): `solodyno signal` will not find this dyno's members",
                 dir, err == EPERM ? "not a private directory of this user" : strerror(err));
        sv->state_path = xstrdup("");
        return;
    }
    struct proc_info self;
    if (!proc_read_one(sv->self, &self))
        self.start = 0;
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "solodyno-run 1\npid %d %llu\nfile %s\n", (int)sv->self, self.start, sv->file);
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].state != MEMBER_NOT_STARTED)
            sb_printf(&sb, "member %s %d\n", sv->members[i].name, (int)sv->members[i].pid);

    char path[4200], tmp[4220];
    snprintf(path, sizeof path, "%s/run-%d", dir, (int)sv->self);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, sb.data, sb.len) == (ssize_t)sb.len;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (ok && rename(tmp, path) == 0) {
        free(sv->state_path);
        sv->state_path = xstrdup(path);
    } else {
        unlink(tmp);
    }
    sb_free(&sb);
}

void state_remove(struct supervisor *sv)
{
    if (sv->state_path && *sv->state_path)
        unlink(sv->state_path);
    free(sv->state_path);
    sv->state_path = NULL;
}

/* Parses one state file; false if it is not one. */
static bool parse_state(FILE *f, struct run_state *st)
{
    char line[4200];
    size_t cap = 0;
    bool header = false, pid = false;
    *st = (struct run_state){0};
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        int p;
        unsigned long long start;
        char name[PROC_NAME_MAX + 2];
        if (!strcmp(line, "solodyno-run 1"))
            header = true;
        else if (sscanf(line, "pid %d %llu", &p, &start) == 2) {
            st->pid = p;
            st->start = start;
            pid = p > 0;
        } else if (!strncmp(line, "file ", 5)) {
            size_t len = strnlen(line + 5, sizeof st->file - 1);
            memcpy(st->file, line + 5, len);
            st->file[len] = '\0';
        } else if (sscanf(line, "member %64s %d", name, &p) == 2 && p > 0 &&
                 procfile_valid_name(name, strlen(name))) {
            st->members = xgrow(st->members, st->n, &cap, sizeof *st->members);
            /* valid: at most PROC_NAME_MAX bytes, so it fits with its NUL */
            memcpy(st->members[st->n].name, name, strlen(name) + 1);
            st->members[st->n++].pid = p;
        }
    }
    return header && pid;
}

int run_state_read_all(struct run_state **states, size_t *n)
{
    const char *dir = run_state_dir();
    size_t cap = 0;
    *states = NULL;
    *n = 0;
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077))
        return -1; /* as for writing: only a private directory of ours */
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        if (strncmp(e->d_name, "run-", 4) != 0)
            continue;
        long pid = strtol(e->d_name + 4, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
        if (!f) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        struct run_state one;
        bool ok = parse_state(f, &one);
        fclose(f);
        struct proc_info now;
        if (ok && one.pid == (pid_t)pid && proc_read_one(one.pid, &now) && now.start == one.start &&
            now.state != 'Z') {
            *states = xgrow(*states, *n, &cap, sizeof **states);
            (*states)[(*n)++] = one;
            continue;
        }
        if (ok && one.pid == (pid_t)pid)
            unlink(path); /* its supervisor is gone: a stale file */
        free(one.members);
    }
    closedir(d);
    return 0;
}

void run_state_free_all(struct run_state *states, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(states[i].members);
    free(states);
}
