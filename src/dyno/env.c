#include "dyno/env.h"
#include "dyno/watch_settings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dyno/env_value.h"
#include "common/log.h"
#include "dyno/magick_policy.h"
#include "common/quote.h"
#include "common/stamp.h"
#include "common/fileio.h"
#include "common/xalloc.h"

/* Mastodon's streaming server's own pool size when DB_POOL is unset. */
#define STREAMING_DB_POOL 10u


static bool valid_name(const char *s)
{
    if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    size_t n = 0;
    for (; *s; s++, n++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return n <= 120;
}

/* The variable's value when set and not empty (empty counts as not set). */
static const char *given(const struct env_result *r, const char *name)
{
    const char *v = r->lookup(name);
    return v && *v ? v : NULL;
}

/* True if name is in list, a comma-separated SOLODYNO_DEFAULTS: the variables
 * an earlier `eval "$(solodyno env --shell)"` in this environment set. A
 * one-off dyno sources .profile before its command, so without it `heroku run
 * 'solodyno env --explain'` would take every default of ours for the user's. */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && !memcmp(p, name, n))
            return true;
        p = comma ? comma + 1 : p + len;
    }
    return false;
}

/* Who set a variable: the rule of env.h (README: "Your values win"). */
enum setter { SET_NOBODY, SET_USER, SET_OTHER, SET_US };
struct who {
    enum setter by;
    const char *now;    /* its value now, NULL when unset or empty */
    const char *user;   /* SET_USER: the user's value */
    const char *marker; /* NAME_SET_BY now, NULL when unset or empty */
};

static bool start_known(const struct env_result *r)
{
    return r->start && r->start->data;
}

static struct who who_set(const struct env_result *r, const char *name)
{
    char key[160];
    snprintf(key, sizeof key, "%s_SET_BY", name);
    struct who w = {SET_NOBODY, given(r, name), NULL, given(r, key)};
    bool ours_before = listed(given(r, ENV_DEFAULTS_VAR), name) ||
                       (w.marker && !strcmp(w.marker, "solodyno"));
    if (start_known(r)) {
        /* The start environment's own SOLODYNO_DEFAULTS names what in it was
         * ours (a shell started by one that had evaluated our block). */
        const char *at_start = start_env_get(r->start, name);
        if (at_start && *at_start &&
            !listed(start_env_get(r->start, ENV_DEFAULTS_VAR), name)) {
            w.by = SET_USER;
            w.user = at_start;
        } else if (w.now) {
            w.by = ours_before ? SET_US : SET_OTHER;
        }
        return w;
    }
    if (!w.now)
        return w;
    if (ours_before)
        w.by = SET_US;
    else if (w.marker)
        w.by = SET_OTHER;
    else {
        w.by = SET_USER;
        w.user = w.now;
    }
    return w;
}

/* The user's value of name, or NULL when the user did not set it. */
static const char *user_value(const struct env_result *r, const char *name)
{
    struct who w = who_set(r, name);
    return w.by == SET_USER ? w.user : NULL;
}

static struct env_entry *find(struct env_result *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->entries[i].name, name))
            return &r->entries[i];
    return NULL;
}

static struct env_entry *push(struct env_result *r, const char *name, const char *value,
                              const char *origin, enum env_status status)
{
    if (r->n >= ENV_MAX_ENTRIES)
        return NULL;
    struct env_entry *e = &r->entries[r->n++];
    *e = (struct env_entry){xstrdup(name), xstrdup(value), xstrdup(origin), status, NULL, NULL};
    return e;
}

static void note(struct env_result *r, const char *text)
{
    if (r->n_notes < ENV_MAX_NOTES)
        r->notes[r->n_notes++] = xstrdup(text);
}

/* Records what another buildpack had set: its value, and who (from the
 * NAME_SET_BY marker, when one names someone else). */
static void note_other(struct env_entry *e, const struct who *w)
{
    e->other = w->now ? xstrdup(w->now) : NULL;
    e->other_by = w->marker && strcmp(w->marker, "solodyno") != 0 ? xstrdup(w->marker) : NULL;
}

/* The user's value stands: left alone, or put back when another buildpack
 * changed it; a marker another buildpack left beside it is cleared, so
 * whoever comes after us does not take the user's value for a default. */
