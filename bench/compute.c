// compute.c: a compute workload for bench/limits.sh, which measures what fuel metering, the
// timeout's fuel slices and deterministic mode cost. Each of argv[1] rounds (default 1) runs:
//   sort      200,000 xorshift32 numbers with qsort (calls through a function pointer);
//   hash      FNV-1a over the sorted numbers' 800,000 bytes (a byte loop, 64-bit multiplies);
//   sieve     the primes below 2,000,000 (memory stores in a strided loop);
//   mandel    a 300x200 Mandelbrot set, at most 200 iterations a point (float arithmetic);
//   timed     20,000 small tasks (the Collatz lengths of 8 numbers each), each timed with two
//             clock_gettime(CLOCK_MONOTONIC) reads, as a program timing its own work would,
//             with 16 bytes of getentropy every 256 tasks: the part where the virtual clock
//             and seeded random meet the host's (about a clock read per 3.5 us of work).
// It prints one checksum of everything computed. The times and random bytes read never reach
// it, so the checksum is the same with any clock and random source; only a clock going
// backwards or getentropy failing would change it.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { SORTED = 200000, SIEVE = 2000000, WIDTH = 300, HEIGHT = 200, DEPTH = 200 };
enum { TASKS = 20000, TASK_NUMBERS = 8, ENTROPY_EVERY = 256 };

static uint32_t numbers[SORTED];
static char composite[SIEVE];
static uint32_t rng = 1;

static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int compare(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint64_t sort(void) {
    for (int i = 0; i < SORTED; i++) {
        numbers[i] = next();
    }
    qsort(numbers, SORTED, sizeof numbers[0], compare);
    return numbers[SORTED / 2];
}

static uint64_t hash(void) {
    const unsigned char *p = (const unsigned char *)numbers;
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < sizeof numbers; i++) {
        h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

static uint64_t sieve(void) {
    memset(composite, 0, sizeof composite);
    uint64_t primes = 0;
    for (int i = 2; i < SIEVE; i++) {
        if (!composite[i]) {
            primes++;
            for (int j = 2 * i; j < SIEVE; j += i) {
                composite[j] = 1;
            }
        }
    }
    return primes;
}

static uint64_t mandel(void) {
    uint64_t inside = 0;
    for (int y = 0; y < HEIGHT; y++) {
        for (int x = 0; x < WIDTH; x++) {
            double cr = -2.0 + x * 3.0 / WIDTH, ci = -1.0 + y * 2.0 / HEIGHT;
            double zr = 0, zi = 0;
            int k = 0;
            while (k < DEPTH && zr * zr + zi * zi < 4) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                k++;
            }
            inside += k == DEPTH;
        }
    }
    return inside;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// The Collatz lengths of TASK_NUMBERS numbers from `first`.
static uint64_t task(uint64_t first) {
    uint64_t steps = 0;
    for (uint64_t n = first; n < first + TASK_NUMBERS; n++) {
        for (uint64_t m = n; m > 1; steps++) {
            m = m % 2 ? 3 * m + 1 : m / 2;
        }
    }
    return steps;
}

// Returns the work's checksum; `spent` gets the time the tasks took, which must stay out of it.
static uint64_t timed(uint64_t *spent) {
    uint64_t sum = 0, anomalies = 0;
    unsigned char entropy[16];
    for (uint64_t t = 0; t < TASKS; t++) {
        if (t % ENTROPY_EVERY == 0 && getentropy(entropy, sizeof entropy) != 0) {
            anomalies++;
        }
        uint64_t start = now_ns();
        sum += task(1 + t * TASK_NUMBERS);
        uint64_t end = now_ns();
        if (end < start) {
            anomalies++;
        }
        *spent += end - start;
    }
    return sum + (anomalies << 32);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    uint64_t check = 0, spent = 0;
    for (int round = 0; round < rounds; round++) {
        check = check * 31 + sort();
        check = check * 31 + hash();
        check = check * 31 + sieve();
        check = check * 31 + mandel();
        check = check * 31 + timed(&spent);
    }
    printf("checksum %llu\n", (unsigned long long)check);
    // On stderr, outside the checksum: what the clock said the timed tasks took.
    fprintf(stderr, "timed tasks: %llu ns by the guest's clock\n", (unsigned long long)spent);
    return 0;
}
