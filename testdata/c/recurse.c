// recurse.c: prints "start\n" (flushed), then recurses without bound until the engine's call
// stack is exhausted, which traps. Used by the trap tests (stack overflow is a trap with its
// own message, and the stdout before it is kept).
//
// The recursion keeps everything in wasm locals (no address-taken locals), so it exhausts the
// engine's call stack rather than C's shadow stack in linear memory. Work after the recursive
// call (a volatile read) keeps clang from turning it into a loop; the depth test can never be
// true before the stack runs out, and keeps clang from calling the recursion infinite.
#include <stdio.h>

static volatile unsigned sink;

__attribute__((noinline)) static unsigned down(unsigned n) {
    if (n == 0xffffffffu) {
        return 0;
    }
    sink = n;
    return down(n + 1) ^ sink;
}

int main(void) {
    printf("start\n");
    fflush(stdout);
    return (int)down(0);
}
