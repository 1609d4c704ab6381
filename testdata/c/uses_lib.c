// uses_lib.c: a command that imports `add` from the import module "mathlib" (lib_reactor.wasm)
// and prints "2 + 3 = 5\n". Used by the import-module tests: it runs only when `mathlib` is
// linked, and fails to link (unresolved import mathlib.add) when it is not.
#include <stdio.h>

__attribute__((import_module("mathlib"), import_name("add"))) int add(int a, int b);

int main(void) {
    printf("2 + 3 = %d\n", add(2, 3));
    return 0;
}
