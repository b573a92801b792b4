/* solodyno run FILE: runs the members of a Procfile.web together on one dyno.
 *
 * It replaces the hand-made `a & b & wait -n; kill -SIGTERM -$$; wait` line,
 * and gets right what that line (and most process managers) get wrong:
 *
 *   start-up   every signal we act on is blocked before the first fork, so a
 *              SIGTERM that arrives while members are being started waits in
 *              the signalfd instead of killing us or being lost;
 *   members    each is `bash -c COMMAND` in its own process group, in the app
 *              directory, stdin /dev/null, with an empty signal mask and
 *              default dispositions (whatever our parent ignored);
 *   stopping   SIGTERM, SIGINT or SIGHUP is passed on once to every member's
 *              group and every descendant or inherited process, then SIGCONT;
 *              a member that ends on its own stops the others the same way;
 *              SIGKILL after the grace period; we exit with 128+signal or with
 *              the status of the member that ended first; every other signal
 *              is handled (run_signals.c has the table);
 *   reaping    we are a child subreaper, so orphans of the members become our
 *              children and are reaped; we exit only when no process of any
 *              member group is left;
 *   output     with two or more members every line gets a `name | ` prefix and
 *              is written whole, so lines of different members never mix; a
 *              member's stdout and stderr share one pipe, so its own lines
 *              keep their order; nothing we write can block the loop.
 *
 * Structure. One thread, one poll() loop (supervise(), below), no signal
 * handlers, so no async-signal-safety puzzles and no EINTR in the middle of a
 * write. Each turn of the loop:
 *   1. builds the poll set: the signalfd; each member's output pipe, unless
 *      the output queue is full (backpressure); our stdout or stderr, when a
 *      write to it would have blocked;
 *   2. sleeps until one is ready or until what is due next (next_wakeup(): a
 *      member's SIGKILL time, the look for new processes while stopping);
 *   3. passes on output first (a member's last lines come before the note
 *      saying it ended), then reads signals, then runs what is due (run_due()).
 * The parts, one file each:
 *   run.h          struct member (one per enabled line, with its state: not
 *                  started, running, stopping) and struct supervisor
 *   run_config.c   settings and the members of FILE
 *   run_spawn.c    forking and exec'ing a member; the terminal's foreground
 *   run_signals.c  what each signal does
 *   run_stop.c     the one place that stops a member (stop_member(): its
 *                  signal and SIGCONT to its group and descendants now, SIGKILL
 *                  at its own deadline), the dyno-wide stop built on it, the
 *                  processes outside the members, reaping
 *   run_proc.c     the process table (/proc): descendants, names
 *   run_output.c   splitting members' output into prefixed lines
 *   run_outq.c     the bounded output queue and its non-blocking writes
 *   run_state.c    the state file that `solodyno signal` (cmd_signal.c) reads
 *   run_util.c     the clock, notes, and the wording of log lines
 * A member has its own stop deadline, so stopping one member to restart it in
 * place (stop_member(): its end is then logged as asked, not as the end of
 * the dyno; it stays MEMBER_STOPPING, and so in every stop and SIGKILL, until
 * its group is gone; then MEMBER_NOT_STARTED, which finished() waits for,
 * until spawn_member() and state_write()) and starting one later
 * (MEMBER_NOT_STARTED until its time) fit the same loop: put the time in
 * next_wakeup() and act on it in run_due(); a periodic task (a memory sample
 * every N seconds) is one more time in next_wakeup() and a call in run_due().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common/log.h"
#include "dyno/run.h"

/* A busy member's pipe is read up to this many times before the others get
 * their turn: fewer poll() calls under load, and no member can starve another. */
#define READS_PER_TURN 8

/* After this long without members' output (and nothing queued), the memory
 * the output used is given back. */
#define OUTPUT_QUIET_MS 1000

/* At the very end, how long a stalled reader of our output may take nothing
 * before what is left is dropped. */
