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
 *              group; a member that ends on its own stops the others the same
 *              way; SIGKILL after the grace period; we exit with 128+signal or
 *              with the status of the member that ended first;
 *   reaping    we are a child subreaper, so orphans of the members become our
 *              children and are reaped; we exit only when no process of any
 *              member group is left;
 *   output     with two or more members every line gets a `name | ` prefix and
 *              is written whole, so lines of different members never mix.
 *
 * One thread, one poll() loop: a signalfd for signals, one pipe per member
 * output stream, and a timeout for the grace period. No signal handlers, so no
 * async-signal-safety puzzles and no EINTR in the middle of a write.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "dyno/env_value.h"
#include "common/log.h"
#include "common/procfile.h"
#include "common/strbuf.h"

/* Heroku kills a dyno 30 s after SIGTERM; Sidekiq needs 25 s to finish or put
 * back its jobs. 28 s leaves it that, plus a moment for our SIGKILL to land. */
#define DEFAULT_GRACE_MS 28000UL
#define MAX_GRACE_MS (3600UL * 1000)

/* Heroku's log router splits lines longer than 10,000 bytes. Splitting them
 * ourselves at that size, prefix included, keeps every piece prefixed. */
#define LOG_LINE_MAX 10000

/* While stopping, how often to look for member groups whose last process was
 * not our child (we get no SIGCHLD for those). */
#define STOP_POLL_MS 100

/* A busy stream is read up to this many times before the others get their
 * turn: fewer poll() calls under load, and no member can starve another. */
#define READS_PER_TURN 8

/* One read() from a member takes up to this much (half a default pipe): big
 * enough for few system calls under load, small enough for a small process.
 * It must exceed LOG_LINE_MAX, so an unfinished line always fits. */
#define READ_SIZE (32 * 1024)

/* Lines passed to one writev(): two iovecs each (prefix, line). */
#define LINES_PER_WRITE 256

/* One output stream (stdout or stderr) of a member, when prefixing. */
struct stream {
    int fd;             /* read end of the member's pipe; -1 when closed */
    int to;             /* where its lines go: our fd 1 or 2 */
    char *partial;      /* the start of a line whose end has not come yet */
    size_t partial_len, partial_cap;
};

struct member {
    const char *name;    /* both point into the parsed Procfile.web */
    const char *command;
    char *prefix;        /* "name    | ", padded to the longest name */
    size_t prefix_len;
    pid_t pid;           /* the `bash -c` process, also its process group id */
    bool running;        /* started and not yet reaped */
    bool group_alive;    /* a process of its group may still be alive */
    struct stream out, err;
};

struct supervisor {
    struct member *members;
    size_t n;
    bool prefix;              /* members' output goes through our pipes */
    unsigned long grace_ms;
    int sigfd;                /* reads the signals blocked in `handled` */
    sigset_t handled;
    int devnull;              /* every member's stdin */

    int stop_signal;          /* what the members were sent; 0 while running */
    int exit_status;          /* decided by whatever began the stop */
    long long deadline_ms;    /* SIGKILL time, once stopping */
    bool killed;              /* SIGKILL was sent */
    bool strays_signalled;    /* processes that left the member groups got stop_signal */

    char *buf;                /* read buffer shared by every stream: READ_SIZE */
    bool out_broken[3];       /* our fd 1 or 2 failed (EPIPE): drop what goes there */
};

/* ---- small helpers ------------------------------------------------------ */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *signal_name(int sig, char *space, size_t size)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
        snprintf(space, size, "SIG%s", abbrev);
    else
        snprintf(space, size, "signal %d", sig);
    return space;
}

/* The status a shell would report: the exit code, or 128+N for signal N. */
static int exit_code_of(int wait_status)
{
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return WEXITSTATUS(wait_status);
}

/* "28 s", "2.5 s": for messages about the grace period. */
static const char *seconds_text(unsigned long ms, char *space, size_t size)
{
    if (ms % 1000 == 0)
        snprintf(space, size, "%lu s", ms / 1000);
    else {
        snprintf(space, size, "%lu.%03lu", ms / 1000, ms % 1000);
        size_t end = strlen(space);
        while (space[end - 1] == '0')
            space[--end] = '\0';
        snprintf(space + end, size - end, " s");
    }
    return space;
}

