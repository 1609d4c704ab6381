// wordfreq_whole.c: the demo job's guest as one module, for bench/compare.sh. The wasmi CLI links
// no import modules, so to run the demo's work it needs examples/wordfreq's wordfreq.c with
// textlib.c compiled in: defined first, textlib's functions are wordfreq's own, and the import
// attributes of wordfreq.c's declarations of them are ignored (hence the pragma).
#pragma clang diagnostic ignored "-Wignored-attributes"
#include "../examples/wordfreq/src/textlib.c"
#include "../examples/wordfreq/src/wordfreq.c"
