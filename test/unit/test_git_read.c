/* Reading .git without git: the file parsers, and repositories made by hand
 * (shapes the git binary of the test machine cannot make, e.g. reftable).
 * Usage: test_git_read TMPDIR */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "build/git_read.h"
#include "common/strbuf.h"
#include "unit.h"

#define A40 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B40 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define C40 "cccccccccccccccccccccccccccccccccccccccc"
#define D40 "dddddddddddddddddddddddddddddddddddddddd"

static char oid[GIT_OID_MAX + 1], ref[GIT_REF_MAX + 1];

#define PARSE(s) git_parse_ref_file(s, sizeof s - 1, oid, ref)
#define VALID(s) git_refname_valid(s, sizeof s - 1)

static void test_ref_file(void)
{
    CHECK(PARSE(A40 "\n") == GIT_CONTENT_OID);
    CHECK_STR(oid, A40);
    CHECK(PARSE("ABCDEF0123456789ABCDEF0123456789ABCDEF01") == GIT_CONTENT_OID);
    CHECK_STR(oid, "abcdef0123456789abcdef0123456789abcdef01");
    CHECK(PARSE(A40 A40 A40 "aaaa\n") == GIT_CONTENT_BAD); /* 124 digits */
    CHECK(PARSE("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n") == GIT_CONTENT_OID);
    CHECK(strlen(oid) == 64);
    CHECK(PARSE("ref: refs/heads/main\n") == GIT_CONTENT_SYMREF);
    CHECK_STR(ref, "refs/heads/main");
    CHECK(PARSE("ref:\trefs/heads/feature/x \r\n") == GIT_CONTENT_SYMREF);
    CHECK_STR(ref, "refs/heads/feature/x");
    CHECK(PARSE("ref:refs/heads/main") == GIT_CONTENT_SYMREF);
    CHECK(PARSE("") == GIT_CONTENT_BAD);
    CHECK(PARSE("\n") == GIT_CONTENT_BAD);
    CHECK(PARSE("aaaa\n") == GIT_CONTENT_BAD);
    CHECK(PARSE(A40 "a\n") == GIT_CONTENT_BAD);
    CHECK(PARSE(A40 " trailing\n") == GIT_CONTENT_BAD);
    CHECK(PARSE("ref: HEAD\n") == GIT_CONTENT_BAD);
    CHECK(PARSE("ref: refs/../../etc/passwd\n") == GIT_CONTENT_BAD);
    CHECK(PARSE("ref: refs/heads/a\nref: refs/heads/b\n") == GIT_CONTENT_BAD);
    CHECK(PARSE("ref: refs/heads/a\0b\n") == GIT_CONTENT_BAD);
    CHECK(PARSE("ref: refs/heads/.invalid\n") == GIT_CONTENT_BAD); /* reftable's placeholder */
    CHECK(PARSE("gitdir: /x\n") == GIT_CONTENT_BAD);
}

static void test_refname(void)
{
    CHECK(VALID("refs/heads/main"));
    CHECK(VALID("refs/heads/feature/x-y_z.1"));
    CHECK(VALID("refs/tags/v4.3.2"));
    CHECK(VALID("refs/heads/caf\xc3\xa9")); /* git allows non-ASCII */
    CHECK(!VALID("refs/"));
    CHECK(!VALID("HEAD"));
    CHECK(!VALID("heads/main"));
    CHECK(!VALID("/refs/heads/main"));
    CHECK(!VALID("refs/heads/../../x"));
    CHECK(!VALID("refs/heads/.hidden"));
    CHECK(!VALID("refs/heads/a//b"));
    CHECK(!VALID("refs/heads/a/"));
    CHECK(!VALID("refs/heads/a."));
    CHECK(!VALID("refs/heads/a.lock"));
    CHECK(!VALID("refs/heads/a.lock/b"));
    CHECK(!VALID("refs/heads/a@{1}"));
    CHECK(!VALID("refs/heads/a b"));
    CHECK(!VALID("refs/heads/a~1"));
    CHECK(!VALID("refs/heads/a^"));
    CHECK(!VALID("refs/heads/a:b"));
    CHECK(!VALID("refs/heads/a?"));
    CHECK(!VALID("refs/heads/a*"));
    CHECK(!VALID("refs/heads/a[b"));
    CHECK(!VALID("refs/heads/a\\b"));
    CHECK(!VALID("refs/heads/a\x7f"));
    CHECK(!VALID("refs/heads/a\tb"));
    char longref[GIT_REF_MAX + 2];
    memcpy(longref, "refs/", 5);
    memset(longref + 5, 'x', sizeof longref - 5);
    CHECK(git_refname_valid(longref, GIT_REF_MAX));
    CHECK(!git_refname_valid(longref, GIT_REF_MAX + 1));
}

