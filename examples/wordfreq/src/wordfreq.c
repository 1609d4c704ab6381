// wordfreq.c: the demo's entry module. Reads the text file argv[1], counts its lines, words and
// distinct words (case-insensitive), writes a report with the five most frequent words to the
// file argv[2], and prints a three-line summary to stdout. Which characters make words, and how
// to lower-case them, come from the import module "/app/textlib.wasm" (textlib.c): named by the
// guest path the job mounts it at, the one name Bacalhau (v1.7+) and bolinho both link by.
// Errors print "wordfreq: ..." to stderr and exit 1.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((import_module("/app/textlib.wasm"), import_name("is_word_char"))) int is_word_char(int c);
__attribute__((import_module("/app/textlib.wasm"), import_name("lower"))) int lower(int c);

#define MAX_WORDS 4096
#define MAX_WORD_LEN 64
#define TOP 5

struct word {
    char text[MAX_WORD_LEN];
    int count;
};

static struct word words[MAX_WORDS];
static int distinct;

static void fail(const char *what, const char *path) {
    fprintf(stderr, "wordfreq: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

// Counts one occurrence of `text` (already lower-case).
static void add_word(const char *text) {
    for (int i = 0; i < distinct; i++) {
        if (strcmp(words[i].text, text) == 0) {
            words[i].count++;
            return;
        }
    }
    if (distinct == MAX_WORDS) {
        fprintf(stderr, "wordfreq: more than %d distinct words\n", MAX_WORDS);
        exit(1);
    }
    strcpy(words[distinct].text, text);
    words[distinct].count = 1;
    distinct++;
}

// Most frequent first; ties in alphabetical order.
static int by_count(const void *a, const void *b) {
    const struct word *x = a, *y = b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->text, y->text);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: wordfreq INPUT REPORT\n");
        return 1;
    }
    const char *input = argv[1], *report = argv[2];

    FILE *in = fopen(input, "r");
    if (in == NULL) fail("cannot open", input);
    int lines = 0, total = 0, len = 0, c, last = '\n';
    char word[MAX_WORD_LEN];
    while ((c = fgetc(in)) != EOF) {
        if (c == '\n') lines++;
        last = c;
        if (is_word_char(c)) {
            if (len < MAX_WORD_LEN - 1) word[len++] = (char)lower(c); // longer words are cut
            continue;
        }
        if (len > 0) {
            word[len] = '\0';
            add_word(word);
            total++;
            len = 0;
        }
    }
    if (ferror(in)) fail("cannot read", input);
    fclose(in);
    if (len > 0) {
        word[len] = '\0';
        add_word(word);
        total++;
    }
    if (last != '\n') lines++; // a last line without a newline still counts
    qsort(words, distinct, sizeof words[0], by_count);

    FILE *out = fopen(report, "w");
    if (out == NULL) fail("cannot create", report);
    fprintf(out, "report on %s\n", input);
    fprintf(out, "lines: %d\nwords: %d\ndistinct words: %d\n", lines, total, distinct);
    fprintf(out, "top %d words:\n", TOP);
    for (int i = 0; i < TOP && i < distinct; i++) {
        fprintf(out, "%d. %s (%d)\n", i + 1, words[i].text, words[i].count);
    }
    if (fclose(out) != 0) fail("cannot write", report);

    printf("%s: %d lines, %d words, %d distinct\n", input, lines, total, distinct);
    if (distinct > 0) printf("most frequent: \"%s\" (%d times)\n", words[0].text, words[0].count);
    printf("report written to %s\n", report);
    return 0;
}
