/* Unit tests of SHA-256: FIPS 180-4's examples, the padding boundaries, and
 * that feeding the data in pieces gives the same digest as in one go.
 *
 * With a FILE argument it prints the file's digest instead (test/unit.bats
 * compares that with sha256sum on files of many sizes). */
#include <stdio.h>
#include <stdlib.h>

#include "slug/sha256.h"
#include "unit.h"

static const char *hex_of(const void *data, size_t len, size_t piece)
{
    static char hex[SHA256_HEX_LEN + 1];
    struct sha256 s;
    unsigned char d[SHA256_DIGEST_LEN];
    sha256_init(&s);
    const unsigned char *p = data;
    if (piece == 0)
        piece = len ? len : 1;
    for (size_t off = 0; off < len; off += piece)
        sha256_update(&s, p + off, len - off < piece ? len - off : piece);
    sha256_final(&s, d);
    sha256_hex(d, hex);
    return hex;
}

static int hash_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 2;
    }
    struct sha256 s;
    sha256_init(&s);
    unsigned char buf[7919]; /* a prime, so reads straddle the 64-byte blocks */
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&s, buf, n);
    fclose(f);
    unsigned char d[SHA256_DIGEST_LEN];
    char hex[SHA256_HEX_LEN + 1];
    sha256_final(&s, d);
    sha256_hex(d, hex);
    printf("%s\n", hex);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2)
        return hash_file(argv[1]);

    /* FIPS 180-4 / NIST CSRC examples. */
    CHECK_STR(hex_of("", 0, 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_STR(hex_of("abc", 3, 0), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_STR(hex_of(two_blocks, strlen(two_blocks), 0),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    size_t million = 1000000;
    char *a = malloc(million);
    if (!a)
        return 2;
    memset(a, 'a', million);
    CHECK_STR(hex_of(a, million, 0), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* Fed in awkward pieces: same digest. */
    CHECK_STR(hex_of(a, million, 1), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK_STR(hex_of(a, million, 63), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK_STR(hex_of(a, million, 65), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    /* Lengths around the padding boundary (55 fits the length in one block,
     * 56 needs a second), values from sha256sum. */
    CHECK_STR(hex_of(a, 55, 0), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    CHECK_STR(hex_of(a, 56, 0), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    CHECK_STR(hex_of(a, 63, 0), "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
    CHECK_STR(hex_of(a, 64, 0), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    CHECK_STR(hex_of(a, 65, 0), "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
    CHECK_STR(hex_of(a, 119, 7), "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb");
    CHECK_STR(hex_of(a, 120, 60), "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c");
    free(a);
    UNIT_DONE();
}