static void keep_users(struct env_result *r, const char *name, const struct who *w)
{
    if (w->now && !strcmp(w->now, w->user)) {
        push(r, name, w->user, "user", ENV_USER);
    } else {
        struct env_entry *e = push(r, name, w->user, "user", ENV_RESTORED);
        if (e)
            note_other(e, w);
    }
    char key[160];
    snprintf(key, sizeof key, "%s_SET_BY", name);
    const char *marker_at_start = start_known(r) ? start_env_get(r->start, key) : NULL;
    if (w->marker && !find(r, key) && !(marker_at_start && !strcmp(marker_at_start, w->marker))) {
        strbuf why = STRBUF_INIT;
        sb_printf(&why, "cleared: %s is yours, not a buildpack's default", name);
        struct env_entry *e = push(r, key, "", why.data, ENV_CLEARED);
        if (e)
            e->other = xstrdup(w->marker);
        sb_free(&why);
    }
}

void env_offer(void *ctx, const char *name, const char *value, const char *origin)
{
    struct env_result *r = ctx;
    if (!valid_name(name) || !value) {
        msg_note("warning: not setting '%s': not a variable name", name ? name : "(null)");
        return;
    }
    if (find(r, name))
        return;
    struct who w = who_set(r, name);
    if (w.by == SET_USER) {
        keep_users(r, name, &w);
        return;
    }
    struct env_entry *e = push(r, name, value, origin, w.by == SET_OTHER ? ENV_REPLACED : ENV_SET);
    if (!e)
        return;
    if (w.by == SET_OTHER)
        note_other(e, &w);
    /* The marker says the value is a buildpack's default, not the user's, so
     * whoever comes after us may replace it in turn. */
    char key[160];
    snprintf(key, sizeof key, "%s_SET_BY", name);
    if (w.marker || !strcmp(name, "WEB_CONCURRENCY")) {
        struct env_entry *old = find(r, key);
        if (!old) {
            strbuf why = STRBUF_INIT;
            sb_printf(&why, "marks %s as a buildpack's default, not yours", name);
            push(r, key, "solodyno", why.data, ENV_SET);
            sb_free(&why);
        }
    }
}

static void offer_number(struct env_result *r, const char *name, unsigned long long v,
                         const char *origin)
{
    char num[32];
    snprintf(num, sizeof num, "%llu", v);
    env_offer(r, name, num, origin);
}

/* The count a process will use: the user's, when the user set it to a whole
 * number; else ours. */
static unsigned effective(const struct env_result *r, const char *name, unsigned ours)
{
    const char *v = user_value(r, name);
    unsigned long long n;
    if (v && parse_whole(v, 1, 100000, &n))
        return (unsigned)n;
    return ours;
}

static bool user_set(const struct env_result *r, const char *name)
{
    return user_value(r, name) != NULL;
}

/* Where the app's code reads name, as the build recorded it ("config/
 * sidekiq.yml:2"), for --explain. */
static const char *read_at(const struct env_result *r, const char *name)
{
    const char *where = app_facts_where(&r->facts, name);
    return where ? where : "the app's code";
}

static void offer_puma(struct env_result *r, unsigned *threads_eff)
{
    const struct tuning *t = &r->tuning;
    strbuf why = STRBUF_INIT;
    sb_printf(&why, "tuned: 1 Puma worker per 384 MB over %u MB, 1 to %u (CPUs)",
              r->role.sidekiq ? 256 : 128, r->res.cpus);
    offer_number(r, "WEB_CONCURRENCY", t->web_concurrency, why.data);
    sb_free(&why);

    /* Mastodon reads MAX_THREADS; Rails apps RAILS_MAX_THREADS. */
    static const char *const names[] = {"MAX_THREADS", "RAILS_MAX_THREADS"};
    bool want[2] = {r->facts.mastodon || app_facts_reads(&r->facts, "MAX_THREADS"),
                    !r->facts.mastodon || app_facts_reads(&r->facts, "RAILS_MAX_THREADS")};
    *threads_eff = t->max_threads;
    bool found_user = false;
    for (int i = 0; i < 2; i++) {
        if (!want[i])
            continue;
        strbuf origin = STRBUF_INIT;
        sb_append(&origin, "tuned: Puma threads, 3 from 512 MB, 4 from 1 GB, 5 from 1.5 GB");
        if (app_facts_where(&r->facts, names[i]))
            sb_printf(&origin, "; %s reads it", app_facts_where(&r->facts, names[i]));
        offer_number(r, names[i], t->max_threads, origin.data);
        sb_free(&origin);
        if (!found_user && user_set(r, names[i])) {
            *threads_eff = effective(r, names[i], t->max_threads);
            found_user = true;
        }
    }
}