static void test_packed_refs(void)
{
    static const char packed[] =
        "# pack-refs with: peeled fully-peeled sorted \n"
        A40 " refs/heads/main\n"
        B40 " refs/heads/main2\n"
        C40 " refs/tags/v1\n"
        "^" D40 "\n"
        A40 " refs/tags/light\n"
        "garbage line\n"
        "^" C40 "\n"
        "\n"
        "ffff refs/heads/short\n"
        D40 "  refs/heads/twospaces\n"
        B40 " refs/heads/crlf\r\n"
        "E" B40 " refs/heads/last";
    size_t n = sizeof packed - 1;
    CHECK(git_packed_refs_find(packed, n, "refs/heads/main", oid));
    CHECK_STR(oid, A40);
    CHECK(git_packed_refs_find(packed, n, "refs/heads/main2", oid));
    CHECK_STR(oid, B40);
    CHECK(git_packed_refs_find(packed, n, "refs/tags/v1", oid)); /* peeled */
    CHECK_STR(oid, D40);
    CHECK(git_packed_refs_find(packed, n, "refs/tags/light", oid)); /* a stray ^ two lines on: not its */
    CHECK_STR(oid, A40);
    CHECK(git_packed_refs_find(packed, n, "refs/heads/crlf", oid));
    CHECK_STR(oid, B40);
    CHECK(!git_packed_refs_find(packed, n, "refs/heads/mai", oid));
    CHECK(!git_packed_refs_find(packed, n, "refs/heads/short", oid));
    CHECK(!git_packed_refs_find(packed, n, "refs/heads/twospaces", oid));
    CHECK(!git_packed_refs_find(packed, n, "refs/heads/last", oid)); /* 41 digits */
    CHECK(!git_packed_refs_find(packed, n, "refs/heads/nothere", oid));
    CHECK(!git_packed_refs_find("", 0, "refs/heads/main", oid));
    /* A last line without newline still counts. */
    static const char tail[] = A40 " refs/heads/main";
    CHECK(git_packed_refs_find(tail, sizeof tail - 1, "refs/heads/main", oid));
}

static void test_gitdir_files(void)
{
    char *p;
#define GD(s) git_parse_gitdir_file(s, sizeof s - 1)
    CHECK_STR(p = GD("gitdir: ../.git/modules/app\n"), "../.git/modules/app");
    free(p);
    CHECK_STR(p = GD("gitdir: /abs/path with space\r\n"), "/abs/path with space");
    free(p);
    CHECK(GD("gitdir:/x\n") == NULL);
    CHECK(GD("gitdir: \n") == NULL);
    CHECK(GD("gitdir: a\nb\n") == NULL);
    CHECK(GD("gitdir: a\0b\n") == NULL);
    CHECK(GD("ref: refs/heads/main\n") == NULL);
    CHECK(GD("") == NULL);
#undef GD
    CHECK_STR(p = git_parse_commondir("../..\n", 6), "../..");
    free(p);
    CHECK(git_parse_commondir("\n", 1) == NULL);
    CHECK(git_parse_commondir("a\nb", 3) == NULL);
}

/* ---- hand-made repositories ---- */

static const char *tmp;
static int repo_count;
static strbuf repo;

