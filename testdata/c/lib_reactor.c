// lib_reactor.c: a reactor (no _start; an _initialize export) exporting `int add(int, int)`
// and `int fortytwo(void)`. It uses no libc and imports nothing.
// Used by the import-module tests as the import module `mathlib` (linked by its Alias, Target
// or file name) that uses_lib.c imports from.
// build-flags: -mexec-model=reactor

__attribute__((export_name("add"))) int add(int a, int b) {
    return a + b;
}

__attribute__((export_name("fortytwo"))) int fortytwo(void) {
    return 42;
}
