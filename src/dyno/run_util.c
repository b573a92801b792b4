/* Small helpers of solodyno run: the clock and the wording of signals, exit
 * statuses and durations in its log lines. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "dyno/run.h"

long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *signal_name(int sig, char *space, size_t size)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
        snprintf(space, size, "SIG%s", abbrev);
    else
        snprintf(space, size, "signal %d", sig);
    return space;
}

/* The status a shell would report: the exit code, or 128+N for signal N. */
int exit_code_of(int wait_status)
{
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return WEXITSTATUS(wait_status);
}

/* "28 s", "2.5 s": for messages about the grace period. */
const char *seconds_text(unsigned long ms, char *space, size_t size)
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

void describe_end(int wait_status, char *space, size_t size)
{
    char sig[32];
    if (WIFSIGNALED(wait_status))
        snprintf(space, size, "was killed by %s%s",
                 signal_name(WTERMSIG(wait_status), sig, sizeof sig),
                 WCOREDUMP(wait_status) ? " (core dumped)" : "");
    else
        snprintf(space, size, "exited with status %d", WEXITSTATUS(wait_status));
}

void note(struct supervisor *sv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *text = malloc((size_t)n + 1);
    if (!text)
        return;
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    /* Through the output queue, never straight to stderr: a stalled reader
     * must not block the loop, and the note must come after the member lines
     * queued before it. */
    outq_note(&sv->out.q, "%s", text);
    free(text);
}