static void describe_end(int wait_status, char *space, size_t size)
{
    char sig[32];
    if (WIFSIGNALED(wait_status))
        snprintf(space, size, "was killed by %s%s",
                 signal_name(WTERMSIG(wait_status), sig, sizeof sig),
                 WCOREDUMP(wait_status) ? " (core dumped)" : "");
    else
        snprintf(space, size, "exited with status %d", WEXITSTATUS(wait_status));
}

/* ---- configuration ------------------------------------------------------- */

static const char *env_lookup(const char *name) { return getenv(name); }

/* SOLODYNO_GRACE and SOLODYNO_PREFIX. An empty value counts as unset. */
static int read_settings(struct supervisor *sv, int *prefix_setting)
{
    const char *grace = getenv("SOLODYNO_GRACE");
    const char *prefix = getenv("SOLODYNO_PREFIX");

    sv->grace_ms = DEFAULT_GRACE_MS;
    if (grace && *grace && !parse_seconds_ms(grace, MAX_GRACE_MS, &sv->grace_ms)) {
        msg_error("SOLODYNO_GRACE must be a number of seconds from 0 to %lu, like 28 or 2.5; "
                  "it is '%s'", MAX_GRACE_MS / 1000, grace);
        return -1;
    }
    *prefix_setting = -1; /* decided by the number of members */
    if (prefix && *prefix && (*prefix_setting = parse_switch(prefix)) < 0) {
        msg_error("SOLODYNO_PREFIX must be 0 or 1 (or false/true); it is '%s'", prefix);
        return -1;
    }
    return 0;
}

/* Explains, for each member, the variable that decides whether it runs. */
static void explain_conditions(const struct procfile *pf, strbuf *why)
{
    for (size_t i = 0; i < pf->n; i++) {
        const struct proc_line *l = &pf->lines[i];
        if (l->kind != PROC_ENTRY || !l->cond_var)
            continue;
        const char *value = getenv(l->cond_var);
        sb_printf(why, "\n  %s runs when %s is %s\"true\" (it is ", l->name, l->cond_var,
                  l->cond_negated ? "not " : "");
        if (value)
            sb_printf(why, "\"%s\")", value);
        else
            sb_append(why, "unset)");
    }
}

/* Reads FILE strictly and keeps the members enabled on this dyno, in file order. */
static int load_members(struct supervisor *sv, const char *file, struct procfile *pf)
{
    strbuf diag = STRBUF_INIT;
    int rc = procfile_load(file, file, PROCFILE_WEB, pf, &diag);
    if (rc != 0) {
        size_t len = diag.len;
        while (len > 0 && diag.data[len - 1] == '\n') /* msg_error ends the line */
            len--;
        if (rc > 0)
            msg_error("%s: no such file (it lists the processes to run together)", file);
        else
            msg_error("%.*s", (int)len, len ? diag.data : "");
        sb_free(&diag);
        return -1;
    }
    sb_free(&diag);

    size_t entries = 0;
    sv->members = calloc(pf->n ? pf->n : 1, sizeof *sv->members);
    if (!sv->members) {
        msg_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < pf->n; i++) {
        const struct proc_line *l = &pf->lines[i];
        if (l->kind != PROC_ENTRY)
            continue;
        entries++;
        if (!procfile_member_enabled(l, env_lookup))
            continue;
        struct member *m = &sv->members[sv->n++];
        m->name = l->name;
        m->command = l->command;
        m->out.fd = m->err.fd = -1;
        m->out.to = STDOUT_FILENO;
        m->err.to = STDERR_FILENO;
    }
    if (entries == 0) {
        msg_error("%s lists no processes (expected lines like \"puma: bundle exec puma\")", file);
        return -1;
    }
    if (sv->n == 0) {
        strbuf why = STRBUF_INIT;
        explain_conditions(pf, &why);
        msg_error("no process of %s is enabled on this dyno:%s\n"
                  "Set those config vars to choose what runs here.", file, why.data ? why.data : "");
        sb_free(&why);
        return -1;
    }
    return 0;
}

/* "name    | " for every member, padded to the longest name. */
static void make_prefixes(struct supervisor *sv)
{
    size_t width = 0;
    for (size_t i = 0; i < sv->n; i++)
        if (strlen(sv->members[i].name) > width)
            width = strlen(sv->members[i].name);
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        size_t len = strlen(m->name);
        strbuf sb = STRBUF_INIT;
        sb_append_len(&sb, m->name, len);
        while (len++ < width)
            sb_append_char(&sb, ' ');
        sb_append(&sb, " | ");
        m->prefix_len = sb.len;
        m->prefix = sb_take(&sb);
    }
}

