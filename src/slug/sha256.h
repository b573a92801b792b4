/* SHA-256 (FIPS 180-4), for the slug checksum in the Platform API's format
 * ("SHA256:<64 hex digits>").
 *
 * Our own small implementation because solodyno-slug links only libarchive and
 * zlib, and neither exports a SHA-256 (libarchive uses one internally). Plain
 * portable C, byte order independent; checked against FIPS 180-4's examples and
 * against sha256sum (test/unit/test_sha256.c, test/slug.bats).
 */
#ifndef SOLODYNO_SHA256_H
#define SOLODYNO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 64

struct sha256 {
    uint32_t h[8];
    uint64_t total;         /* bytes hashed so far */
    unsigned char buf[64];  /* a partial block */
    size_t buf_len;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the digest; s must be initialised again before reuse. */
void sha256_final(struct sha256 *s, unsigned char digest[SHA256_DIGEST_LEN]);
/* Lower-case hex of a digest, NUL-terminated (hex needs SHA256_HEX_LEN + 1 bytes). */
void sha256_hex(const unsigned char digest[SHA256_DIGEST_LEN], char *hex);

#endif
