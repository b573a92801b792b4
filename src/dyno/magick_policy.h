/* ImageMagick's policy.xml caps its resources, and an environment variable can
 * only lower a cap: Debian's and heroku-22's policy caps memory at 256MiB, so
 * a larger MAGICK_MEMORY_LIMIT is silently ignored there. `solodyno env
 * --explain` reads the stack's policy to say so. */
#ifndef SOLODYNO_MAGICK_POLICY_H
#define SOLODYNO_MAGICK_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/* ImageMagick's size syntax: "256MiB", "1GB", "2.5GiB", "1048576", "100KB"
 * (a binary prefix with "i", decimal without; a trailing "B" optional).
 * Returns false for anything else. */
bool magick_parse_size(const char *s, size_t n, unsigned long long *bytes);

/* The memory cap of the policy document data[0..n): the value of the first
 * <policy domain="resource" name="memory" value="..."/> outside comments.
 * Returns false when there is none (or it cannot be read as a size). */
bool magick_policy_memory(const char *data, size_t n, unsigned long long *bytes);

/* Reads the stack's policy.xml: $SOLODYNO_MAGICK_POLICY if set, else the
 * first of /etc/ImageMagick-6, -7 and /etc/ImageMagick. *path gets the file
 * read (static storage or the variable's value). */
bool magick_policy_memory_cap(const char *(*lookup)(const char *), unsigned long long *bytes,
                              const char **path);

#endif
