// hello.c: prints "hello, world\n" and returns 0 from main.
// The smallest WASI command: used by the run tests as the basic success case (stdout captured,
// exit code 0).
#include <stdio.h>

int main(void) {
    printf("hello, world\n");
    return 0;
}
