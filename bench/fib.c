// fib.c: naive recursive Fibonacci, a benchmark of calls and returns (two calls, an add and a
// compare per step, no memory traffic). Prints fib(argv[1]) (default 39: 204,668,309 calls).
// Used by bench/compare.sh.
#include <stdio.h>
#include <stdlib.h>

static unsigned long long fib(unsigned n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 39;
    printf("fib(%u) = %llu\n", n, fib(n));
    return 0;
}
