/* solodyno: the buildpack's helper program. It links only libc, because it is
 * compiled on the Heroku build dyno and runs on the run image, which has no
 * compiler and few libraries. Each sub-command lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

#define SOLODYNO_VERSION "0.1.0"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
};

static const struct command commands[] = {
    {"version", cmd_version, "version                       print the version"},
    {"cnb", cmd_cnb, "cnb launch|layer|stamp ...    write Cloud Native Buildpack files (bin/build)"},
    {"procfile", cmd_procfile, "procfile APP_DIR [ENV_DIR]    inject the one-dyno process layout (build; --summary first: one line on it)"},
    {"stamp", cmd_stamp, "stamp APP_DIR [ENV_DIR]       record the source version in the slug (build)"},
    {"run", cmd_run, "run FILE                      run the processes listed in FILE together"},
    {"signal", cmd_signal, "signal [--group] NAME SIG     send SIG to member NAME of the running `solodyno run`"},
    {"env", cmd_env, "env --shell|--exec-d|--explain print the tuned runtime defaults (--table: every dyno size)"},
    {"profile", cmd_profile, "profile APP_DIR               write the managed block of APP_DIR/.profile"},
    {"slugignore", cmd_slugignore, "slugignore APP_DIR            removes .slugignore's matches (the local build)"},
};

int cmd_version(int argc, char **argv)
{
    (void)argc, (void)argv;
    puts("solodyno " SOLODYNO_VERSION);
    return 0;
}

static void usage(FILE *to)
{
    fputs("usage: solodyno COMMAND [ARGS]\n\ncommands:\n", to);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "solodyno: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
