// linecount.c: one partition's share of a line count. Lists the directory argv[1] in name order,
// takes every file whose position modulo BACALHAU_PARTITION_COUNT is BACALHAU_PARTITION_INDEX
// (the partition's share: every file goes to exactly one partition), counts each one's lines,
// writes "<name> <lines>" per file to the file argv[2], and prints
// "partition I of N: F files, L lines". Errors print "linecount: ..." to stderr and exit 1.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 1024

static void fail(const char *what, const char *name) {
    fprintf(stderr, "linecount: %s %s: %s\n", what, name, strerror(errno));
    exit(1);
}

static long number(const char *name) {
    const char *value = getenv(name);
    char *end;
    if (value == NULL || *value == '\0') {
        fprintf(stderr, "linecount: %s is not set\n", name);
        exit(1);
    }
    long n = strtol(value, &end, 10);
    if (*end != '\0' || n < 0) {
        fprintf(stderr, "linecount: %s=%s is not a number\n", name, value);
        exit(1);
    }
    return n;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: linecount INPUT_DIR OUTPUT_FILE\n");
        return 1;
    }
    long index = number("BACALHAU_PARTITION_INDEX");
    long count = number("BACALHAU_PARTITION_COUNT");
    DIR *dir = opendir(argv[1]);
    if (dir == NULL) {
        fail("cannot open", argv[1]);
    }
    char *names[MAX_FILES];
    int n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.' || entry->d_type != DT_REG) {
            continue;
        }
        if (n == MAX_FILES) {
            fprintf(stderr, "linecount: more than %d files\n", MAX_FILES);
            return 1;
        }
        names[n++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof names[0], by_name);

    FILE *out = fopen(argv[2], "w");
    if (out == NULL) {
        fail("cannot write", argv[2]);
    }
    int files = 0;
    long total = 0;
    char path[4096];
    for (int i = 0; i < n; i++) {
        if (i % count != index) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        FILE *in = fopen(path, "r");
        if (in == NULL) {
            fail("cannot read", path);
        }
        long lines = 0;
        int c;
        while ((c = fgetc(in)) != EOF) {
            lines += c == '\n';
        }
        fclose(in);
        fprintf(out, "%s %ld\n", names[i], lines);
        files++;
        total += lines;
    }
    if (fclose(out) != 0) {
        fail("cannot write", argv[2]);
    }
    printf("partition %ld of %ld: %d files, %ld lines\n", index, count, files, total);
    return 0;
}
