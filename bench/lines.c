// lines.c: copies the file argv[1] to stdout one line at a time, each line (newline included)
// with its own write(2), so that every line is one fd_write host call. It reads 64 KiB at a
// time and finds line ends with memchr, so the guest's own work per line is small and the
// host calls dominate. Any error prints "lines: <what>: <strerror>" and exits 1.
// Used by bench/lines.sh (one fd_write per line of a 50 MB file).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 16];

static void fail(const char *what) {
    fprintf(stderr, "lines: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void write_all(const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(1, p, n);
        if (w < 0) {
            fail("write");
        }
        p += w;
        n -= (size_t)w;
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: lines FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        fail(argv[1]);
    }
    size_t have = 0; // bytes of an unfinished line at the start of buf
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n < 0) {
            fail("read");
        }
        if (n == 0) {
            break;
        }
        size_t end = have + (size_t)n, start = 0;
        char *nl;
        while ((nl = memchr(buf + start, '\n', end - start)) != NULL) {
            size_t len = (size_t)(nl + 1 - (buf + start));
            write_all(buf + start, len);
            start += len;
        }
        have = end - start;
        if (have == sizeof buf) {
            // A line longer than the buffer: pass on what there is of it.
            write_all(buf, have);
            have = 0;
        } else {
            memmove(buf, buf + start, have);
        }
    }
    write_all(buf, have);
    return 0;
}
