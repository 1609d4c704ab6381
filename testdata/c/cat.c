// cat.c: copies each file named in argv[1..] to stdout, in order; with no arguments copies
// stdin. A file that cannot be opened prints "cat: <path>: <strerror>" to stderr; the remaining
// files are still copied (as cat(1) does) and the exit code is 1. Otherwise the exit code is 0.
// Used by the filesystem tests: reading input mounts (files, directories, symlinks), read-only
// mounts, paths that escape a mount, and empty stdin.
#include <errno.h>
#include <stdio.h>
#include <string.h>

// Copies `in` to stdout; returns 0, or -1 on a read or write error.
static int copy(FILE *in) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, stdout) != n) {
            return -1;
        }
    }
    return ferror(in) ? -1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        if (copy(stdin) != 0) {
            fprintf(stderr, "cat: -: %s\n", strerror(errno));
            return 1;
        }
        return 0;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        if (copy(f) != 0) {
            fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        }
        fclose(f);
    }
    return status;
}
