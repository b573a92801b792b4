/* Mastodon's version, read from lib/mastodon/version.rb as that version's own
 * Mastodon::Version.to_s writes it (without the MASTODON_VERSION_* overrides
 * a config var may add at run time):
 *
 *   up to 1.2.2   VERSION = '1.2.2'
 *   1.3 - 1.4.7   major, minor, patch, pre (nil, or 6 for "1.4.0.6")
 *   1.5 - 2.4     ... and flags ('rc1': "2.4.0rc1"; pre 'rc6': "2.1.0.rc6")
 *   2.5 - 4.1     major, minor, patch, flags, suffix ("3.0.0rc1")
 *   4.2.0-beta1   flags ENV.fetch('MASTODON_VERSION_FLAGS', '-beta1')
 *   4.2 - 4.8     default_prerelease ('alpha.1': "4.8.0-alpha.1")
 *
 * Each method is read as the literal it returns (for ENV.fetch('X', 'lit')
 * or ENV['X'].presence || 'lit', the literal).
 */
#ifndef SOLODYNO_VERSION_RB_H
#define SOLODYNO_VERSION_RB_H

#include <stdbool.h>
#include <stddef.h>

#define MASTODON_VERSION_MAX 40

/* The version as written into out ("4.8.0-alpha.1"), or false when the file
 * does not say (a part is not a literal, the result would hold other
 * characters than [0-9A-Za-z.+-] or be longer than MASTODON_VERSION_MAX). */
bool mastodon_version_parse(const char *src, size_t len, char out[MASTODON_VERSION_MAX + 1]);

#endif
