// stamp.c: copies the file argv[1] to stdout, each line prefixed with the microseconds since
// the program started (CLOCK_MONOTONIC, read once per line): a log stamper, the realistic
// clock-reading workload of bench/tape.sh (one clock read per line, with the work of copying
// the line around it). Exits 1 if the file cannot be read.
#include <stdio.h>
#include <time.h>

static long long micros(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: stamp FILE\n");
        return 1;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    long long start = micros();
    char line[4096];
    while (fgets(line, sizeof line, in)) {
        printf("%lld %s", micros() - start, line);
    }
    return ferror(in) ? 1 : 0;
}
