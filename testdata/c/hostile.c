// A guest that attacks what is around the sandbox, for tests/integration/hostile.rs.
//
//   hostile links DIR NAME=TARGET...   symbolic links DIR/NAME -> TARGET, each as given
//   hostile plant DIR TARGET           in every directory below DIR, links named exitCode,
//                                      receipt.json and stdout -> TARGET (where a runner might
//                                      write its results)
//   hostile deep DIR LEVELS LENGTH     LEVELS nested directories named by LENGTH 'd's, and a
//                                      file `leaf` at the bottom
//   hostile sparse FILE BYTES          FILE of BYTES bytes, all a hole (no data written)
//   hostile write BYTES                BYTES bytes of 'x' on stdout, then a newline
//
// Each prints "done" on stdout when it has finished, and exits 0; 1 with a message on stderr
// if a step failed.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what, const char *path) {
    fprintf(stderr, "%s %s: %s\n", what, path, strerror(errno));
    return 1;
}

static int links(int argc, char **argv) {
    int dir = open(argv[2], O_RDONLY | O_DIRECTORY);
    if (dir < 0) return fail("open", argv[2]);
    for (int i = 3; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) return fail("no = in", argv[i]);
        *eq = '\0';
        if (symlinkat(eq + 1, dir, argv[i]) != 0) return fail("symlink", argv[i]);
    }
    return close(dir);
}

static int plant(const char *dir, const char *target) {
    static const char *names[] = {"exitCode", "receipt.json", "stdout"};
    char path[4096];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        symlink(target, path);
    }
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) plant(path, target);
    }
    closedir(d);
    return 0;
}

// By directory handles, one level at a time: the whole path is longer than any path may be.
static int deep(const char *dir, int levels, int length) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return fail("open", dir);
    char name[256];
    memset(name, 'd', (size_t)length);
    name[length] = '\0';
    for (int i = 0; i < levels; i++) {
        if (mkdirat(fd, name, 0755) != 0) return fail("mkdir", name);
        int next = openat(fd, name, O_RDONLY | O_DIRECTORY);
        if (next < 0) return fail("open", name);
        close(fd);
        fd = next;
    }
    fd = openat(fd, "leaf", O_WRONLY | O_CREAT, 0644);
    if (fd < 0) return fail("open", "leaf");
    if (write(fd, "leaf\n", 5) != 5) return fail("write", "leaf");
    return close(fd);
}

static int sparse(const char *file, long long bytes) {
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return fail("open", file);
    if (ftruncate(fd, bytes) != 0) return fail("ftruncate", file);
    return close(fd);
}

static int write_out(long long bytes) {
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    while (bytes > 0) {
        size_t n = bytes < (long long)sizeof chunk ? (size_t)bytes : sizeof chunk;
        if (fwrite(chunk, 1, n, stdout) != n) return fail("write", "stdout");
        bytes -= (long long)n;
    }
    putchar('\n');
    return 0;
}

int main(int argc, char **argv) {
    int status = 2;
    if (argc >= 3 && !strcmp(argv[1], "links")) status = links(argc, argv);
    else if (argc == 4 && !strcmp(argv[1], "plant")) status = plant(argv[2], argv[3]);
    else if (argc == 5 && !strcmp(argv[1], "deep"))
        status = deep(argv[2], atoi(argv[3]), atoi(argv[4]));
    else if (argc == 4 && !strcmp(argv[1], "sparse")) status = sparse(argv[2], atoll(argv[3]));
    else if (argc == 3 && !strcmp(argv[1], "write")) status = write_out(atoll(argv[2]));
    if (status == 2) fprintf(stderr, "usage: hostile links|plant|deep|sparse|write ...\n");
    if (status == 0) puts("done");
    return status;
}
