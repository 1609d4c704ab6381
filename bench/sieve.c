// sieve.c: the sieve of Eratosthenes, a benchmark of byte stores in strided loops. Prints the
// number of primes below argv[1] (default 50,000,000), over a byte array of that size.
// Used by bench/compare.sh.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 50000000;
    char *composite = calloc(n > 2 ? n : 2, 1);
    if (composite == NULL) {
        fprintf(stderr, "sieve: cannot allocate %lu bytes\n", n);
        return 1;
    }
    unsigned long primes = 0;
    for (unsigned long i = 2; i < n; i++) {
        if (composite[i]) {
            continue;
        }
        primes++;
        if (i <= (n - 1) / i) { // i * i < n, without overflow
            for (unsigned long j = i * i; j < n; j += i) {
                composite[j] = 1;
            }
        }
    }
    printf("%lu primes below %lu\n", primes, n);
    free(composite);
    return 0;
}
