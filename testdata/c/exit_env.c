// exit_env.c: reads the exit code from the environment variable EXIT_CODE (0 when unset),
// prints "Exiting with <code>\n" and exits with it; a value that is not an integer prints
// "Must be an integer" to stderr and exits 101 (as a Rust panic does).
// Our equivalent of Bacalhau's testdata/wasm/exit_code, for the job case mirroring its scenario
// WasmExitCode.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *value = getenv("EXIT_CODE");
    long code = 0;
    if (value != NULL) {
        char *end;
        errno = 0;
        code = strtol(value, &end, 10);
        if (*value == '\0' || *end != '\0' || errno != 0 || code < -2147483648L || code > 2147483647L) {
            fprintf(stderr, "Must be an integer\n");
            return 101;
        }
    }
    printf("Exiting with %ld\n", code);
    fflush(stdout);
    exit((int)code);
}
