#include "dyno/dyno_role.h"

#include <string.h>

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_type_char(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

/* True if s[0..n) is 1..max lowercase letters and digits: a Kubernetes name part. */
static bool is_hash_part(const char *s, size_t n, size_t max)
{
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]))
            return false;
    return true;
}

bool dyno_type_from_name(const char *dyno, char *type, size_t cap)
{
    type[0] = '\0';
    if (!dyno || !*dyno || cap < 2)
        return false;
    size_t n = strlen(dyno);
    for (size_t i = 0; i < n; i++)
        if (!is_type_char(dyno[i]) && dyno[i] != '.')
            return false;

    size_t len;
    const char *dot = strrchr(dyno, '.');
    if (dot) {
        /* Common Runtime: TYPE.N (one-off dynos too: run.1234) */
        len = (size_t)(dot - dyno);
        const char *num = dot + 1;
        if (!*num || memchr(dyno, '.', len))
            return false;
        for (; *num; num++)
            if (*num < '0' || *num > '9')
                return false;
    } else {
        /* Fir: TYPE-HASH-SUFFIX, a Kubernetes pod name (TYPE may hold '-') */
        const char *last = strrchr(dyno, '-');
        if (!last)
            return false;
        const char *prev = last;
        while (prev > dyno && prev[-1] != '-')
            prev--;
        if (prev == dyno || !is_hash_part(last + 1, strlen(last + 1), 5) ||
            !is_hash_part(prev, (size_t)(last - prev), 10))
            return false;
        len = (size_t)(prev - 1 - dyno);
    }
    if (len == 0 || len >= cap)
        return false;
    memcpy(type, dyno, len);
    type[len] = '\0';
    return true;
}

bool dyno_is_fir(const char *dyno)
{
    char type[64];
    return dyno_type_from_name(dyno, type, sizeof type) && !strchr(dyno, '.');
}

static bool is_true(const char *v)
{
    return v && !strcmp(v, "true");
}

void dyno_role_detect(const char *dyno, const char *run_worker, const char *run_streaming,
                      bool mastodon, struct dyno_role *role)
{
    memset(role, 0, sizeof *role);
    bool known = dyno_type_from_name(dyno, role->type, sizeof role->type);
    role->fir = dyno_is_fir(dyno);
    const char *t = role->type;
    if (!dyno || !*dyno || !strcmp(t, "web")) {
        role->kind = DYNO_WEB;
    } else if (!strcmp(t, "worker")) {
        role->kind = DYNO_WORKER;
    } else if (!known || !strcmp(t, "run") || !strcmp(t, "release") || !strcmp(t, "scheduler") ||
               !strcmp(t, "console") || !strcmp(t, "rake")) {
        /* an unreadable DYNO is treated like a one-off: only process-wide knobs */
        role->kind = DYNO_ONE_OFF;
    } else {
        role->kind = DYNO_OTHER;
    }

    switch (role->kind) {
    case DYNO_WEB:
        role->streaming = mastodon && is_true(run_streaming);
        role->puma = !role->streaming;
        role->sidekiq = is_true(run_worker);
        break;
    case DYNO_WORKER:
        role->dedicated_sidekiq = true;
        break;
    case DYNO_ONE_OFF:
    case DYNO_OTHER:
        break;
    }
}

const char *dyno_role_describe(const struct dyno_role *role)
{
    switch (role->kind) {
    case DYNO_WEB:
        if (role->streaming)
            return role->sidekiq ? "web dyno running the streaming server and Sidekiq"
                                 : "web dyno running the streaming server";
        return role->sidekiq ? "web dyno running Puma and Sidekiq" : "web dyno running Puma";
    case DYNO_WORKER:
        return "worker dyno running Sidekiq";
    case DYNO_ONE_OFF:
        /* the release phase runs on a dyno of its own, DYNO=release.N */
        return !strcmp(role->type, "release") ? "release phase dyno" : "one-off dyno";
    case DYNO_OTHER:
        return "dyno of another process type";
    }
    return "dyno";
}
