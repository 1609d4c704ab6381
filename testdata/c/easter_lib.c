// easter_lib.c: a reactor (no _start) exporting `int easter(int year)`: the day of the month
// of Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm), so
// easter(2022) = 17 (17 April). It uses no libc and imports nothing.
// Our equivalent of Bacalhau's testdata/wasm/easter, linked under the module name
// "input.wasm" by easter_main.c in the job case mirroring its scenario WasmDynamicLink.
// build-flags: -mexec-model=reactor

__attribute__((export_name("easter"))) int easter(int year) {
    int a = year % 19, b = year / 100, c = year % 100;
    int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    return (h + l - 7 * m + 114) % 31 + 1;
}
