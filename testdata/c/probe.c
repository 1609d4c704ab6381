// probe.c: prints what a program can observe of where and when it runs, one fact per line,
// so that two runs can be compared byte for byte: clock readings and resolutions, random
// bytes, "/" and the input directory argv[1] (default /inputs) walked in readdir order (each
// entry's name, d_ino and type, then its lstat: ino, dev, nlink, size, mode and times), a
// file it creates in the output directory argv[2] (default /outputs), writes, sets the times
// of, links, renames and unlinks, with a stat after each step, and the monotonic time a
// 20 ms sleep takes. Any failure prints "probe: <what> <path>: <strerror>" to stderr and
// exits 2. Used by the determinism test of file metadata (tests/integration/probe.rs).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PATH 1024
#define MAX_ENTRIES 32

static void fail(const char *what, const char *path) {
    fprintf(stderr, "probe: %s %s: %s\n", what, path, strerror(errno));
    exit(2);
}

static void join(char *out, const char *dir, const char *name) {
    const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
    if (snprintf(out, MAX_PATH, "%s%s%s", dir, sep, name) >= MAX_PATH) {
        errno = ENAMETOOLONG;
        fail("path too long:", name);
    }
}

static void print_time(const char *name, struct timespec t) {
    printf(" %s=%lld.%09ld", name, (long long)t.tv_sec, t.tv_nsec);
}

// One line of everything lstat says about `path`.
static void print_stat(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) fail("cannot stat", path);
    printf("stat %s ino=%llu dev=%llu nlink=%llu size=%lld mode=%o", path,
           (unsigned long long)st.st_ino, (unsigned long long)st.st_dev,
           (unsigned long long)st.st_nlink, (long long)st.st_size, (unsigned)st.st_mode);
    print_time("atime", st.st_atim);
    print_time("mtime", st.st_mtim);
    print_time("ctime", st.st_ctim);
    printf("\n");
}

// Lists `dir` in readdir order, then stats each entry and walks each subdirectory.
static void walk(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) fail("cannot open", dir);
    char names[MAX_ENTRIES][64];
    int n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        printf("entry %s %s ino=%llu type=%d\n", dir, e->d_name, (unsigned long long)e->d_ino,
               e->d_type);
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && n < MAX_ENTRIES) {
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
        }
    }
    if (errno != 0) fail("cannot read", dir);
    closedir(d);
    for (int i = 0; i < n; i++) {
        char path[MAX_PATH];
        join(path, dir, names[i]);
        print_stat(path);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) walk(path);
    }
}

static void print_clock(const char *name, clockid_t id) {
    struct timespec now, res;
    if (clock_gettime(id, &now) != 0) fail("cannot read clock", name);
    if (clock_getres(id, &res) != 0) fail("cannot read the resolution of clock", name);
    printf("clock %s", name);
    print_time("now", now);
    print_time("resolution", res);
    printf("\n");
}

static long long nanos(struct timespec t) {
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    const char *in = argc > 1 ? argv[1] : "/inputs";
    const char *out = argc > 2 ? argv[2] : "/outputs";

    print_clock("realtime", CLOCK_REALTIME);
    print_clock("monotonic", CLOCK_MONOTONIC);
    unsigned char random[16];
    if (getentropy(random, sizeof random) != 0) fail("cannot read", "random bytes");
    printf("random ");
    for (size_t i = 0; i < sizeof random; i++) printf("%02x", random[i]);
    printf("\n");

    DIR *root = opendir("/");
    if (root == NULL) fail("cannot open", "/");
    for (struct dirent *e; (e = readdir(root)) != NULL;) {
        printf("entry / %s ino=%llu type=%d\n", e->d_name, (unsigned long long)e->d_ino,
               e->d_type);
    }
    closedir(root);
    print_stat("/");
    print_stat(in);
    walk(in);

    char created[MAX_PATH], linked[MAX_PATH], renamed[MAX_PATH];
    join(created, out, "created.txt");
    join(linked, out, "linked.txt");
    join(renamed, out, "renamed.txt");
    print_stat(out);
    FILE *f = fopen(created, "w");
    if (f == NULL) fail("cannot create", created);
    print_stat(created);
    if (fputs("written by the probe\n", f) == EOF || fflush(f) != 0) fail("cannot write", created);
    print_stat(created);
    if (fclose(f) != 0) fail("cannot close", created);
    struct timespec times[2] = {{0, UTIME_OMIT}, {1234567890, 5}};
    if (utimensat(AT_FDCWD, created, times, 0) != 0) fail("cannot set the times of", created);
    print_stat(created);
    if (link(created, linked) != 0) fail("cannot link", linked);
    print_stat(created);
    print_stat(linked);
    if (rename(linked, renamed) != 0) fail("cannot rename", linked);
    print_stat(renamed);
    if (unlink(renamed) != 0) fail("cannot unlink", renamed);
    print_stat(created);
    print_stat(out);
    walk(out);

    struct timespec before, after, nap = {0, 20000000};
    clock_gettime(CLOCK_MONOTONIC, &before);
    if (nanosleep(&nap, NULL) != 0) fail("cannot sleep", "20 ms");
    clock_gettime(CLOCK_MONOTONIC, &after);
    printf("slept %lld ns\n", nanos(after) - nanos(before));
    print_clock("realtime", CLOCK_REALTIME);
    return 0;
}