static void new_repo(void)
{
    sb_free(&repo);
    sb_printf(&repo, "%s/repo%d.XXXXXX", tmp, ++repo_count);
    CHECK(mkdtemp(repo.data) != NULL);
}

/* put("rel/path", "content"): creates the parents as needed. */
static void put(const char *rel, const char *content)
{
    strbuf p = STRBUF_INIT;
    sb_printf(&p, "%s/%s", repo.data, rel);
    for (char *s = p.data + repo.len + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(p.data, 0755);
        *s = '/';
    }
    unlink(p.data);
    CHECK(write_file_atomic(p.data, content, strlen(content), 0644) == 0);
    sb_free(&p);
}

static void dir(const char *rel)
{
    strbuf p = STRBUF_INIT;
    sb_printf(&p, "%s/%s", repo.data, rel);
    CHECK(mkdir(p.data, 0755) == 0 || errno == EEXIST);
    sb_free(&p);
}

static struct git_head head;

static enum git_head_status read_head(const char *sub)
{
    strbuf p = STRBUF_INIT;
    sb_printf(&p, "%s%s%s", repo.data, sub ? "/" : "", sub ? sub : "");
    enum git_head_status st = git_read_head(p.data, &head);
    sb_free(&p);
    return st;
}

static void test_repos(void)
{
    /* No .git. */
    new_repo();
    CHECK(read_head(NULL) == GIT_HEAD_NO_REPO);

    /* Detached. */
    new_repo();
    put(".git/HEAD", A40 "\n");
    CHECK(read_head(NULL) == GIT_HEAD_COMMIT);
    CHECK_STR(head.commit, A40);
    CHECK_STR(head.ref, "");

    /* Loose ref wins over packed-refs (git's own order). */
    new_repo();
    put(".git/HEAD", "ref: refs/heads/main\n");
    put(".git/refs/heads/main", B40 "\n");
    put(".git/packed-refs", A40 " refs/heads/main\n");
    CHECK(read_head(NULL) == GIT_HEAD_COMMIT);
    CHECK_STR(head.commit, B40);
    CHECK_STR(head.ref, "refs/heads/main");

    /* Packed only; a directory where the loose file would be. */
    new_repo();
    put(".git/HEAD", "ref: refs/heads/a\n");
    put(".git/refs/heads/a/b", B40 "\n");
    put(".git/packed-refs", "# pack-refs with: peeled\n" A40 " refs/heads/a\n");
    CHECK(read_head(NULL) == GIT_HEAD_COMMIT);
    CHECK_STR(head.commit, A40);

    /* A symbolic ref chain, then a loop. */
    new_repo();
    put(".git/HEAD", "ref: refs/heads/x\n");
    put(".git/refs/heads/x", "ref: refs/heads/y\n");
    put(".git/refs/heads/y", C40 "\n");
    CHECK(read_head(NULL) == GIT_HEAD_COMMIT);
    CHECK_STR(head.commit, C40);
    put(".git/refs/heads/y", "ref: refs/heads/x\n");
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK(strstr(head.why, "nest deeper") != NULL);
    CHECK_STR(head.commit, "");

    /* A corrupt loose ref names its file. */
    new_repo();
    put(".git/HEAD", "ref: refs/heads/main\n");
    put(".git/refs/heads/main", "not a hash\n");
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK_STR(head.why, ".git/refs/heads/main: expected a 40 or 64 hex-digit object id or \"ref: refs/...\"");

    /* Unborn: HEAD names a branch that is nowhere. */
    new_repo();
    put(".git/HEAD", "ref: refs/heads/main\n");
    dir(".git/refs");
    CHECK(read_head(NULL) == GIT_HEAD_UNBORN);
    CHECK(strstr(head.why, "HEAD names refs/heads/main, which has no commit yet") == head.why);

    /* No HEAD at all; HEAD a directory; .git neither file nor directory. */
    new_repo();
    dir(".git");
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK(strstr(head.why, ".git/HEAD: cannot read it") == head.why);
    dir(".git/HEAD");
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    new_repo();
    strbuf fifo = STRBUF_INIT;
    sb_printf(&fifo, "%s/.git", repo.data);
    CHECK(mkfifo(fifo.data, 0644) == 0);
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK(strstr(head.why, "neither a directory nor a file") != NULL);
    sb_free(&fifo);

    /* HEAD a FIFO: refused, never blocks. */
    new_repo();
    dir(".git");
    sb_printf(&fifo, "%s/.git/HEAD", repo.data);
    CHECK(mkfifo(fifo.data, 0644) == 0);
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK(strstr(head.why, "not a regular file") != NULL);
    sb_free(&fifo);

    /* Reftable (git 2.45+): said plainly. */
    new_repo();
    put(".git/HEAD", "ref: refs/heads/.invalid\n");
    dir(".git/reftable");
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK(strstr(head.why, "reftable") != NULL);

    /* A .git file (submodule): relative to the directory holding it. */
    new_repo();
    put("modules/app/HEAD", "ref: refs/heads/main\n");
    put("modules/app/refs/heads/main", D40 "\n");
    put("app/.git", "gitdir: ../modules/app\n");
    CHECK(read_head("app") == GIT_HEAD_COMMIT);
    CHECK_STR(head.commit, D40);

    /* A worktree: HEAD and per-worktree refs in its gitdir, shared refs and
     * packed-refs in the common dir. */
    new_repo();
    put("main/.git/HEAD", "ref: refs/heads/main\n");
    put("main/.git/packed-refs", A40 " refs/heads/feature\n");
    put("main/.git/worktrees/wt/HEAD", "ref: refs/heads/feature\n");
    put("main/.git/worktrees/wt/commondir", "../..\n");
    put("main/.git/worktrees/wt/refs/bisect/bad", C40 "\n");
    strbuf line = STRBUF_INIT;
    sb_printf(&line, "gitdir: %s/main/.git/worktrees/wt\n", repo.data);
    put("wt/.git", line.data);
    sb_free(&line);
    CHECK(read_head("wt") == GIT_HEAD_COMMIT);
    CHECK_STR(head.commit, A40);
    put("main/.git/worktrees/wt/HEAD", "ref: refs/bisect/bad\n");
    CHECK(read_head("wt") == GIT_HEAD_COMMIT);
    CHECK_STR(head.commit, C40);
    put("main/.git/worktrees/wt/commondir", "../../../nowhere\n");
    CHECK(read_head("wt") == GIT_HEAD_ERROR);
    CHECK(strstr(head.why, "commondir: expected the path") != NULL);

    /* A .git file that says something else, or points at a file. */
    new_repo();
    put(".git", "nonsense\n");
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK_STR(head.why, ".git: expected one line \"gitdir: PATH\"");
    put("afile", "x");
    put(".git", "gitdir: afile\n");
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK(strstr(head.why, "which is not a directory") != NULL);
    /* Bytes from the .git file never reach the message raw. */
    put(".git", "gitdir: \x1b[2Jx\n");
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK(strchr(head.why, '\x1b') == NULL);

    /* A huge HEAD and a huge .git file: bounded reads, clear errors. */
    new_repo();
    char *big = malloc(1 << 20);
    memset(big, 'a', (1 << 20) - 1);
    big[(1 << 20) - 1] = '\0';
    put(".git/HEAD", big);
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    CHECK(strstr(head.why, ".git/HEAD: cannot read it (larger than 4096 bytes") == head.why);
    new_repo();
    memcpy(big, "gitdir: ", 8);
    put(".git", big);
    CHECK(read_head(NULL) == GIT_HEAD_ERROR);
    free(big);

    /* The ref name is validated before it becomes a path. */
    new_repo();
    put("outside", A40 "\n");
    put("app/.git/HEAD", "ref: refs/../../outside\n");
    CHECK(read_head("app") == GIT_HEAD_ERROR);
    CHECK_STR(head.commit, "");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_git_read TMPDIR\n");
        return 2;
    }
    tmp = argv[1];
    test_ref_file();
    test_refname();
    test_packed_refs();
    test_gitdir_files();
    test_repos();
    sb_free(&repo);
    UNIT_DONE();
}