#define FINAL_FLUSH_MS 2000

/* At the very end, reads per member pipe: a process that escaped its group
 * may still hold the pipe open and keep writing. */
#define FINAL_READS 64

/* The next time something is due, or -1 for none (only a signal or output
 * can then wake us). */
static long long next_wakeup(const struct supervisor *sv)
{
    long long next = -1;
    for (size_t i = 0; i < sv->n; i++) {
        const struct member *m = &sv->members[i];
        if (m->state == MEMBER_STOPPING && !m->killed && (next < 0 || m->stop_deadline_ms < next))
            next = m->stop_deadline_ms;
        /* While a member stops, its group may end with no SIGCHLD for us
         * (its last process was not our child), and its processes may fork:
         * look again now and then. */
        if (m->state == MEMBER_STOPPING) {
            long long check = now_ms() + STOP_POLL_MS;
            if (next < 0 || check < next)
                next = check;
        }
    }
    if (sv->stop_signal && !sv->killed && (next < 0 || sv->deadline_ms < next))
        next = sv->deadline_ms;
    long long watch = watch_next_wakeup(sv); /* boot order, memory samples */
    if (watch >= 0 && (next < 0 || watch < next))
        next = watch;
    if (sv->stop_signal) {
        long long check = now_ms() + STOP_POLL_MS;
        if (next < 0 || check < next)
            next = check;
    }
    if (sv->output_at_ms && !sv->output_released) {
        long long quiet = sv->output_at_ms + OUTPUT_QUIET_MS;
        if (next < 0 || quiet < next)
            next = quiet;
    }
    return next;
}

static int poll_timeout(const struct supervisor *sv)
{
    long long next = next_wakeup(sv);
    if (next < 0)
        return -1;
    long long left = next - now_ms();
    /* While stopping, wake at least every STOP_POLL_MS; otherwise sleep until
     * what is due (a memory sample 20 s away must not cost 200 wakeups). */
    long long cap = sv->stop_signal ? STOP_POLL_MS : 24LL * 3600 * 1000;
    return left < 0 ? 0 : left > cap ? (int)cap : (int)left;
}

/* What is due at this turn of the loop. */
static void run_due(struct supervisor *sv)
{
    run_stop_checks(sv);
    if (sv->output_at_ms && !sv->output_released && sv->out.q.queued == 0 &&
        now_ms() >= sv->output_at_ms + OUTPUT_QUIET_MS) {
        output_release(&sv->out);
        sv->output_released = true;
    }
    watch_run_due(sv); /* after the checks: a restarting member whose group is gone starts again */
}

static bool output_has_room(const struct supervisor *sv)
{
    return sv->out.q.queued < OUTQ_BACKLOG_MAX;
}

static void supervise(struct supervisor *sv)
{
    size_t cap = 3 + sv->n;
    struct pollfd *fds = calloc(cap, sizeof *fds);
    struct member **of = calloc(cap, sizeof *of);
    if (!fds || !of) {
        msg_error("out of memory");
        exit(1);
    }

    while (!finished(sv)) {
        /* What was queued before the loop or since the last turn (notes of
         * start-up, of signals) goes out before we sleep. */
        outq_flush(&sv->out.q);
        size_t k = 0;
        fds[k++] = (struct pollfd){.fd = sv->sigfd, .events = POLLIN};
        size_t first_pipe = k;
        /* Backpressure: with our output backlog full, members' pipes wait
         * (their writers block, as on a slow stdout); signals never do. */
        if (output_has_room(sv))
            for (size_t i = 0; i < sv->n; i++)
                if (sv->members[i].out.fd >= 0) {
                    of[k] = &sv->members[i];
                    fds[k++] = (struct pollfd){.fd = sv->members[i].out.fd, .events = POLLIN};
                }
        size_t end_pipes = k;
        for (int fd = 1; fd <= 2; fd++)
            if (sv->out.q.sinks[fd].want_out)
                fds[k++] = (struct pollfd){.fd = sv->out.q.sinks[fd].fd, .events = POLLOUT};

        if (poll(fds, k, poll_timeout(sv)) < 0 && errno != EINTR) {
            msg_error("poll: %s", strerror(errno));
            exit(1);
        }
        /* Output first, so a member's last lines come before the note saying
         * it ended. */
        for (size_t i = first_pipe; i < end_pipes; i++)
            for (int reads = 0; fds[i].revents && reads < READS_PER_TURN && output_has_room(sv);
                 reads++) {
                bool more = stream_pump(&sv->out, &of[i]->out);
                /* Written as it comes: the queue stays a few blocks long. */
                outq_flush(&sv->out.q);
                sv->output_at_ms = now_ms();
                sv->output_released = false;
                if (!more)
                    break;
            }
        outq_flush(&sv->out.q);
        if (fds[0].revents)
            read_signals(sv);
        run_due(sv);
    }
    free(fds);
    free(of);
}