/* ---- signals ------------------------------------------------------------- */

/* Blocks the signals we act on (they are read from a signalfd instead), before
 * anything else: one sent during start-up then waits for the loop. */
static int set_up_signals(struct supervisor *sv)
{
    static const int handled[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD};

    sigemptyset(&sv->handled);
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        sigaddset(&sv->handled, handled[i]);
    if (sigprocmask(SIG_BLOCK, &sv->handled, NULL) != 0) {
        msg_error("cannot block signals: %s", strerror(errno));
        return -1;
    }
    /* Default dispositions, set once they are blocked: an ignored SIGCHLD
     * inherited from our parent would make the kernel reap members for us and
     * hide their exit status. */
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        signal(handled[i], SIG_DFL);
    /* A closed stdout must give us EPIPE to handle, not kill us. */
    signal(SIGPIPE, SIG_IGN);

    sv->sigfd = signalfd(-1, &sv->handled, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sv->sigfd < 0) {
        msg_error("signalfd: %s", strerror(errno));
        return -1;
    }
    /* Orphans of the members are re-parented to us, not to init, so we can
     * reap them and know when a member's group is really empty. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        msg_note("cannot become a child subreaper (%s): orphans of members will be reaped "
                 "by init instead", strerror(errno));
    return 0;
}

/* In a new member, before exec: what a freshly started program expects. */
static void reset_signals_for_child(void)
{
    sigset_t none;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (sig >= 32 && sig < SIGRTMIN) {
            /* glibc keeps these two for itself and refuses to touch them, yet
             * a parent can leave them ignored (GNU make does). The system
             * call resets them: an all-zero kernel sigaction is SIG_DFL, no
             * flags, empty mask, whatever the architecture's layout. */
            unsigned long dfl[8] = {0};
            syscall(SYS_rt_sigaction, sig, dfl, NULL, (NSIG - 1) / 8);
        } else {
            signal(sig, SIG_DFL);
        }
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* ---- output -------------------------------------------------------------- */

/* Writes every byte of iov to fd, or marks fd broken and drops the rest. */
static void write_all(struct supervisor *sv, int fd, struct iovec *iov, int cnt)
{
    while (cnt > 0 && !sv->out_broken[fd]) {
        ssize_t w = writev(fd, iov, cnt);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) { /* someone made the shared stdout non-blocking */
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                poll(&p, 1, -1);
                continue;
            }
            /* Typically EPIPE: the log reader is gone. Keep supervising and
             * keep draining the members' pipes, so they never block. */
            sv->out_broken[fd] = true;
            if (fd == STDOUT_FILENO)
                msg_note("writing to stdout failed (%s): members' output is dropped from now on",
                         strerror(errno));
            return;
        }
        /* Skip what was written; a short write resumes mid-iovec. */
        size_t done = (size_t)w;
        while (cnt > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++, cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
}

/* Where to split a line that is too long: at most max bytes, and not inside
 * a UTF-8 character when the bytes before the cut look like one. */
static size_t split_point(const char *s, size_t max)
{
    size_t cut = max;
    for (size_t back = 1; back <= 3 && back <= max; back++) {
        unsigned char c = (unsigned char)s[max - back];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back */
        if (c >= 0xC0) {
            size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (back < need)
                cut = max - back; /* the character would be cut: keep it whole */
        }
        break;
    }
    return cut > 0 ? cut : max;
}

/* Writes data as prefixed lines, each in the same writev() as its prefix. A
 * line longer than max bytes is split into pieces of at most max; a piece
 * without a line end (a split, or the last bytes of a stream) gets one. */
static void write_lines(struct supervisor *sv, struct member *m, struct stream *s,
                        const char *data, size_t len, size_t max)
{
    struct iovec iov[2 * LINES_PER_WRITE + 1];
    int cnt = 0;
    const char *p = data, *end = data + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t content = (size_t)((nl ? nl : end) - p);
        size_t take = content > max ? split_point(p, max) : nl ? content + 1 : content;
        iov[cnt++] = (struct iovec){.iov_base = m->prefix, .iov_len = m->prefix_len};
        iov[cnt++] = (struct iovec){.iov_base = (void *)p, .iov_len = take};
        if (p[take - 1] != '\n')
            iov[cnt++] = (struct iovec){.iov_base = "\n", .iov_len = 1};
        p += take;
        if (cnt >= 2 * LINES_PER_WRITE) {
            write_all(sv, s->to, iov, cnt);
            cnt = 0;
        }
    }
    if (cnt)
        write_all(sv, s->to, iov, cnt);
}

static void keep_partial(struct stream *s, const char *data, size_t len)
{
    s->partial_len = 0;
    if (len == 0)
        return;
    if (len > s->partial_cap) {
        char *grown = realloc(s->partial, len);
        if (!grown) {
            msg_error("out of memory");
            exit(1);
        }
        s->partial = grown;
        s->partial_cap = len;
    }
    memcpy(s->partial, data, len);
    s->partial_len = len;
}

static void close_stream(struct stream *s)
{
    close(s->fd);
    s->fd = -1;
    free(s->partial);
    s->partial = NULL;
    s->partial_len = s->partial_cap = 0;
}

/* Reads once from a member's pipe and passes on every complete line. The
 * start of an unfinished line waits in s->partial for the next read, unless it
 * is already longer than a log line: then its full-size pieces go now. Returns
 * false at the end of the stream or when there was nothing to read. */
static bool pump(struct supervisor *sv, struct member *m, struct stream *s)
{
    size_t max = LOG_LINE_MAX - m->prefix_len; /* content of one output line */
    char *buf = sv->buf;                       /* READ_SIZE bytes */

    if (s->partial_len)
        memcpy(buf, s->partial, s->partial_len);
    ssize_t n = read(s->fd, buf + s->partial_len, READ_SIZE - s->partial_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return false;
    if (n <= 0) { /* the end: every process holding the write end is gone */
        write_lines(sv, m, s, buf, s->partial_len, max);
        close_stream(s);
        return false;
    }

    size_t len = s->partial_len + (size_t)n;
    const char *last_nl = memrchr(buf, '\n', len);
    size_t whole = last_nl ? (size_t)(last_nl - buf) + 1 : 0;
    while (len - whole > max)
        whole += split_point(buf + whole, max);
    write_lines(sv, m, s, buf, whole, max);
    keep_partial(s, buf + whole, len - whole);
    return true;
}

/* Drains whatever the members left in their pipes, and flushes unfinished
 * lines. Called last: a process that escaped its group may still hold a pipe
 * open, so we take what is there and do not wait for the end. */
static void drain_output(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        struct stream *streams[] = {&m->out, &m->err};
        for (int k = 0; k < 2; k++) {
            struct stream *s = streams[k];
            while (s->fd >= 0 && pump(sv, m, s))
                ;
            if (s->fd >= 0) {
                write_lines(sv, m, s, s->partial, s->partial_len, LOG_LINE_MAX - m->prefix_len);
                close_stream(s);
            }
        }
    }
}

/* ---- spawning ------------------------------------------------------------ */

static int make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    /* Only our end is non-blocking: the member's end stays as programs expect. */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    return 0;
}

