// exit.c: exits through exit() (so proc_exit) with the code given in argv[1], read with atoi;
// with no argument, exit(0). Prints nothing.
// Used by the exit-code tests: proc_exit(n) passes through as the job's exitCode, including 0
// (which, unlike returning from main, does call proc_exit) and non-zero codes that still count
// as a successful run.
#include <stdlib.h>

int main(int argc, char **argv) {
    exit(argc > 1 ? atoi(argv[1]) : 0);
}
