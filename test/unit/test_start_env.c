/* The start environment: parsing an environ file, looking names up, reading
 * /proc/PID/environ of a real process and refusing what is not a pid. */
#include <stdlib.h>
#include <unistd.h>

#include "dyno/start_env.h"
#include "unit.h"

int main(void)
{
    struct start_env s;
    static const char environ_file[] = "A=1\0AB=2\0=odd\0NOEQUALS\0EMPTY=\0A=second\0LAST=no-nul";
    start_env_parse(environ_file, sizeof environ_file - 1, &s);
    CHECK_STR(start_env_get(&s, "A"), "1"); /* the first entry, as getenv takes it */
    CHECK_STR(start_env_get(&s, "AB"), "2");
    CHECK_STR(start_env_get(&s, "EMPTY"), "");
    CHECK_STR(start_env_get(&s, "LAST"), "no-nul");
    CHECK(start_env_get(&s, "NOEQUALS") == NULL);
    CHECK(start_env_get(&s, "") == NULL);
    CHECK(start_env_get(&s, "B") == NULL);
    CHECK(start_env_get(&s, "ABC") == NULL);
    start_env_free(&s);
    CHECK(start_env_get(&s, "A") == NULL);

    start_env_parse("", 0, &s);
    CHECK(s.data != NULL && start_env_get(&s, "A") == NULL);
    start_env_free(&s);

    /* this process's own: what it was started with */
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    const char *path = getenv("PATH");
    setenv("SOLODYNO_UNIT_LATER", "1", 1); /* not in the start environment */
    CHECK(start_env_read("/proc", pid, &s) == 0);
    CHECK(start_env_get(&s, "SOLODYNO_UNIT_LATER") == NULL);
    if (path)
        CHECK_STR(start_env_get(&s, "PATH"), path);
    CHECK(!strncmp(s.source, "process ", 8) && !strcmp(s.source + 8, pid));
    start_env_free(&s);

    /* not a pid, or no such process: unknown, with a reason */
    CHECK(start_env_read("/proc", "12x", &s) == -1 && s.data == NULL);
    CHECK_STR(s.why_unknown, "not a process id");
    CHECK(start_env_read("/proc", "0", &s) == -1);
    CHECK(start_env_read("/proc", "", &s) == -1);
    CHECK(start_env_read("/proc", NULL, &s) == -1);
    CHECK(start_env_read("/nonexistent-proc", "1", &s) == -1 && s.why_unknown != NULL);
    CHECK(start_env_read("/proc", "4194305", &s) == -1);
    UNIT_DONE();
}
