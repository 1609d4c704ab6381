// transform.c: reads every regular file directly inside the directory argv[1] (default
// /inputs), sorted by name, and for each one writes "<out>/<name>.upper" (out = argv[2],
// default /outputs) holding its bytes with ASCII letters upper-cased, and prints
// "<name>: <size> bytes\n" to stdout. Then creates "<out>/summary/" and writes
// "<out>/summary/count.txt" holding the number of files and a newline ("2\n").
// Any failure prints "transform: <what>: <strerror>" to stderr and exits 2.
// Used by the end-to-end job tests: an input directory mount, an output directory with a
// subdirectory, and the results directory layout.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILES 256
#define MAX_PATH 1024

static void fail(const char *what, const char *path) {
    fprintf(stderr, "transform: %s %s: %s\n", what, path, strerror(errno));
    exit(2);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void join(char *out, const char *dir, const char *name, const char *suffix) {
    if (snprintf(out, MAX_PATH, "%s/%s%s", dir, name, suffix) >= MAX_PATH) {
        errno = ENAMETOOLONG;
        fail("path too long:", name);
    }
}

// Upper-cases the file `in` into `out`; returns its size in bytes.
static long upper_copy(const char *in, const char *out) {
    FILE *src = fopen(in, "rb");
    if (src == NULL) fail("cannot open", in);
    FILE *dst = fopen(out, "wb");
    if (dst == NULL) fail("cannot create", out);
    long size = 0;
    int c;
    while ((c = fgetc(src)) != EOF) {
        if (c >= 'a' && c <= 'z') c -= 'a' - 'A';
        if (fputc(c, dst) == EOF) fail("cannot write", out);
        size++;
    }
    if (ferror(src)) fail("cannot read", in);
    fclose(src);
    if (fclose(dst) != 0) fail("cannot write", out);
    return size;
}

int main(int argc, char **argv) {
    const char *in_dir = argc > 1 ? argv[1] : "/inputs";
    const char *out_dir = argc > 2 ? argv[2] : "/outputs";
    char *names[MAX_FILES];
    int count = 0;
    char path[MAX_PATH];

    DIR *dir = opendir(in_dir);
    if (dir == NULL) fail("cannot open directory", in_dir);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        join(path, in_dir, entry->d_name, "");
        struct stat st;
        if (stat(path, &st) != 0) fail("cannot stat", path);
        if (!S_ISREG(st.st_mode)) continue; // subdirectories and the like (stat follows symlinks)
        if (count == MAX_FILES) {
            errno = EFBIG;
            fail("too many files in", in_dir);
        }
        names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof names[0], by_name);

    char out[MAX_PATH];
    for (int i = 0; i < count; i++) {
        join(path, in_dir, names[i], "");
        join(out, out_dir, names[i], ".upper");
        printf("%s: %ld bytes\n", names[i], upper_copy(path, out));
    }

    join(path, out_dir, "summary", "");
    if (mkdir(path, 0755) != 0 && errno != EEXIST) fail("cannot create directory", path);
    join(path, out_dir, "summary", "/count.txt");
    FILE *f = fopen(path, "w");
    if (f == NULL) fail("cannot create", path);
    fprintf(f, "%d\n", count);
    if (fclose(f) != 0) fail("cannot write", path);
    return 0;
}
