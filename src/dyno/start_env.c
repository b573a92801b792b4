#include "dyno/start_env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/xalloc.h"
#include "dyno/env_value.h"

void start_env_parse(const char *data, size_t len, struct start_env *s)
{
    memset(s, 0, sizeof *s);
    s->data = xstrndup(data, len);
    s->len = len;
}

int start_env_read(const char *proc_root, const char *pid_text, struct start_env *s)
{
    unsigned long long pid;
    memset(s, 0, sizeof *s);
    snprintf(s->source, sizeof s->source, "process %.24s", pid_text ? pid_text : "");
    /* Linux's pid_max is at most 2^22. */
    if (!pid_text || !parse_whole(pid_text, 1, 4194304, &pid)) {
        s->why_unknown = "not a process id";
        return -1;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/%llu/environ", proc_root, pid);
    if (read_file(path, START_ENV_MAX, &s->data, &s->len) != 0) {
        s->data = NULL;
        s->why_unknown = errno == EFBIG ? "larger than 8 MiB" : strerror(errno);
        return -1;
    }
    return 0;
}

const char *start_env_get(const struct start_env *s, const char *name)
{
    size_t n = strlen(name);
    if (!s || !s->data || !n)
        return NULL;
    for (size_t pos = 0; pos < s->len;) {
        const char *entry = s->data + pos;
        size_t elen = strnlen(entry, s->len - pos);
        if (elen > n && entry[n] == '=' && !memcmp(entry, name, n))
            return entry + n + 1;
        pos += elen + 1;
    }
    return NULL;
}

void start_env_free(struct start_env *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
}
