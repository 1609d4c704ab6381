// bytestats.c: prints one line about the bytes of each file named in argv[1..], as
//   <path>: bytes N lines N sum N high N min XX max XX adler32 XXXXXXXX
// or, with no arguments, of stdin, without the "<path>: ". A file that cannot be read prints
// "bytestats: <path>: <strerror>" to stderr and makes the exit code 1.
// (lines counts '\n', sum adds every byte, high counts bytes >= 0x80, min and max are bytes in
// hex, adler32 is zlib's checksum). Built with -msimd128: clang turns the inner loops into
// wasm SIMD (v128 loads, i8x16 compares and min/max, i16x8 and i32x4 widening adds and
// multiplies), so it is a real toolchain's SIMD code, checked by tests/integration/simd.rs.
// build-flags: -msimd128
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// zlib's NMAX: the most bytes whose Adler-32 sums fit in 32 bits between two reductions.
#define BLOCK 5552
#define ADLER_MOD 65521u

struct stats {
    uint64_t bytes, lines, sum, high;
    uint8_t min, max;
    uint32_t a, b; // Adler-32's two sums, reduced
};

// Adds a block of at most BLOCK bytes. Each loop is a plain reduction that clang vectorises.
static void add_block(struct stats *s, const uint8_t *p, uint32_t n) {
    uint32_t sum = 0, lines = 0, high = 0, weighted = 0;
    uint8_t min = s->min, max = s->max;
    for (uint32_t i = 0; i < n; i++) {
        sum += p[i];
        lines += p[i] == '\n';
        high += p[i] >= 0x80;
        min = p[i] < min ? p[i] : min;
        max = p[i] > max ? p[i] : max;
    }
    // Adler-32 of the block in one pass: b grows by n*a plus each byte times its distance
    // from the block's end (n - i), both at most 255 * n * (n + 1) / 2 < 2^32.
    for (uint32_t i = 0; i < n; i++) {
        weighted += (n - i) * (uint32_t)p[i];
    }
    s->b = (uint32_t)((s->b + (uint64_t)n * s->a + weighted) % ADLER_MOD);
    s->a = (s->a + sum) % ADLER_MOD;
    s->bytes += n;
    s->lines += lines;
    s->sum += sum;
    s->high += high;
    s->min = min;
    s->max = max;
}

// Reads `fd` to its end; returns 0, or -1 on a read error.
static int add_all(struct stats *s, int fd) {
    static uint8_t buf[64 * 1024];
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) > 0) {
        for (uint32_t off = 0; off < (uint32_t)got; off += BLOCK) {
            uint32_t n = (uint32_t)got - off < BLOCK ? (uint32_t)got - off : BLOCK;
            add_block(s, buf + off, n);
        }
    }
    return got < 0 ? -1 : 0;
}

static void print(const char *name, const struct stats *s) {
    if (name != NULL) {
        printf("%s: ", name);
    }
    printf("bytes %llu lines %llu sum %llu high %llu min %02x max %02x adler32 %08x\n",
           (unsigned long long)s->bytes, (unsigned long long)s->lines,
           (unsigned long long)s->sum, (unsigned long long)s->high, s->bytes ? s->min : 0,
           s->max, (s->b << 16) | s->a);
}

int main(int argc, char **argv) {
    const struct stats empty = {.min = 0xff, .max = 0, .a = 1, .b = 0};
    if (argc < 2) {
        struct stats s = empty;
        if (add_all(&s, 0) != 0) {
            fprintf(stderr, "bytestats: -: %s\n", strerror(errno));
            return 1;
        }
        print(NULL, &s);
        return 0;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct stats s = empty;
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0 || add_all(&s, fd) != 0) {
            fprintf(stderr, "bytestats: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        } else {
            print(argv[i], &s);
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    return status;
}