/* SIDEKIQ_CONCURRENCY is exported only where the app's code reads it
 * (Mastodon's config/sidekiq.yml from 4.1: :concurrency: <%= ENV.fetch(
 * 'SIDEKIQ_CONCURRENCY', 5) %>); elsewhere the -c ${SIDEKIQ_THREADS:-5} the
 * layout appends to each Sidekiq command carries the count. */
static void note_sidekiq_concurrency(struct env_result *r)
{
    note(r, "SIDEKIQ_CONCURRENCY: the app's code does not read it; the -c ${SIDEKIQ_THREADS:-5} of the Sidekiq "
            "command carries the thread count");
}

/* SIDEKIQ_THREADS and SIDEKIQ_CONCURRENCY are one setting: a user value in
 * either sets both (the second only where the app reads it). */
static void offer_sidekiq(struct env_result *r, unsigned *threads_eff)
{
    const char *names[2] = {"SIDEKIQ_THREADS", "SIDEKIQ_CONCURRENCY"};
    bool concurrency_read = app_facts_reads(&r->facts, names[1]);
    unsigned long long n;
    for (int i = 0; i < 2; i++) {
        if (!user_set(r, names[i]))
            continue;
        const char *v = user_value(r, names[i]);
        if (!parse_whole(v, 1, 100000, &n)) {
            strbuf sb = STRBUF_INIT;
            sb_printf(&sb, "%s and %s: %s is set but is not a whole number, so both are left alone",
                      names[0], names[1], names[i]);
            note(r, sb.data);
            sb_free(&sb);
            env_offer(r, names[i], v, "user"); /* the user's: kept (or put back) */
            *threads_eff = r->tuning.sidekiq_threads;
            return;
        }
        strbuf why = STRBUF_INIT;
        sb_printf(&why, "your %s: one setting", names[i]);
        if (i == 1 || concurrency_read)
            offer_number(r, names[1 - i], n, why.data);
        else
            note_sidekiq_concurrency(r);
        env_offer(r, names[i], v, "user"); /* the user's: kept (or put back) */
        sb_free(&why);
        *threads_eff = (unsigned)n;
        return;
    }
    const char *why = r->role.dedicated_sidekiq
                          ? "tuned: worker dyno, 1 Sidekiq thread per 128 MB, 5 to 25"
                          : "tuned: beside the web process, 1 Sidekiq thread per 512 MB, 1 to 10";
    offer_number(r, names[0], r->tuning.sidekiq_threads, why);
    if (concurrency_read) {
        strbuf same = STRBUF_INIT;
        sb_printf(&same, "the same setting as SIDEKIQ_THREADS; %s reads it", read_at(r, names[1]));
        offer_number(r, names[1], r->tuning.sidekiq_threads, same.data);
        sb_free(&same);
    } else {
        note_sidekiq_concurrency(r);
    }
    *threads_eff = r->tuning.sidekiq_threads;
}

/* Where Mastodon's web process listens: BIND, read by config/puma.rb as
 * bind "tcp://#{ENV.fetch('BIND', '127.0.0.1')}:#{PORT}" (line 12) and by
 * streaming/index.js as server.listen(PORT, process.env.BIND || '127.0.0.1')
 * (attachServerWithConfig; mastodon/mastodon 04c259a8 and 00010282). Fir's
 * router reaches only IPv6 listeners ("[::]:$PORT", Dev Center, "Dyno
 * Startup Behavior"): there Puma gets [::] (its URL needs the brackets) and
 * Node gets :: (listen() takes the bare address). On Cedar nothing is set:
 * Procfile.web's members say BIND=${BIND:-0.0.0.0}, every IPv4 interface,
 * unless the user's BIND (or this one) says otherwise. */
static void offer_bind(struct env_result *r)
{
    const struct dyno_role *role = &r->role;
    if (role->kind != DYNO_WEB || !r->facts.mastodon || !(role->puma || role->streaming)) {
        note(r, r->facts.mastodon ? "BIND: no web process on this dyno"
                                  : "BIND: a generic app's web command binds where it says");
        return;
    }
    if (!role->fir)
        note(r, "BIND: not on Fir: Procfile.web's members listen on 0.0.0.0 unless BIND is set");
    else if (role->streaming)
        env_offer(r, "BIND", "::", "Fir: IPv6 ([::]:$PORT), as Node's listen() spells it");
    else
        env_offer(r, "BIND", "[::]", "Fir: IPv6 ([::]:$PORT), bracketed for Puma's tcp:// URL");
}