/* The child side of a member, between fork and exec: never returns. */
static void become_member(const struct supervisor *sv, const struct member *m, pid_t supervisor,
                          int out_w, int err_w)
{
    /* Its own process group: a signal to the group reaches whatever the
     * command starts (Puma's workers, a shell's children), and nothing else. */
    setpgid(0, 0);
    /* If we die without stopping it (a crash, SIGKILL from outside), it gets
     * SIGTERM instead of running on unsupervised. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != supervisor)
        _exit(143);
    reset_signals_for_child();

    /* stdin: a member in a background group must never stop on terminal input. */
    dup2(sv->devnull, STDIN_FILENO);
    if (out_w >= 0) {
        dup2(out_w, STDOUT_FILENO);
        dup2(err_w, STDERR_FILENO);
    }
    /* $0 is the member's name, so the shell's own errors say which member. */
    char *argv[] = {"bash", "-c", (char *)m->command, (char *)m->name, NULL};
    execvp("bash", argv);
    argv[0] = "sh";
    execv("/bin/sh", argv);
    static const char msg[] = "solodyno: error: cannot run bash or /bin/sh\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
        /* nothing left to tell */
    }
    _exit(127);
}

static int spawn_member(struct supervisor *sv, struct member *m)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};

    if (sv->prefix && (make_pipe(out) != 0 || make_pipe(err) != 0)) {
        msg_error("cannot start %s: pipe: %s", m->name, strerror(errno));
        goto fail;
    }
    pid_t supervisor = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        msg_error("cannot start %s: fork: %s", m->name, strerror(errno));
        goto fail;
    }
    if (pid == 0)
        become_member(sv, m, supervisor, out[1], err[1]);

    /* Also here, so the group exists before we might signal it. */
    setpgid(pid, pid);
    m->pid = pid;
    m->running = m->group_alive = true;
    if (sv->prefix) {
        close(out[1]);
        close(err[1]);
        m->out.fd = out[0];
        m->err.fd = err[0];
    }
    return 0;

