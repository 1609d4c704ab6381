// partition_exit.c: prints "partition <I> of <N>" from BACALHAU_PARTITION_INDEX and _COUNT,
// and a line on stderr, then exits with the code the environment variable FAIL_PARTITION_<I>
// gives (0 when unset), or, when SPIN_PARTITION_<I> is set, computes for ever: a job of
// several partitions in which chosen ones fail or must be stopped, for the tests of
// partitions run together.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *index = getenv("BACALHAU_PARTITION_INDEX");
    const char *count = getenv("BACALHAU_PARTITION_COUNT");
    if (index == NULL || count == NULL) {
        fprintf(stderr, "not a partition of a job\n");
        return 2;
    }
    printf("partition %s of %s\n", index, count);
    fprintf(stderr, "partition %s says hello on stderr\n", index);
    fflush(stdout);
    char name[64];
    snprintf(name, sizeof name, "SPIN_PARTITION_%s", index);
    if (getenv(name) != NULL) {
        volatile unsigned long spins = 0;
        for (;;) {
            spins++;
        }
    }
    snprintf(name, sizeof name, "FAIL_PARTITION_%s", index);
    const char *code = getenv(name);
    return code == NULL ? 0 : atoi(code);
}
