/* The sub-commands of `solodyno`, one source file each (see main.c's table). */
#ifndef SOLODYNO_COMMANDS_H
#define SOLODYNO_COMMANDS_H

/* Each takes the arguments after its own name (argv[0] is the sub-command) and
 * returns the process exit status. */
int cmd_version(int argc, char **argv);
int cmd_cnb(int argc, char **argv);
int cmd_procfile(int argc, char **argv);
int cmd_stamp(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_signal(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_slugignore(int argc, char **argv);

#endif
