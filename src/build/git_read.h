/* Reading which commit an app's checkout is at, straight from its .git, without
 * the git program (the build dyno may not have it, and running it on an
 * untrusted repository would run that repository's hooks and config).
 *
 * Understood: HEAD detached (an object id) or naming a branch; loose refs;
 * packed-refs with peeled "^" lines; symbolic refs (a few levels); a .git
 * *file* holding "gitdir: PATH" (worktrees, submodules) and a gitdir's
 * "commondir" (worktrees share the main repository's refs). SHA-1 (40 hex) and
 * SHA-256 (64 hex) object ids. Every file is read with a size bound: the
 * repository is the app's, i.e. outside input.
 */
#ifndef SOLODYNO_GIT_READ_H
#define SOLODYNO_GIT_READ_H

#include <stdbool.h>
#include <stddef.h>

#define GIT_OID_MAX 64      /* hex digits of a SHA-256 object id */
#define GIT_REF_MAX 1024    /* longest ref name we follow */
#define GIT_HEAD_MAX 4096   /* HEAD, loose refs, commondir: a few dozen bytes really */
#define GIT_PACKED_REFS_MAX (64u << 20) /* a repository with ~500k refs */

enum git_head_status {
    GIT_HEAD_COMMIT,  /* head->commit holds the object id HEAD resolves to */
    GIT_HEAD_NO_REPO, /* the directory has no .git */
    GIT_HEAD_UNBORN,  /* HEAD names a branch that has no commit (new repository) */
    GIT_HEAD_ERROR,   /* a .git we cannot read or make sense of: head->why says what */
};

struct git_head {
    char commit[GIT_OID_MAX + 1]; /* lowercase hex, when GIT_HEAD_COMMIT */
    char ref[GIT_REF_MAX + 1];    /* the ref HEAD names ("refs/heads/main"); "" if detached */
    char why[512];                /* for UNBORN and ERROR: a sentence naming the file */
};

/* Reads dir/.git. Never runs anything, never writes. */
enum git_head_status git_read_head(const char *dir, struct git_head *head);

/* ---- parsers of the files, on bytes (outside input: fuzzed) ---- */

/* What a HEAD or loose ref file holds. */
enum git_ref_content {
    GIT_CONTENT_BAD = -1,
    GIT_CONTENT_OID,    /* an object id, into oid (lowercased) */
    GIT_CONTENT_SYMREF, /* "ref: NAME", NAME into ref */
};

/* Parses a HEAD or loose ref file: "<40 or 64 hex>\n" or "ref: refs/...\n".
 * oid has room for GIT_OID_MAX + 1 bytes, ref for GIT_REF_MAX + 1. */
enum git_ref_content git_parse_ref_file(const char *data, size_t len, char *oid, char *ref);

/* True if s (len bytes) is a full object id: exactly 40 or 64 hex digits. */
bool git_oid_valid(const char *s, size_t len);

/* True if name (len bytes) is a ref name under refs/ that is safe to join to a
 * directory: git's check-ref-format rules (no "..", no component starting
 * with ".", no control bytes, no "~^:?*[\\ ", no "@{", no "//", no ".lock"
 * component ending, no trailing "/" or "."). */
bool git_refname_valid(const char *name, size_t len);

/* Looks refname up in the content of a packed-refs file. On success copies the
 * object id it names (lowercased) to oid and returns true; when the next line
 * is a peeled "^<oid>" line (an annotated tag), the peeled commit is given
 * instead. Malformed lines are skipped. */
bool git_packed_refs_find(const char *data, size_t len, const char *refname, char *oid);

/* Parses a .git file: "gitdir: PATH" (one line; trailing newline and CR
 * removed). Returns a malloc'd PATH, or NULL when it does not say that. */
char *git_parse_gitdir_file(const char *data, size_t len);

/* Parses a gitdir's commondir file: one line holding a path. Returns a
 * malloc'd path, or NULL when empty or not one line. */
char *git_parse_commondir(const char *data, size_t len);

#endif