/* Drains whatever the members left in their pipes, flushes unfinished lines,
 * then writes out the queue. Called last: a process that escaped its group
 * may still hold a pipe open, so we take what is there and do not wait for
 * the end. */
static void drain_output(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct stream *s = &sv->members[i].out;
        for (int reads = 0; s->fd >= 0 && reads < FINAL_READS && stream_pump(&sv->out, s); reads++)
            outq_flush(&sv->out.q);
        if (s->fd >= 0)
            stream_finish(&sv->out, s);
    }
    outq_drain(&sv->out.q, FINAL_FLUSH_MS);
}

static void free_supervisor(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        if (m->out.fd >= 0)
            close(m->out.fd);
        free(m->out.partial);
        free(m->prefix);
    }
    free(sv->members);
    free(sv->outsiders);
    free(sv->out.buf);
    outq_free(&sv->out.q);
    if (sv->sigfd >= 0)
        close(sv->sigfd);
    if (sv->devnull >= 0)
        close(sv->devnull);
}

/* The directory of file: the app directory the members run in. */
static int enter_app_dir(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        return 0;
    size_t len = slash == file ? 1 : (size_t)(slash - file);
    char *dir = strndup(file, len);
    int rc = dir ? chdir(dir) : -1;
    if (rc != 0)
        msg_error("cannot enter %s: %s", dir ? dir : file, strerror(errno));
    free(dir);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fputs("usage: solodyno run FILE   (runs the processes listed in FILE together)\n", stderr);
        return 2;
    }
    struct supervisor sv = {.sigfd = -1, .devnull = -1, .exit_status = 1, .file = argv[1]};
    struct procfile pf = {0};
    int prefix_setting, rc = 1;

    /* Signals first: from here on, a SIGTERM waits for the loop. */
    if (set_up_signals(&sv) != 0 || read_settings(&sv, &prefix_setting) != 0 ||
        load_members(&sv, sv.file, &pf) != 0)
        goto out;
    sv.self = getpid();
    sv.prefix = prefix_setting >= 0 ? prefix_setting == 1 : sv.n > 1;
    if (sv.prefix)
        make_prefixes(&sv);
    outq_open_sinks(&sv.out.q);
    sv.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (sv.devnull < 0) {
        msg_error("cannot open /dev/null: %s", strerror(errno));
        goto out;
    }
    if (enter_app_dir(sv.file) != 0)
        goto out;

    note_inherited(&sv);
    decide_terminal(&sv);
    /* In file order; those after the member that binds $PORT may wait for
     * it (boot_order.c). One that cannot start stops what did (members not
     * started have no group to signal): there is no dyno without every member. */
    watch_start(&sv, &pf);
    watch_start_members(&sv);
    state_write(&sv);
    supervise(&sv);
    state_remove(&sv);
    drain_output(&sv);
    rc = sv.exit_status;

out:
    watch_free(&sv);
    free_supervisor(&sv);
    procfile_free(&pf);
    return rc;
}
