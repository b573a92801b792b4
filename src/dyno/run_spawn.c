/* Starting a member: `bash -c COMMAND` in its own process group, with what a
 * freshly started program expects (default signal handling, an empty mask,
 * /dev/null as stdin), and at a terminal the terminal's foreground for the
 * one member that writes straight to it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "dyno/run.h"

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

/* A member's output pipe holds this much: four times the default, so a
 * member writing in bursts wakes us a quarter as often (half the context
 * switches in bench_run.sh). The kernel takes the pages only while the pipe
 * is full; a failure (a lower pipe-max-size) keeps the default. */
#define MEMBER_PIPE_SIZE (256 * 1024)

static int make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    /* Only our end is non-blocking: the member's end stays as programs expect. */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[0], F_SETPIPE_SZ, MEMBER_PIPE_SIZE);
    return 0;
}

/* A terminal's foreground for the member, as tini gives it to its child
 * (tini.c isolate_child, krallin/tini 369448a), when: there is one member,
 * writing straight to our stdout (no prefixing), our stdin is a terminal, and
 * we are its foreground now (started in the background, we must not steal it:
 * tini's own TODO in spawn()). Then a program that sets terminal modes (a
 * console, a debugger) is not stopped by SIGTTOU, Ctrl-C reaches it
 * directly, and its stdin is the terminal, as it would be without us. */
void decide_terminal(struct supervisor *sv)
{
    sv->own_pgrp = getpgrp();
    sv->give_terminal = sv->n == 1 && !sv->prefix && isatty(STDIN_FILENO) &&
                        tcgetpgrp(STDIN_FILENO) == sv->own_pgrp;
}

/* The child side of a member, between fork and exec: never returns. */
static void become_member(const struct supervisor *sv, const struct member *m, pid_t supervisor,
                          int out_w)
{
    /* Its own process group: a signal to the group reaches whatever the
     * command starts (Puma's workers, a shell's children), and nothing else. */
    setpgid(0, 0);
    /* Every signal is still blocked (inherited), SIGTTOU included, so a
     * process of a background group may take the foreground. */
    if (sv->give_terminal)
        tcsetpgrp(STDIN_FILENO, getpid());
    /* If we die without stopping it (a crash, SIGKILL from outside), it gets
     * SIGTERM instead of running on unsupervised. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != supervisor)
        _exit(143);
    reset_signals_for_child();

    /* stdin: a member in a background group must never stop on terminal
     * input; the one in the foreground reads the terminal. */
    if (!sv->give_terminal)
        dup2(sv->devnull, STDIN_FILENO);
    if (out_w >= 0) {
        /* One pipe for both: its lines stay in the order it wrote them. */
        dup2(out_w, STDOUT_FILENO);
        dup2(out_w, STDERR_FILENO);
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

int spawn_member(struct supervisor *sv, struct member *m)
{
    int out[2] = {-1, -1};

    if (sv->prefix && make_pipe(out) != 0) {
        note(sv, "error: cannot start %s: pipe: %s", m->name, strerror(errno));
        return -1;
    }
    pid_t supervisor = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        note(sv, "error: cannot start %s: fork: %s", m->name, strerror(errno));
        if (out[0] >= 0) {
            close(out[0]);
            close(out[1]);
        }
        return -1;
    }
    if (pid == 0)
        become_member(sv, m, supervisor, out[1]);

    /* Also here, so the group exists before we might signal it. */
    setpgid(pid, pid);
    m->pid = pid;
    m->state = MEMBER_RUNNING;
    m->running = m->group_alive = true;
    m->killed = false;
    m->has_terminal = sv->give_terminal;
    if (sv->prefix) {
        close(out[1]);
        m->out.fd = out[0];
    }
    return 0;
}
