#include "dyno/watch_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

/* proc_kind_of reads a Procfile command as the layout does at build; the
 * same reading decides at dyno start which member serves HTTP and which runs
 * Sidekiq, so the two can never disagree. */
#include "build/proc_command.h"
#include "dyno/dyno_role.h"
#include "dyno/env_value.h"
#include "dyno/memory_policy.h"

#define MB (1024ULL * 1024)

static const char *value_of(const char *(*lookup)(const char *), const char *name)
{
    const char *v = lookup(name);
    return v && *v ? v : NULL; /* empty counts as unset */
}

/* A value shown in a warning: printable ASCII, cut at 60 bytes. */
static void shown(strbuf *out, const char *v)
{
    size_t i = 0;
    for (; v[i] && i < 60; i++)
        sb_append_char(out, v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?');
    if (v[i])
        sb_append(out, "...");
}

static void warn_value(strbuf *w, const char *name, const char *value, const char *expected,
                       const char *fallback)
{
    sb_printf(w, "warning: %s: expected %s; it is '", name, expected);
    shown(w, value);
    sb_printf(w, "'; using %s\n", fallback);
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool entry_named(const struct procfile *pf, const char *name)
{
    for (size_t i = 0; pf && i < pf->n; i++)
        if (pf->lines[i].kind == PROC_ENTRY && !strcmp(pf->lines[i].name, name))
            return true;
    return false;
}

/* "sidekiq, worker" or "sidekiq worker" into NUL-separated names; false on
 * anything that is not a name. */
static bool split_names(const char *v, strbuf *names)
{
    size_t count = 0;
    for (const char *p = v; *p;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (is_name_char(*p))
            p++;
        if (p == start || !procfile_valid_name(start, (size_t)(p - start)) ||
            (*p && *p != ',' && *p != ' ' && *p != '\t'))
            return false;
        sb_append_len(names, start, (size_t)(p - start));
        sb_append_char(names, '\0');
        count++;
    }
    sb_append_char(names, '\0');
    return count > 0;
}

static void read_restart(const char *(*lookup)(const char *), const struct procfile *pf,
                         struct watch_settings *s, strbuf *w)
{
    const char *v = value_of(lookup, "SOLODYNO_MEMORY_RESTART");
    s->restart_default = true;
    if (!v)
        return;
    if (!strcmp(v, "none")) {
        s->restart_default = false;
        s->restart_none = true;
        return;
    }
    strbuf names = STRBUF_INIT;
    if (!split_names(v, &names)) {
        sb_free(&names);
        warn_value(w, "SOLODYNO_MEMORY_RESTART", v,
                   "member names of Procfile.web separated by commas, or 'none'",
                   "the default (the members that run Sidekiq)");
        return;
    }
    s->restart_default = false;
    s->restart_names = sb_take(&names);
    for (const char *n = s->restart_names; *n; n += strlen(n) + 1)
        if (pf && !entry_named(pf, n))
            sb_printf(w, "warning: SOLODYNO_MEMORY_RESTART names '%s', which Procfile.web does "
                         "not list; ignoring that name\n", n);
}

void watch_settings_read(const char *(*lookup)(const char *), const struct procfile *pf,
                         struct watch_settings *s, strbuf *w)
{
    memset(s, 0, sizeof *s);
    s->sample_ms = WATCH_SAMPLE_DEFAULT_MS;
    s->boot_wait_ms = BOOT_WAIT_DEFAULT_MS;

    const char *v = value_of(lookup, "SOLODYNO_MEMORY_SAMPLE");
    unsigned long ms;
    if (v) {
        if (parse_seconds_ms(v, WATCH_SAMPLE_MAX_MS, &ms) && (ms == 0 || ms >= WATCH_SAMPLE_MIN_MS))
            s->sample_ms = ms;
        else
            warn_value(w, "SOLODYNO_MEMORY_SAMPLE", v,
                       "seconds from 0.1 to 3600 like 20 or 2.5, or 0 for no sampling", "20");
    }
    v = value_of(lookup, "SOLODYNO_METRICS");
    if (v) {
        int on = parse_switch(v);
        if (on < 0)
            warn_value(w, "SOLODYNO_METRICS", v, "1 or 0 (or true/false)", "0 (no metrics lines)");
        else
            s->metrics = on == 1;
    }
    read_restart(lookup, pf, s, w);
    v = value_of(lookup, "SOLODYNO_BOOT_WAIT");
    if (v) {
        if (parse_seconds_ms(v, BOOT_WAIT_MAX_MS, &ms))
            s->boot_wait_ms = ms;
        else
            warn_value(w, "SOLODYNO_BOOT_WAIT", v, "seconds from 0 to 3600, like 45 or 2.5", "45");
    }
    v = value_of(lookup, "SOLODYNO_BOOT");
    if (v) {
        if (!strcmp(v, "together"))
            s->boot_together = true;
        else if (strcmp(v, "order") != 0)
            warn_value(w, "SOLODYNO_BOOT", v, "'order' or 'together'", "order");
    }
}

void watch_settings_free(struct watch_settings *s)
{
    free(s->restart_names);
    s->restart_names = NULL;
}

bool watch_may_restart(const struct watch_settings *s, const char *name, const char *command)
{
    if (s->restart_none)
        return false;
    if (s->restart_default)
        return proc_kind_of(command) == KIND_SIDEKIQ;
    for (const char *n = s->restart_names; n && *n; n += strlen(n) + 1)
        if (!strcmp(n, name))
            return true;
    return false;
}

/* $PORT or ${PORT...} in the command text, as a whole variable name. */
static bool names_port(const char *cmd)
{
    for (const char *p = strchr(cmd, '$'); p; p = strchr(p + 1, '$')) {
        const char *q = p + 1;
        if (*q == '{')
            q++;
        if (strncmp(q, "PORT", 4) == 0 && !is_name_char(q[4]))
            return true;
    }
    return false;
}

bool member_binds_port(const char *command)
{
    enum proc_kind k = proc_kind_of(command);
    return k == KIND_WEB || k == KIND_STREAMING || names_port(command);
}

const char *watch_seconds_text(unsigned long ms, char *space, size_t size)
{
    snprintf(space, size, "%lu.%03lu", ms / 1000, ms % 1000);
    size_t e = strlen(space);
    while (e > 1 && space[e - 1] == '0')
        space[--e] = '\0';
    if (space[e - 1] == '.')
        space[--e] = '\0';
    snprintf(space + e, size - e, " s");
    return space;
}

bool watch_system_swap(void)
{
    struct sysinfo si;
    return sysinfo(&si) != 0 || si.totalswap > 0; /* cannot tell: assume the usual */
}

/* Fir names dynos like Kubernetes pods (web-12a34b56d-e78f9), the Common
 * Runtime TYPE.N (dyno_role.c). */
static bool dyno_on_fir(const char *dyno)
{
    char type[64];
    return dyno && dyno_type_from_name(dyno, type, sizeof type) && !strchr(dyno, '.');
}

void watch_limits_decide(const struct dyno_resources *res, const struct cg_memory *cg,
                         const char *dyno, bool system_swap, struct watch_limits *l)
{
    memset(l, 0, sizeof *l);
    l->quota = res->memory_known ? (unsigned long long)res->memory_mb * MB : 0;
    l->quota_from = res->memory_from;
    /* A cgroup with a limit is the dyno's own: its usage is the dyno's. One
     * without (the machine's root, on a workstation) holds other programs. */
    l->usage_from_cgroup = cg->version != 0 && cg->limited;
    l->guard_pct = WATCH_LEVEL_OVER_PCT;
    l->guard_why = "over its quota a Cedar dyno swaps (R14) until Heroku restarts it (R15)";
    if (dyno_on_fir(dyno)) {
        l->guard_pct = WATCH_GUARD_FATAL_PCT;
        l->guard_why = "Heroku restarts a Fir dyno when it reaches 100 % of its quota";
    } else if (cg->limited && l->quota >= cg->limit && (cg->swap_room == 0 || !system_swap)) {
        l->guard_pct = WATCH_GUARD_FATAL_PCT;
        l->guard_why = "the cgroup has no swap to go over its limit into: the kernel's OOM killer "
                       "acts at 100 %";
    }
}

/* ---- env --explain --------------------------------------------------------- */

void watch_explain(const char *(*lookup)(const char *), const char *app_dir,
                   const struct dyno_resources *res, strbuf *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/Procfile.web", app_dir);
    struct procfile pf = {0};
    strbuf diag = STRBUF_INIT;
    bool have_file = procfile_load(path, "Procfile.web", PROCFILE_WEB, &pf, &diag) == 0;
    sb_free(&diag);

    strbuf warnings = STRBUF_INIT;
    struct watch_settings s;
    watch_settings_read(lookup, have_file ? &pf : NULL, &s, &warnings);

    const char *root = value_of(lookup, "SOLODYNO_CGROUP_ROOT");
    struct cg_memory cg;
    cg_memory_read(root ? root : CGROUP_ROOT_DEFAULT, &cg);
    struct watch_limits l;
    watch_limits_decide(res, &cg, lookup("DYNO"), watch_system_swap(), &l);

    sb_append(out, "\nsolodyno run (Procfile.web):\n");
    if (s.sample_ms == 0) {
        sb_append(out, "  memory   not sampled (SOLODYNO_MEMORY_SAMPLE=0): no warnings, no guard\n");
    } else {
        char secs[32];
        watch_seconds_text(s.sample_ms, secs, sizeof secs);
        sb_printf(out, "  memory   sampled every %s, per member (PSS + swap) and for the dyno (%s); "
                       "metrics lines %s\n",
                  secs, l.usage_from_cgroup ? "its cgroup" : "the sum of the members: no cgroup limit",
                  s.metrics ? "on (SOLODYNO_METRICS)" : "off (SOLODYNO_METRICS=1 turns them on)");
        if (!l.quota) {
            sb_append(out, "  warnings none: no memory limit known (set SOLODYNO_MEMORY_MB)\n");
        } else {
            sb_printf(out, "  warnings at %u %% and %u %% of %llu MB, and when it falls back\n",
                      WATCH_LEVEL_WARN_PCT, WATCH_LEVEL_OVER_PCT, l.quota / MB);
        }
        strbuf who = STRBUF_INIT;
        for (size_t i = 0; have_file && i < pf.n; i++) {
            const struct proc_line *e2 = &pf.lines[i];
            if (e2->kind == PROC_ENTRY && procfile_member_enabled(e2, lookup) &&
                watch_may_restart(&s, e2->name, e2->command))
                sb_printf(&who, "%s%s", who.len ? ", " : "", e2->name);
        }
        if (s.restart_none)
            sb_append(out, "  guard    off (SOLODYNO_MEMORY_RESTART=none): warnings only\n");
        else if (!l.quota)
            sb_append(out, "  guard    off: no memory limit known\n");
        else if (!who.len)
            sb_printf(out, "  guard    no member to restart on this dyno (%s)\n",
                      s.restart_default ? "none runs Sidekiq" : "SOLODYNO_MEMORY_RESTART");
        else
            sb_printf(out, "  guard    restarts %s%s in place when the dyno stays at or "
                           "over %u %% of %llu MB for %u samples (%s), at most once per member per "
                           "10 minutes (%s)\n",
                      strchr(who.data, ',') ? "the biggest of " : "", who.data, l.guard_pct, l.quota / MB, WATCH_OVER_SAMPLES, l.guard_why,
                      s.restart_default ? "the members that run Sidekiq: SOLODYNO_MEMORY_RESTART"
                                        : "SOLODYNO_MEMORY_RESTART");
        sb_free(&who);
    }

    /* Boot order: the members after the first one that binds $PORT. */
    const char *binder = NULL;
    strbuf waiting = STRBUF_INIT;
    for (size_t i = 0; have_file && i < pf.n; i++) {
        const struct proc_line *e2 = &pf.lines[i];
        if (e2->kind != PROC_ENTRY || !procfile_member_enabled(e2, lookup))
            continue;
        if (binder)
            sb_printf(&waiting, "%s%s", waiting.len ? ", " : "", e2->name);
        else if (member_binds_port(e2->command))
            binder = e2->name;
    }
    if (!have_file)
        sb_append(out, "  boot     no Procfile.web here\n");
    else if (s.boot_together)
        sb_append(out, "  boot     every member at once (SOLODYNO_BOOT=together)\n");
    else if (!binder || !waiting.len)
        sb_append(out, "  boot     every member at once: none follows a member that binds $PORT\n");
    else
        sb_printf(out, "  boot     %s start%s once %s listens on $PORT, or after %lu s at most "
                       "(SOLODYNO_BOOT_WAIT)\n",
                  waiting.data, strchr(waiting.data, ',') ? "" : "s", binder,
                  s.boot_wait_ms / 1000);
    sb_free(&waiting);
    if (warnings.len) {
        sb_append(out, "  ");
        for (size_t i = 0; i + 1 < warnings.len; i++) {
            sb_append_char(out, warnings.data[i]);
            if (warnings.data[i] == '\n')
                sb_append(out, "  ");
        }
        sb_append_char(out, '\n');
    }
    sb_free(&warnings);
    watch_settings_free(&s);
    procfile_free(&pf);
}