static void version_text(const struct app_facts *f, char *out, size_t cap)
{
    if (f->version[0] < 0 || !f->version_text[0])
        snprintf(out, cap, "of unknown version");
    else
        snprintf(out, cap, "%s", f->version_text);
}

/* Names what this run sets, as ENV_DEFAULTS_VAR (see listed). */
static void record_our_names(struct env_result *r)
{
    strbuf names = STRBUF_INIT;
    for (size_t i = 0; i < r->n; i++) {
        const struct env_entry *e = &r->entries[i];
        if (e->status == ENV_USER || e->status == ENV_RESTORED || e->status == ENV_CLEARED ||
            strstr(e->name, "_SET_BY"))
            continue;
        sb_printf(&names, "%s%s", names.len ? "," : "", e->name);
    }
    if (names.len)
        push(r, ENV_DEFAULTS_VAR, names.data,
             "the variables above that are solodyno's, so a later run tells them from yours",
             ENV_SET);
    sb_free(&names);
}

void env_collect(const char *app_dir, const char *(*lookup)(const char *),
                 const struct start_env *start, struct env_result *r)
{
    memset(r, 0, sizeof *r);
    r->lookup = lookup;
    r->start = start;
    r->app_dir = app_dir;
    dyno_resources_detect(lookup, &r->res);
    r->facts_recorded = app_facts_read(app_dir, &r->facts) == 0;
    dyno_role_detect(lookup("DYNO"), lookup("RUN_WORKER"), lookup("RUN_STREAMING"),
                     r->facts.mastodon, &r->role);
    const struct dyno_role *role = &r->role;
    struct tuning_input in = {r->res.memory_mb, r->res.cpus, role->puma, role->sidekiq,
                              role->dedicated_sidekiq, role->streaming, role->fir};
    tuning_compute(&in, &r->tuning);

    unsigned puma_threads = 0, sidekiq_threads = 0;
    if (role->puma)
        offer_puma(r, &puma_threads);
    else
        note(r, "WEB_CONCURRENCY, MAX_THREADS: Puma does not run on this dyno");
    if (role->sidekiq || role->dedicated_sidekiq)
        offer_sidekiq(r, &sidekiq_threads);
    else if (role->kind == DYNO_WEB)
        note(r, "SIDEKIQ_THREADS: Sidekiq does not run on this dyno (RUN_WORKER is not \"true\")");
    else
        note(r, "SIDEKIQ_THREADS: Sidekiq does not run on this dyno");

    if (puma_threads || sidekiq_threads) {
        strbuf why = STRBUF_INIT;
        sb_printf(&why, "tuned: twice the most threads of one process here (%u)",
                  puma_threads > sidekiq_threads ? puma_threads : sidekiq_threads);
        unsigned pool = tuning_db_pool(puma_threads, sidekiq_threads);
        /* The streaming server reads DB_POOL too, for each of its workers:
         * never below its own default. */
        if (role->streaming && pool < STREAMING_DB_POOL) {
            pool = STREAMING_DB_POOL;
            sb_printf(&why, ", but at least %u for the streaming server", STREAMING_DB_POOL);
        }
        offer_number(r, "DB_POOL", pool, why.data);
        sb_free(&why);
    } else {
        note(r, "DB_POOL: neither Puma nor Sidekiq runs on this dyno");
    }

    /* STREAMING_CLUSTER_NUM: where the streaming server reads it, as the
     * build's scan found, whatever version.rb says (upstream's main branch
     * dropped clustering on 2023-04-26, commit 301e03e, while it still said
     * 4.1.2; 4.1.3 is the first release without it, its tree has 301e03e;
     * before 1.2.1, commit 64e1d51 of 2017-04-17, there was none either). */
    const char *cluster_where =
        app_facts_reads(&r->facts, "STREAMING_CLUSTER_NUM") ? read_at(r, "STREAMING_CLUSTER_NUM") : NULL;
    char version[APP_FACTS_VERSION_MAX + 24];
    version_text(&r->facts, version, sizeof version);
    if (role->streaming) {
        strbuf sb = STRBUF_INIT;
        if (cluster_where) {
            sb_printf(&sb, "tuned: the streaming server clusters (%s reads it): 1 worker per 160 MB, 1 to %u (CPUs)",
                      cluster_where, r->res.cpus < 16 ? r->res.cpus : 16);
            offer_number(r, "STREAMING_CLUSTER_NUM", r->tuning.streaming_cluster, sb.data);
        } else {
            /* True of every version: clustering came with 1.2.1 (64e1d51, 2017-04-17)
             * and went with 301e03e (2023-04-26), which 4.1.3 already ships. */
            sb_printf(&sb, "STREAMING_CLUSTER_NUM: the streaming server of this Mastodon %s does not read it (no "
                           "clustering: Mastodon's streaming server clustered only from 1.2.1 to 4.1.2, upstream "
                           "added it on 2017-04-17 and removed it on 2023-04-26)%s",
                      version, r->facts_recorded ? "" : "; the build recorded no app facts");
            note(r, sb.data);
        }
        sb_free(&sb);
    } else if (r->facts.mastodon) {
        note(r, "STREAMING_CLUSTER_NUM: the streaming server does not run on this dyno");
    }

    offer_bind(r);

    static const struct {
        const char *name, *value;
    } timeouts[] = {{"SERVICE_TIMEOUT", "180"}, {"WAIT_TIMEOUT", "150"}};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        const char *where = app_facts_reads(&r->facts, timeouts[i].name) ? read_at(r, timeouts[i].name) : NULL;
        if (where) {
            /* only forks' own initializers ever did: upstream hard-coded
             * rack-timeout's values until it left in June 2018 */
            strbuf why = STRBUF_INIT;
            sb_printf(&why, "the app's code reads it (%s)", where);
            env_offer(r, timeouts[i].name, timeouts[i].value, why.data);
            sb_free(&why);
        } else {
            strbuf sb = STRBUF_INIT;
            sb_printf(&sb, "%s: the app's code does not read it", timeouts[i].name);
            note(r, sb.data);
            sb_free(&sb);
        }
    }

    const struct tuning *t = &r->tuning;
    offer_number(r, "MAGICK_MEMORY_LIMIT", t->magick_memory_limit, "tuned: half the dyno, in bytes");
    offer_number(r, "MAGICK_THREAD_LIMIT", t->magick_thread_limit,
                 "tuned: one thread per image; parallelism comes from Puma and Sidekiq");
    offer_number(r, "VIPS_CONCURRENCY", t->vips_concurrency,
                 "tuned: one thread per image; parallelism comes from Puma and Sidekiq");
    offer_number(r, "MALLOC_ARENA_MAX", t->malloc_arena_max,
                 "tuned: 2 malloc arenas instead of 8 per CPU (Ruby memory bloat)");
    /* The source-version stamp's variables, through the same rule. */
    stamp_runtime_defaults(app_dir, r->facts.mastodon, lookup, env_offer, r);
    record_our_names(r);
}

