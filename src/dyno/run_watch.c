/* The memory watch and the boot order inside solodyno run's loop: starting
 * the members in order, sampling when due, and restarting a member in place
 * when the guard asks (memory_watch.c decides; this file acts).
 *
 * A restart in place uses the loop's one way of stopping a member
 * (stop_member: SIGTERM to its group, SIGKILL at the end of its grace); the
 * member is marked `restarting`, so its end does not stop the dyno; once no
 * process of its group is left, it starts again with the same command and
 * environment. If the dyno begins to stop meanwhile, it is not started again.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "dyno/run.h"

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

void watch_start(struct supervisor *sv, const struct procfile *pf)
{
    strbuf warnings = STRBUF_INIT;
    watch_settings_read(env_lookup, pf, &sv->watch_settings, &warnings);
    /* One note per warning line. */
    for (char *line = warnings.data; line && *line;) {
        char *nl = strchr(line, '\n');
        msg_note("%.*s", (int)(nl ? nl - line : (long)strlen(line)), line);
        line = nl ? nl + 1 : line + strlen(line);
    }
    sb_free(&warnings);

    const char **names = xrealloc(NULL, (sv->n ? sv->n : 1) * sizeof *names);
    const char **commands = xrealloc(NULL, (sv->n ? sv->n : 1) * sizeof *commands);
    for (size_t i = 0; i < sv->n; i++) {
        names[i] = sv->members[i].name;
        commands[i] = sv->members[i].command;
    }
    sv->groups = xrealloc(NULL, (sv->n ? sv->n : 1) * sizeof *sv->groups);
    sv->restartable = xrealloc(NULL, (sv->n ? sv->n : 1) * sizeof *sv->restartable);
    memory_watch_init(&sv->watch, &sv->watch_settings, env_lookup, names, commands, sv->n, now_ms());
    boot_order_plan(&sv->boot, &sv->watch_settings, getenv("PORT"), commands, sv->n);
    sv->names = names;
    free(commands);
}

/* Starts members [from, to); false (and the dyno stopping) if one cannot be
 * started: there is no dyno without every member. */
static bool start_members(struct supervisor *sv, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (spawn_member(sv, &sv->members[i]) != 0) {
            begin_stop(sv, SIGTERM, 1);
            return false;
        }
    }
    return true;
}

void watch_start_members(struct supervisor *sv)
{
    if (start_members(sv, 0, sv->boot.first_batch))
        boot_order_started(&sv->boot, now_ms());
    else
        sv->boot.waiting = false;
}

long long watch_next_wakeup(const struct supervisor *sv)
{
    if (sv->stop_signal)
        return -1; /* nothing of ours is due while the dyno stops */
    long long next = boot_order_due(&sv->boot), sample = memory_watch_due(&sv->watch);
    if (sample >= 0 && (next < 0 || sample < next))
        next = sample;
    for (size_t i = 0; i < sv->n; i++) {
        /* A restarting member's group may end without a SIGCHLD for us. */
        if (sv->members[i].restarting) {
            long long check = now_ms() + STOP_POLL_MS;
            if (next < 0 || check < next)
                next = check;
        }
    }
    return next;
}

/* Member m's old processes are gone: the same command again. */
static void restart_now(struct supervisor *sv, size_t i)
{
    struct member *m = &sv->members[i];
    memory_watch_after_stop(&sv->watch, i, sv->groups);
    /* What the old processes left in the pipes comes first. */
    struct stream *streams[] = {&m->out, &m->err};
    for (int k = 0; k < 2; k++) {
        while (streams[k]->fd >= 0 && stream_pump(&sv->out, streams[k]))
            ;
        if (streams[k]->fd >= 0 || streams[k]->partial)
            stream_finish(&sv->out, streams[k]);
    }
    m->restarting = false;
    m->killed = false;
    if (spawn_member(sv, m) != 0) {
        msg_note("%s could not be started again after its restart: stopping the dyno", m->name);
        begin_stop(sv, SIGTERM, 1);
    }
}

static void sample_memory(struct supervisor *sv, long long now)
{
    for (size_t i = 0; i < sv->n; i++) {
        const struct member *m = &sv->members[i];
        sv->groups[i] = m->group_alive ? m->pid : 0;
        sv->restartable[i] = m->state == MEMBER_RUNNING && !m->restarting;
    }
    strbuf metrics = STRBUF_INIT;
    int restart = memory_watch_sample(&sv->watch, now, sv->groups, sv->restartable, &metrics);
    if (metrics.len)
        output_write(&sv->out, STDOUT_FILENO, metrics.data, metrics.len);
    sb_free(&metrics);
    if (restart >= 0) {
        struct member *m = &sv->members[restart];
        m->restarting = true;
        stop_member(sv, m, SIGTERM, now + (long long)sv->grace_ms);
    }
}

void watch_run_due(struct supervisor *sv)
{
    if (sv->stop_signal) {
        /* Stopping: nobody waits to start, nobody is started again. */
        sv->boot.waiting = false;
        for (size_t i = 0; i < sv->n; i++)
            sv->members[i].restarting = false;
        return;
    }
    long long now = now_ms();
    for (size_t i = 0; i < sv->n && !sv->stop_signal; i++) {
        const struct member *m = &sv->members[i];
        if (m->restarting && !m->running && !m->group_alive)
            restart_now(sv, i);
    }
    if (!sv->stop_signal && sv->boot.waiting && now >= boot_order_due(&sv->boot) &&
        boot_order_check(&sv->boot, now, sv->names))
        start_members(sv, sv->boot.first_batch, sv->n);
    long long due = memory_watch_due(&sv->watch);
    if (!sv->stop_signal && due >= 0 && now >= due)
        sample_memory(sv, now);
}

void watch_free(struct supervisor *sv)
{
    memory_watch_free(&sv->watch);
    watch_settings_free(&sv->watch_settings);
    free(sv->groups);
    free(sv->restartable);
    free(sv->names);
}
