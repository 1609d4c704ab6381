// trap.c: prints "before trap\n" to stdout, flushes it, then executes `unreachable`
// (__builtin_trap). Used by the trap tests: the outcome is a trap (not an exit code) and the
// stdout written before it is kept in the results.
#include <stdio.h>

int main(void) {
    printf("before trap\n");
    fflush(stdout);
    __builtin_trap();
}