void env_result_free(struct env_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->entries[i].name);
        free(r->entries[i].value);
        free(r->entries[i].origin);
        free(r->entries[i].other);
        free(r->entries[i].other_by);
    }
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    r->n = r->n_notes = 0;
}

void env_format_shell(const struct env_result *r, strbuf *out)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct env_entry *e = &r->entries[i];
        if (e->status == ENV_USER)
            continue;
        if (e->status == ENV_CLEARED) {
            sb_printf(out, "unset %s\n", e->name);
            continue;
        }
        sb_printf(out, "export %s=", e->name);
        sb_shell_quote(out, e->value);
        sb_append_char(out, '\n');
    }
}

void env_format_toml(const struct env_result *r, strbuf *out)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct env_entry *e = &r->entries[i];
        if (e->status == ENV_USER)
            continue;
        size_t mark = out->len;
        sb_printf(out, "%s = ", e->name);
        if (!sb_toml_string(out, e->value)) {
            out->len = mark;
            out->data[mark] = '\0';
            msg_note("warning: %s: not valid UTF-8, which TOML cannot hold; left out", e->name);
            continue;
        }
        sb_append_char(out, '\n');
    }
}

/* Text from the environment, shown to a person: control bytes and quotes
 * escaped, long values cut. */
static void sb_shown(strbuf *out, const char *s)
{
    size_t n = 0;
    for (; *s && n < 200; s++, n++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f || c == '\\')
            sb_printf(out, "\\x%02x", c);
        else
            sb_append_char(out, (char)c);
    }
    if (*s)
        sb_append(out, "...");
}

