// hello_world.c: prints "Hello, world!\n" and ends through exit(0) (so proc_exit).
// Our equivalent of Bacalhau's testdata/wasm/noop (a Rust program doing the same), for the job
// case mirroring its scenario WasmHelloWorld.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("Hello, world!\n");
    exit(0);
}