fail:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
    }
    return -1;
}

/* ---- stopping and reaping ----------------------------------------------- */

static void signal_groups(struct supervisor *sv, int sig)
{
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].group_alive)
            kill(-sv->members[i].pid, sig);
}

static bool in_member_group(const struct supervisor *sv, pid_t pid)
{
    pid_t pgid = getpgid(pid);
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].pid == pgid)
            return true;
    return false;
}

/* Our children outside every member group: processes that left their group
 * (setsid, setpgid) and were orphaned to us. The group signals miss them. */
static void signal_strays(struct supervisor *sv, int sig)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "re");
    if (!f)
        return; /* kernels without it: Heroku stops such strays with the dyno */
    long pid;
    while (fscanf(f, "%ld", &pid) == 1)
        if (!in_member_group(sv, (pid_t)pid))
            kill((pid_t)pid, sig);
    fclose(f);
}

/* Begins the stop: sig to every member group, SIGKILL at the deadline. */
static void begin_stop(struct supervisor *sv, int sig, int exit_status)
{
    sv->stop_signal = sig;
    sv->exit_status = exit_status;
    sv->deadline_ms = now_ms() + (long long)sv->grace_ms;
    signal_groups(sv, sig);
    signal_strays(sv, sig);
}

static void stop_wording(const struct supervisor *sv, int sig, char *space, size_t size)
{
    char name[32], grace[32];
    snprintf(space, size, "%s to every member, SIGKILL after %s", signal_name(sig, name, sizeof name),
             seconds_text(sv->grace_ms, grace, sizeof grace));
}

static void member_ended(struct supervisor *sv, struct member *m, int wait_status)
{
    char how[96], plan[96];

    m->running = false;
    describe_end(wait_status, how, sizeof how);
    if (sv->stop_signal) {
        msg_note("%s %s", m->name, how);
        return;
    }
    stop_wording(sv, SIGTERM, plan, sizeof plan);
    msg_note("%s %s; stopping the others (%s)", m->name, how, plan);
    begin_stop(sv, SIGTERM, exit_code_of(wait_status));
}

/* Reaps every child that has ended: members, and orphans re-parented to us. */
static void reap_children(struct supervisor *sv)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < sv->n; i++)
            if (sv->members[i].pid == pid && sv->members[i].running)
                member_ended(sv, &sv->members[i], status);
    }
}

/* A group is gone once no process is left in it. Its last process may have
 * been a child of a process outside the group, so we ask the kernel. */
static void check_groups(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        if (m->group_alive && !m->running && kill(-m->pid, 0) != 0 && errno == ESRCH)
            m->group_alive = false;
    }
}

static void on_signal(struct supervisor *sv, int sig)
{
    char name[32], plan[96];

    switch (sig) {
    case SIGCHLD:
        reap_children(sv);
        break;
    case SIGUSR1:
    case SIGUSR2: /* Puma's and Sidekiq's control signals: pass them on */
        signal_groups(sv, sig);
        break;
    default: /* SIGTERM, SIGINT, SIGHUP */
        if (sv->stop_signal) {
            /* Heroku sends SIGTERM to every process; a second one must not
             * shorten anybody's grace. */
            msg_note("%s again: already stopping", signal_name(sig, name, sizeof name));
            break;
        }
        stop_wording(sv, sig, plan, sizeof plan);
        msg_note("%s received: stopping (%s)", signal_name(sig, name, sizeof name), plan);
        begin_stop(sv, sig, 128 + sig);
        break;
    }
}

static void read_signals(struct supervisor *sv)
{
    struct signalfd_siginfo si;
    while (read(sv->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        on_signal(sv, (int)si.ssi_signo);
}

static void enforce_deadline(struct supervisor *sv)
{
    if (!sv->stop_signal || sv->killed || now_ms() < sv->deadline_ms)
        return;
    strbuf left = STRBUF_INIT;
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].group_alive)
            sb_printf(&left, "%s%s", left.len ? ", " : "", sv->members[i].name);
    char grace[32];
    if (left.len)
        msg_note("grace period over (%s): SIGKILL to what is left of %s",
                 seconds_text(sv->grace_ms, grace, sizeof grace), left.data);
    sb_free(&left);
    sv->killed = true;
    signal_groups(sv, SIGKILL);
    signal_strays(sv, SIGKILL);
}