/* "heroku/nodejs's ", or "another buildpack's ". */
static void sb_whose(strbuf *out, const struct env_entry *e)
{
    if (e->other_by) {
        sb_shown(out, e->other_by);
        sb_append(out, "'s ");
    } else {
        sb_append(out, "another buildpack's ");
    }
}

/* "heroku/nodejs's 4", or "another buildpack's 4". */
static void sb_other(strbuf *out, const struct env_entry *e)
{
    sb_whose(out, e);
    sb_shown(out, e->other ? e->other : "");
}

/* Which rule told the user's values from the rest (README: "Your values win"). */
static void explain_rule(strbuf *out, const struct env_result *r)
{
    sb_append(out, "yours    ");
    if (start_known(r)) {
        sb_append(out, "what the dyno started with (the environment ");
        sb_shown(out, r->start->source);
        sb_append(out, " was started with); anything set later is another buildpack's default\n");
    } else if (r->start) {
        sb_append(out, "set and not marked NAME_SET_BY (the environment ");
        sb_shown(out, r->start->source);
        sb_printf(out, " was started with cannot be read: %s)\n", r->start->why_unknown);
    } else
        sb_append(out, "set and not marked NAME_SET_BY (no --start-env; at dyno start the "
                       ".profile block and the exec.d program give it)\n");
}

static void explain_var(strbuf *out, const struct env_result *r, const char *name)
{
    const char *v = r->lookup(name);
    sb_printf(out, "%s=", name);
    if (!v)
        sb_append(out, "(unset)");
    else if (!*v)
        sb_append(out, "(empty)");
    else
        sb_shown(out, v);
}

