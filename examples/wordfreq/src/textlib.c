// textlib.c: the demo's import module, a reactor (no _start) exporting two character helpers
// that wordfreq.c imports from the module named "/app/textlib.wasm": the guest path both job
// files mount it at, under which Bacalhau registers an import module, and bolinho too.
// It uses no libc and imports nothing.
// build-flags: -mexec-model=reactor

// 1 if `c` belongs in a word: an ASCII letter, or an apostrophe (so "I've" is one word).
__attribute__((export_name("is_word_char"))) int is_word_char(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'';
}

// `c` in lower case, if it is an ASCII capital letter.
__attribute__((export_name("lower"))) int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}
