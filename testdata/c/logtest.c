// logtest.c: `logtest FILE [--fast]` prints each line of FILE (without its "\n" or "\r\n"):
// a line of even length in bytes to stdout after "\x1b[32m" (green), one of odd length to
// stderr after "\x1b[31m" (red); then "\x1b[0m\n" to stdout. Without --fast it sleeps between
// lines (0 to 400 ms, from a linear congruential generator). No FILE: a usage line on stderr,
// exit 1; an unreadable FILE: "error: <strerror>" on stderr, exit 1.
// Our equivalent of Bacalhau's testdata/wasm/logtest, for the job case mirroring its scenario
// WasmLogTest.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// The LCG with Visual Basic's parameters, as the original.
static uint64_t seed;
static uint64_t lcg_next(uint64_t max) {
    seed = (1140671485ULL * seed + 12820163ULL) % 16777216ULL;
    return seed & max;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "Usage: logtest input-txt [--fast]\n");
        return 1;
    }
    int fast = argc == 3 && strcmp(argv[2], "--fast") == 0;
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        fprintf(stderr, "error: %s\n", strerror(errno));
        return 1;
    }
    seed = (uint64_t)(uintptr_t)f;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
        if (len % 2 == 0) {
            printf("\x1b[32m%s\n", line);
        } else {
            fprintf(stderr, "\x1b[31m%s\n", line);
        }
        if (!fast) {
            uint64_t ms = lcg_next(400);
            struct timespec pause = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "error: %s\n", strerror(errno));
        return 1;
    }
    free(line);
    printf("\x1b[0m\n");
    return 0;
}
