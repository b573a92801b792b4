/* The process table, read from /proc: who descends from whom, and what a
 * process is called. solodyno run uses it to stop every descendant (a setsid
 * daemon three levels below a member gets no signal sent to the member's
 * group) and the processes it inherited; solodyno signal uses it to find a
 * member's main process past a wrapping shell. */
#ifndef SOLODYNO_RUN_PROC_H
#define SOLODYNO_RUN_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct proc_info {
    pid_t pid, ppid, pgid;
    char state;                 /* 'R', 'S', 'Z'... */
    unsigned long long start;   /* start time in clock ticks since boot */
};

struct proc_table {
    struct proc_info *p;        /* sorted by pid */
    size_t n, cap;
};

/* Reads root and its descendants (root 0: every process) from /proc.
 * Returns -1 if /proc cannot be read. */
int proc_table_read(struct proc_table *t, pid_t root);
void proc_table_free(struct proc_table *t);

/* The entry of pid, or NULL. */
const struct proc_info *proc_find(const struct proc_table *t, pid_t pid);

/* Whether pid descends from ancestor (its child, grandchild...). */
bool proc_descends_from(const struct proc_table *t, pid_t pid, pid_t ancestor);

/* One process's /proc/PID/stat; false if it is gone. */
bool proc_read_one(pid_t pid, struct proc_info *out);

/* "sh ./agent.sh --loop": its command line, printable (control bytes become
 * '?'), cut at size; its name in brackets when it has no command line. */
void proc_command_text(pid_t pid, char *space, size_t size);

/* The base name of the program pid runs ("bash"), or "" if unknown. */
void proc_exe_name(pid_t pid, char *space, size_t size);

#endif
