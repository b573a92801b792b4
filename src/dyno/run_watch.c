/* The memory watch and the boot order inside solodyno run's loop: starting
 * the members in order, sampling when due, and restarting a member in place
 * when the guard asks (memory_watch.c decides; this file acts).
 *
 * A restart in place uses the loop's one way of stopping a member
 * (stop_member: SIGTERM to its group and descendants, SIGKILL at the end of
 * its grace); the member is marked `restarting`, so its end does not stop the
 * dyno; once no process of its group is left, it starts again with the same
 * command and environment (spawn_member, then state_write for solodyno
 * signal). If the dyno begins to stop meanwhile, it is not started again.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "dyno/run.h"

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

/* The lines of notes (one per line, as the watch's modules write them) into
 * solodyno's log, in order with everything else. */
static void pass_notes(struct supervisor *sv, strbuf *notes)
{
    for (char *line = notes->data; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        note(sv, "%.*s", (int)len, line);
        line += len + (nl ? 1 : 0);
    }
    sb_free(notes);
}

void watch_start(struct supervisor *sv, const struct procfile *pf)
{
    strbuf notes = STRBUF_INIT;
    watch_settings_read(env_lookup, pf, &sv->watch_settings, &notes);

    size_t slots = sv->n ? sv->n : 1;
    const char **commands = xrealloc(NULL, slots * sizeof *commands);
    sv->names = xrealloc(NULL, slots * sizeof *sv->names);
    for (size_t i = 0; i < sv->n; i++) {
        sv->names[i] = sv->members[i].name;
        commands[i] = sv->members[i].command;
    }
    sv->groups = xrealloc(NULL, slots * sizeof *sv->groups);
    sv->restartable = xrealloc(NULL, slots * sizeof *sv->restartable);
    memory_watch_init(&sv->watch, &sv->watch_settings, env_lookup, sv->names, commands, sv->n,
                      now_ms(), &notes);
    boot_order_plan(&sv->boot, &sv->watch_settings, getenv("PORT"), commands, sv->n, &notes);
    free(commands);
    pass_notes(sv, &notes);
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
    return next; /* a restarting member is MEMBER_STOPPING: next_wakeup looks at it */
}

/* Member i's old processes are gone: the same command again. */
static void restart_now(struct supervisor *sv, size_t i)
{
    struct member *m = &sv->members[i];
    strbuf notes = STRBUF_INIT;
    for (size_t k = 0; k < sv->n; k++)
        sv->groups[k] = sv->members[k].group_alive ? sv->members[k].pid : 0;
    memory_watch_after_stop(&sv->watch, i, sv->groups, &notes);
    pass_notes(sv, &notes);
    /* What the old processes left in the pipe comes first. */
    while (m->out.fd >= 0 && stream_pump(&sv->out, &m->out))
        ;
    if (m->out.fd >= 0 || m->out.partial_len)
        stream_finish(&sv->out, &m->out);
    m->restarting = false;
    m->killed = false;
    if (spawn_member(sv, m) != 0) {
        note(sv, "%s could not be started again after its restart: stopping the dyno", m->name);
        begin_stop(sv, SIGTERM, 1);
        return;
    }
    state_write(sv); /* solodyno signal finds the new process */
}

static void sample_memory(struct supervisor *sv, long long now)
{
    for (size_t i = 0; i < sv->n; i++) {
        const struct member *m = &sv->members[i];
        sv->groups[i] = m->group_alive ? m->pid : 0;
        sv->restartable[i] = m->state == MEMBER_RUNNING && !m->restarting;
    }
    strbuf metrics = STRBUF_INIT, notes = STRBUF_INIT;
    int restart = memory_watch_sample(&sv->watch, now, sv->groups, sv->restartable, &metrics, &notes);
    /* The metrics line goes to stdout, where the log router reads l2met. */
    if (metrics.len) {
        outq_append3(&sv->out.q, 1, metrics.data, metrics.len, "", 0, "", 0);
        /* Output as any: the queue's memory is given back once it is quiet. */
        sv->output_at_ms = now;
        sv->output_released = false;
    }
    sb_free(&metrics);
    pass_notes(sv, &notes);
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
    if (!sv->stop_signal && sv->boot.waiting && now >= boot_order_due(&sv->boot)) {
        strbuf notes = STRBUF_INIT;
        bool go = boot_order_check(&sv->boot, now, sv->names, &notes);
        pass_notes(sv, &notes);
        if (go && start_members(sv, sv->boot.first_batch, sv->n))
            state_write(sv);
    }
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