void env_format_explain(const struct env_result *r, strbuf *out)
{
    const struct dyno_role *role = &r->role;
    sb_printf(out, "memory   %u MB (%s)\n", r->res.memory_mb, r->res.memory_from);
    sb_printf(out, "CPUs     %u (%s)\n", r->res.cpus, r->res.cpus_from);
    sb_append(out, "dyno     ");
    explain_var(out, r, "DYNO");
    sb_printf(out, ": %s", dyno_role_describe(role));
    if (role->kind == DYNO_WEB) {
        sb_append(out, " (");
        explain_var(out, r, "RUN_WORKER");
        sb_append(out, ", ");
        explain_var(out, r, "RUN_STREAMING");
        sb_append(out, ")");
    }
    sb_append_char(out, '\n');
    char version[48];
    version_text(&r->facts, version, sizeof version);
    if (!r->facts_recorded)
        sb_printf(out, "app      not recorded (%s/%s missing): treated as a generic app\n",
                  r->app_dir, APP_FACTS_FILE);
    else if (r->facts.mastodon)
        sb_printf(out, "app      Mastodon %s\n", version);
    else
        sb_append(out, "app      a generic Rails-style app\n");
    if (role->puma || role->sidekiq || role->dedicated_sidekiq) {
        unsigned est = tuning_estimate_mb(&r->tuning);
        sb_printf(out, "budget   about %u MB of %u MB for the model's Ruby processes (%u MB each, %u MB per thread)\n",
                  est, r->res.memory_mb, TUNING_PROCESS_MB, TUNING_THREAD_MB);
        unsigned keep = (unsigned)((unsigned long long)r->res.memory_mb * TUNING_FIR_PLAN_PCT / 100);
        if (role->fir) /* tuning.c, fir_plan_mb */
            sb_printf(out, "         Fir restarts a dyno at 100 %% of its memory (no swap): planned within %u %% (%u MB)%s\n",
                      TUNING_FIR_PLAN_PCT, keep,
                      est > keep ? "; the smallest plan needs more: a larger dyno, or Sidekiq on a worker dyno" : "");
    }
    explain_rule(out, r);

    size_t w = 8;
    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->entries[i].name) > w)
            w = strlen(r->entries[i].name);
    sb_printf(out, "\n%-*s  %-12s  %s\n", (int)w, "VARIABLE", "VALUE", "FROM");
    for (size_t i = 0; i < r->n; i++) {
        const struct env_entry *e = &r->entries[i];
        if (!strcmp(e->name, ENV_DEFAULTS_VAR))
            continue; /* bookkeeping, not a setting */
        size_t mark = out->len;
        sb_printf(out, "%-*s  ", (int)w, e->name);
        sb_shown(out, e->status == ENV_CLEARED ? "(cleared)" : e->value);
        size_t shown_len = out->len - mark - w - 2;
        for (size_t k = shown_len; k < 12; k++)
            sb_append_char(out, ' ');
        sb_append(out, "  ");
        if (e->status == ENV_USER) {
            sb_append(out, "yours (set, left alone)");
        } else if (e->status == ENV_RESTORED) {
            sb_append(out, "yours (set, put back: ");
            if (e->other) {
                sb_other(out, e);
                sb_append(out, " had replaced it)");
            } else {
                sb_append(out, "it had been unset after the dyno started)");
            }
        } else {
            sb_append(out, e->origin);
            if (e->status == ENV_REPLACED) {
                sb_append(out, "; replaces ");
                sb_other(out, e);
            } else if (e->status == ENV_CLEARED) {
                sb_append(out, " (it said ");
                sb_shown(out, e->other);
                sb_append(out, ")");
            }
        }
        sb_append_char(out, '\n');
    }

    bool any = r->n_notes > 0;
    unsigned long long cap;
    const char *policy = NULL;
    bool capped = magick_policy_memory_cap(r->lookup, &cap, &policy) &&
                  cap < r->tuning.magick_memory_limit;
    if (any || capped)
        sb_append(out, "\nnot set, or not in full effect:\n");
    for (size_t i = 0; i < r->n_notes; i++)
        sb_printf(out, "  %s\n", r->notes[i]);
    if (capped) {
        const struct env_entry *m = NULL;
        for (size_t i = 0; i < r->n; i++)
            if (!strcmp(r->entries[i].name, "MAGICK_MEMORY_LIMIT"))
                m = &r->entries[i];
        if (m && m->status != ENV_USER)
            sb_printf(out,
                      "  MAGICK_MEMORY_LIMIT: the stack's ImageMagick policy (%s) caps memory at %llu "
                      "bytes, below %llu; a variable can only lower that cap, so ImageMagick uses %llu\n",
                      policy, cap, r->tuning.magick_memory_limit, cap);
    }
    /* What solodyno run's memory watch and boot order do here (issue 16):
     * only the web dyno runs solodyno run. */
    if (role->kind == DYNO_WEB)
        watch_explain(r->lookup, r->app_dir, &r->res, out);
}

void env_format_log(const struct env_result *r, strbuf *out)
{
    sb_printf(out, "solodyno: %u MB, %u CPUs, %s:", r->res.memory_mb, r->res.cpus,
              dyno_role_describe(&r->role));
    bool any = false, replaced = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct env_entry *e = &r->entries[i];
        if (e->status == ENV_USER || e->status == ENV_RESTORED || e->status == ENV_CLEARED ||
            strstr(e->name, "_SET_BY") || !strcmp(e->name, ENV_DEFAULTS_VAR))
            continue;
        sb_printf(out, " %s=", e->name);
        sb_shown(out, e->value);
        any = true;
        replaced |= e->status == ENV_REPLACED;
    }
    if (!any)
        sb_append(out, " nothing to set");
    /* Another buildpack's values we replaced: heroku/ruby's MALLOC_ARENA_MAX
     * is not the user's, and the line says so. */
    bool first = true;
    for (size_t i = 0; replaced && i < r->n; i++) {
        const struct env_entry *e = &r->entries[i];
        if (e->status != ENV_REPLACED || strstr(e->name, "_SET_BY"))
            continue;
        sb_append(out, first ? " (replacing " : ", ");
        sb_whose(out, e);
        sb_printf(out, "%s=", e->name);
        sb_shown(out, e->other ? e->other : "");
        first = false;
    }
    if (!first)
        sb_append_char(out, ')');
    first = true;
    for (size_t i = 0; i < r->n; i++) {
        const struct env_entry *e = &r->entries[i];
        if (e->status != ENV_USER && e->status != ENV_RESTORED)
            continue;
        sb_append(out, first ? " (yours: " : " ");
        sb_append(out, e->name);
        if (e->status == ENV_RESTORED) {
            sb_append(out, "=");
            sb_shown(out, e->value);
            sb_append(out, " put back");
        }
        first = false;
    }
    if (!first)
        sb_append_char(out, ')');
    sb_append_char(out, '\n');
}

