// env.c: prints "argc=<n>", then "argv[<i>]=<value>" for every argument including argv[0],
// then every environment entry "<NAME>=<value>" in the order the host gives them, one per line.
// Used by the args and environment tests (Parameters, Task.Env, the legacy
// EnvironmentVariables, BACALHAU_* variables, sorting, argv[0]).
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=%s\n", i, argv[i]);
    }
    for (char **e = environ; *e != NULL; e++) {
        printf("%s\n", *e);
    }
    return 0;
}
