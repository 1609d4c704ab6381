// horses_csv.c: `horses_csv INPUT OUTPUT` reads a CSV of horses (a header, then records
// horse,horseLabel,mother,motherLabel,father,fatherLabel; RFC 4180 quoting) and writes OUTPUT
// as the CSV "parent,parentLabel,child,childLabel" with, for each horse in order, a row for its
// mother and then one for its father, each only when known. Fields are quoted only when they
// hold a comma, a quote or a line break; lines end in "\n". Wrong arguments: a usage line on
// stderr, exit 1; an unreadable input or unwritable output: "error: <path>: <strerror>", exit 1.
// Our equivalent of Bacalhau's testdata/wasm/csv (Rust's csv crate), for the job case mirroring
// its scenario WasmCsvTransform.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELDS 6
#define FIELD_MAX 4096

// Reads one record into `fields` (missing fields are empty); returns 0 at the end of input.
static int read_record(FILE *in, char fields[FIELDS][FIELD_MAX]) {
    int c = getc(in);
    if (c == EOF) return 0;
    for (int i = 0; i < FIELDS; i++) fields[i][0] = '\0';
    int field = 0;
    size_t len = 0;
    int quoted = 0;
    for (;; c = getc(in)) {
        if (quoted) {
            if (c == EOF) break;
            if (c == '"') {
                int next = getc(in);
                if (next != '"') {
                    quoted = 0;
                    ungetc(next, in);
                    continue;
                }
            }
        } else if (c == '"' && len == 0) {
            quoted = 1;
            continue;
        } else if (c == ',' || c == '\n' || c == EOF) {
            if (field < FIELDS) fields[field][len] = '\0';
            field++;
            len = 0;
            if (c != ',') break;
            continue;
        } else if (c == '\r') {
            continue;
        }
        if (field < FIELDS && len + 1 < FIELD_MAX) fields[field][len++] = (char)c;
    }
    return 1;
}

static void write_field(FILE *out, const char *s) {
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"') putc('"', out);
        putc(*s, out);
    }
    putc('"', out);
}

static void write_row(FILE *out, const char *a, const char *b, const char *c, const char *d) {
    write_field(out, a);
    putc(',', out);
    write_field(out, b);
    putc(',', out);
    write_field(out, c);
    putc(',', out);
    write_field(out, d);
    putc('\n', out);
}

static void fail(const char *path) {
    fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
    exit(1);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "Usage: %s input-csv output-csv\n", argc > 0 ? argv[0] : "csv");
        return 1;
    }
    FILE *in = fopen(argv[1], "r");
    if (in == NULL) fail(argv[1]);
    FILE *out = fopen(argv[2], "w");
    if (out == NULL) fail(argv[2]);
    static char f[FIELDS][FIELD_MAX];
    write_row(out, "parent", "parentLabel", "child", "childLabel");
    if (read_record(in, f)) { // the header
        while (read_record(in, f)) {
            if (f[2][0] != '\0') write_row(out, f[2], f[3], f[0], f[1]);
            if (f[4][0] != '\0') write_row(out, f[4], f[5], f[0], f[1]);
        }
    }
    if (ferror(in)) fail(argv[1]);
    if (fclose(out) != 0) fail(argv[2]);
    return 0;
}
