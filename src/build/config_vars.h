/* Config vars at build time. Heroku's bin/compile gets them as ENV_DIR, one file
 * per variable whose content is the value; CNB's bin/build gets the same shape
 * in $CNB_PLATFORM_DIR/env. */
#ifndef SOLODYNO_CONFIG_VARS_H
#define SOLODYNO_CONFIG_VARS_H

enum config_status { CONFIG_INVALID = -1, CONFIG_UNSET = 0, CONFIG_SET = 1 };

/* Looks NAME up in env_dir (NULL or "" means no ENV_DIR: unset). On CONFIG_SET,
 * *value is malloc'd, with one trailing newline removed (a file written with
 * echo). A value with a NUL byte or an inner newline, or over 64 KiB, is
 * CONFIG_INVALID: the build warns, naming the file, and goes on without it. */
enum config_status config_var_get(const char *env_dir, const char *name, char **value);

#endif
