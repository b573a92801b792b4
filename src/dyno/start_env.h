/* The environment a process was started with: what tells a user's value from
 * another buildpack's default.
 *
 * The kernel keeps the environment a process was exec'd with in its memory,
 * and /proc/PID/environ shows it; what the process exports later (a shell
 * sourcing .profile.d scripts, the CNB launcher applying env.launch files and
 * exec.d output) is not in it. So:
 *
 * - Heroku starts a dyno as `bash -l -c COMMAND` with the config vars in its
 *   environment; that one shell sources the .profile.d scripts and then
 *   .profile, where our block runs `solodyno env --shell --start-env $$`.
 * - The CNB launcher reads its own environment (the image's, plus what the
 *   platform set: `docker run -e`, Fir's config vars) at start
 *   (buildpacks/lifecycle v0.21.12 cmd/launcher/cli/launcher.go:48), applies
 *   every buildpack's env.launch (launch/launcher.go:65, 99-109), then runs
 *   each exec.d program as its own child with the modified environment
 *   (launch/exec_d.go:35-42, exec.Command + cmd.Run); our exec.d program
 *   passes its parent, the launcher, as --start-env.
 */
#ifndef SOLODYNO_START_ENV_H
#define SOLODYNO_START_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* /proc/PID/environ is at most the kernel's argument limit (a quarter of the
 * stack limit, 2 MiB by default); anything larger is refused. */
#define START_ENV_MAX (8u * 1024 * 1024)

struct start_env {
    char *data; /* NUL-separated NAME=VALUE entries, NUL-terminated; NULL
                   when it could not be read */
    size_t len;
    char source[48];         /* "process 1234" */
    const char *why_unknown; /* data == NULL: why */
};

/* Parses the bytes of an environ file (copied). Entries without '=' are
 * skipped when looked up; a last entry without its NUL counts. */
void start_env_parse(const char *data, size_t len, struct start_env *s);

/* Reads PROC_ROOT/PID/environ (proc_root is "/proc" but in unit tests).
 * pid_text must be a process id in decimal. Returns 0, or -1 with data NULL
 * and why_unknown set to a reason (static, or strerror's). */
int start_env_read(const char *proc_root, const char *pid_text, struct start_env *s);

/* NAME's value in the start environment (the first entry for NAME, as getenv
 * and Go's os.Getenv take it), or NULL when absent. */
const char *start_env_get(const struct start_env *s, const char *name);

void start_env_free(struct start_env *s);

#endif
