// easter_main.c: imports `easter` from the module named "input.wasm" (a path in the guest's
// filesystem, as Bacalhau resolves it) and prints easter(2022), "17\n".
// Our equivalent of Bacalhau's testdata/wasm/dynamic, for the job case mirroring its scenario
// WasmDynamicLink; easter_lib.wasm provides the import.
#include <stdio.h>

__attribute__((import_module("input.wasm"), import_name("easter"))) int easter(int year);

int main(void) {
    printf("%d\n", easter(2022));
    return 0;
}