static bool have_children(void)
{
    siginfo_t info;
    info.si_pid = 0;
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Done when no member group is left and every child is reaped. Strays outside
 * the groups get the stop signal once the groups are gone, SIGKILL at the
 * deadline; if they cannot be found (no /proc), we stop waiting a second later. */
static bool finished(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].running || sv->members[i].group_alive)
            return false;
    if (!have_children())
        return true;
    if (!sv->strays_signalled) {
        sv->strays_signalled = true;
        signal_strays(sv, sv->killed ? SIGKILL : sv->stop_signal);
    }
    return sv->killed && now_ms() >= sv->deadline_ms + 1000;
}

static int poll_timeout(const struct supervisor *sv)
{
    if (!sv->stop_signal)
        return -1; /* every member runs: only a signal or output wakes us */
    long long left = sv->killed ? STOP_POLL_MS : sv->deadline_ms - now_ms();
    if (left < 0)
        left = 0;
    return left < STOP_POLL_MS ? (int)left : STOP_POLL_MS;
}

/* ---- the loop ------------------------------------------------------------ */

static void supervise(struct supervisor *sv)
{
    size_t cap = 1 + 2 * sv->n;
    struct pollfd *fds = calloc(cap, sizeof *fds);
    struct stream **of = calloc(cap, sizeof *of);
    struct member **owner = calloc(cap, sizeof *owner);
    if (!fds || !of || !owner) {
        msg_error("out of memory");
        exit(1);
    }

    while (!finished(sv)) {
        size_t k = 0;
        fds[k++] = (struct pollfd){.fd = sv->sigfd, .events = POLLIN};
        for (size_t i = 0; i < sv->n; i++) {
            struct member *m = &sv->members[i];
            struct stream *streams[] = {&m->out, &m->err};
            for (int j = 0; j < 2; j++) {
                if (streams[j]->fd < 0)
                    continue;
                of[k] = streams[j];
                owner[k] = m;
                fds[k++] = (struct pollfd){.fd = streams[j]->fd, .events = POLLIN};
            }
        }
        if (poll(fds, k, poll_timeout(sv)) < 0 && errno != EINTR) {
            msg_error("poll: %s", strerror(errno));
            exit(1);
        }
        /* Output first, so a member's last lines come before the note saying
         * it ended. */
        for (size_t i = 1; i < k; i++)
            for (int reads = 0; fds[i].revents && reads < READS_PER_TURN; reads++)
                if (!pump(sv, owner[i], of[i]))
                    break;
        if (fds[0].revents)
            read_signals(sv);
        enforce_deadline(sv);
        check_groups(sv);
    }
    free(fds);
    free(of);
    free(owner);
}

static void free_supervisor(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        if (m->out.fd >= 0)
            close_stream(&m->out);
        if (m->err.fd >= 0)
            close_stream(&m->err);
        free(m->prefix);
    }
    free(sv->members);
    free(sv->buf);
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
    const char *file = argv[1];
    struct supervisor sv = {.sigfd = -1, .devnull = -1, .exit_status = 1};
    struct procfile pf = {0};
    int prefix_setting, rc = 1;

    /* Signals first: from here on, a SIGTERM waits for the loop. */
    if (set_up_signals(&sv) != 0 || read_settings(&sv, &prefix_setting) != 0 ||
        load_members(&sv, file, &pf) != 0)
        goto out;
    sv.prefix = prefix_setting >= 0 ? prefix_setting == 1 : sv.n > 1;
    if (sv.prefix) {
        make_prefixes(&sv);
        sv.buf = malloc(READ_SIZE);
        if (!sv.buf) {
            msg_error("out of memory");
            goto out;
        }
    }
    sv.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (sv.devnull < 0) {
        msg_error("cannot open /dev/null: %s", strerror(errno));
        goto out;
    }
    if (enter_app_dir(file) != 0)
        goto out;

    for (size_t i = 0; i < sv.n; i++) {
        if (spawn_member(&sv, &sv.members[i]) != 0) {
            /* Stop what did start (members not started have no group to
             * signal); there is no dyno without every member. */
            begin_stop(&sv, SIGTERM, 1);
            break;
        }
    }
    supervise(&sv);
    if (sv.prefix)
        drain_output(&sv);
    rc = sv.exit_status;

out:
    free_supervisor(&sv);
    procfile_free(&pf);
    return rc;
}
