// fsops.c: runs the filesystem operations its arguments name, in order, printing one line on
// stdout for each:
//   ls DIR            "ls DIR: NAME NAME/ ..." every entry but "." and "..", sorted by name,
//                     a directory's name followed by "/"
//   stat PATH         "stat PATH: directory", or "stat PATH: file, N bytes"
//   read PATH         "read PATH: CONTENTS" (opened with fopen "r"; a newline is added unless
//                     CONTENTS ends with one)
//   write PATH TEXT   "write PATH: N bytes" (opened with fopen "w": created or truncated)
// An operation that fails prints "OP PATH: <strerror>" instead, and the next one still runs; the
// exit code is 1 if any failed, else 0. An unknown operation prints "fsops: unknown operation OP"
// and exits 2.
// Used by the job cases mirroring Bacalhau's tests of the guest's filesystem (its mountfs and
// touchfs packages): how mounts compose into directories, and reading and writing outputs.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ENTRIES 64
#define MAX_NAME 256

static int failed(const char *op, const char *path) {
    printf("%s %s: %s\n", op, path, strerror(errno));
    return 1;
}

static int compare(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

static int ls(const char *path) {
    static char names[MAX_ENTRIES][MAX_NAME + 1];
    DIR *dir = opendir(path);
    if (dir == NULL) return failed("ls", path);
    size_t count = 0;
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        if (count == MAX_ENTRIES) {
            errno = ENOMEM;
            break;
        }
        const char *slash = entry->d_type == DT_DIR ? "/" : "";
        snprintf(names[count++], sizeof names[0], "%s%s", entry->d_name, slash);
    }
    int error = errno;
    closedir(dir);
    if (error != 0) {
        errno = error;
        return failed("ls", path);
    }
    qsort(names, count, sizeof names[0], compare);
    printf("ls %s:", path);
    for (size_t i = 0; i < count; i++) printf(" %s", names[i]);
    printf("\n");
    return 0;
}

static int stat_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return failed("stat", path);
    if (S_ISDIR(st.st_mode)) {
        printf("stat %s: directory\n", path);
    } else {
        printf("stat %s: file, %lld bytes\n", path, (long long)st.st_size);
    }
    return 0;
}

static int read_file(const char *path) {
    FILE *file = fopen(path, "r");
    if (file == NULL) return failed("read", path);
    printf("read %s: ", path);
    char buf[4096];
    size_t n;
    char last = '\0'; // so an empty file still ends its line
    while ((n = fread(buf, 1, sizeof buf, file)) > 0) {
        fwrite(buf, 1, n, stdout);
        last = buf[n - 1];
    }
    int error = ferror(file) ? errno : 0;
    fclose(file);
    if (last != '\n') printf("\n");
    if (error != 0) {
        errno = error;
        return failed("read", path);
    }
    return 0;
}

static int write_file(const char *path, const char *text) {
    FILE *file = fopen(path, "w");
    if (file == NULL) return failed("write", path);
    size_t length = strlen(text);
    size_t n = fwrite(text, 1, length, file);
    if (fclose(file) != 0 || n != length) return failed("write", path);
    printf("write %s: %zu bytes\n", path, n);
    return 0;
}

int main(int argc, char **argv) {
    int status = 0;
    for (int i = 1; i < argc; i++) {
        const char *op = argv[i];
        if (i + 1 >= argc) {
            printf("fsops: %s needs a path\n", op);
            return 2;
        }
        const char *path = argv[++i];
        if (strcmp(op, "ls") == 0) {
            status |= ls(path);
        } else if (strcmp(op, "stat") == 0) {
            status |= stat_path(path);
        } else if (strcmp(op, "read") == 0) {
            status |= read_file(path);
        } else if (strcmp(op, "write") == 0) {
            if (i + 1 >= argc) {
                printf("fsops: write needs a text\n");
                return 2;
            }
            status |= write_file(path, argv[++i]);
        } else {
            printf("fsops: unknown operation %s\n", op);
            return 2;
        }
    }
    return status;
}