static const char *lookup_env(const char *name)
{
    return getenv(name);
}

static int env_usage(void)
{
    fputs("usage: solodyno env --shell | --exec-d | --explain | --table [--app DIR] [--start-env PID]\n"
          "  --shell    export lines for the variables you have not set, safe to eval\n"
          "  --exec-d   the same as TOML on file descriptor 3 (Cloud Native Buildpacks exec.d)\n"
          "  --explain  a table: memory, CPUs, role, each variable, its value and its origin\n"
          "  --table    the model's values for every Heroku dyno size (Markdown)\n"
          "  --app DIR  the app directory (default: the current directory)\n"
          "  --start-env PID\n"
          "             your values are what process PID was started with (/proc/PID/environ):\n"
          "             the dyno's shell, or the CNB launcher; without it, a NAME_SET_BY marker\n"
          "             tells another buildpack's default from yours\n",
          stderr);
    return 2;
}

int cmd_env(int argc, char **argv)
{
    const char *mode = NULL, *app_dir = ".", *start_pid = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--app") && i + 1 < argc)
            app_dir = argv[++i];
        else if (!strcmp(argv[i], "--start-env") && i + 1 < argc)
            start_pid = argv[++i];
        else if (!mode && (!strcmp(argv[i], "--shell") || !strcmp(argv[i], "--exec-d") ||
                           !strcmp(argv[i], "--explain") || !strcmp(argv[i], "--table")))
            mode = argv[i];
        else
            return env_usage();
    }
    if (!mode)
        return env_usage();

    strbuf out = STRBUF_INIT;
    if (!strcmp(mode, "--table")) {
        tuning_table(&out);
        int rc = write_all(1, out.data, out.len) == 0 ? 0 : 1;
        sb_free(&out);
        return rc;
    }
    int fd = 1;
    if (!strcmp(mode, "--exec-d")) {
        /* The CNB launcher gives exec.d programs a third descriptor for output. */
        if (fcntl(3, F_GETFD) < 0) {
            msg_error("env --exec-d writes TOML to file descriptor 3, which is not open; it is "
                      "meant to run as a Cloud Native Buildpacks exec.d program");
            return 1;
        }
        fd = 3;
    }

    struct start_env start = {0};
    bool at_boot = !strcmp(mode, "--shell") || !strcmp(mode, "--exec-d");
    if (start_pid && start_env_read("/proc", start_pid, &start) != 0 && at_boot)
        msg_note("warning: --start-env %s: cannot read the environment that process started "
                 "with (%s); a NAME_SET_BY marker alone tells other buildpacks' defaults from "
                 "your values", start_pid, start.why_unknown);

    /* CNB: no DYNO at exec.d means `launcher CMD`, a one-off (see
     * CNB_ONE_OFF_DYNO); it gets that role and the process gets that DYNO. */
    bool cnb_one_off = !strcmp(mode, "--exec-d") && !(getenv("DYNO") && *getenv("DYNO"));
    if (cnb_one_off)
        setenv("DYNO", CNB_ONE_OFF_DYNO, 1);

    struct env_result r;
    env_collect(app_dir, lookup_env, start_pid ? &start : NULL, &r);
    if (!strcmp(mode, "--shell"))
        env_format_shell(&r, &out);
    else if (!strcmp(mode, "--exec-d")) {
        if (cnb_one_off)
            sb_append(&out, "DYNO = \"" CNB_ONE_OFF_DYNO "\"\n");
        env_format_toml(&r, &out);
    } else {
        env_format_explain(&r, &out);
    }

    int rc = 0;
    if (out.len && write_all(fd, out.data, out.len) < 0) {
        msg_error("env: cannot write the output (%s)", strerror(errno));
        rc = 1;
    }
    if (at_boot) {
        const char *lc = getenv("LOG_CONCURRENCY"), *sl = getenv("SOLODYNO_LOG");
        if ((lc && !strcmp(lc, "true")) || (sl && !strcmp(sl, "1"))) {
            strbuf log = STRBUF_INIT;
            env_format_log(&r, &log);
            write_all(2, log.data, log.len);
            sb_free(&log);
        }
    }
    sb_free(&out);
    env_result_free(&r);
    start_env_free(&start);
    return rc;
}
