/* The build's look at the app's files, which fills in the app facts
 * (common/app_facts.h) that `solodyno env` reads at dyno start. */
#ifndef SOLODYNO_APP_SCAN_H
#define SOLODYNO_APP_SCAN_H

#include "common/app_facts.h"

/* Looks at the app's files (lib/mastodon/version.rb, the code under app/,
 * config/, lib/, streaming/). Never fails: what cannot be read is simply not
 * known. */
void app_facts_detect(const char *app_dir, struct app_facts *facts);

#endif
