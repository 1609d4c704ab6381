// http_get.c: makes one request through Bacalhau's `wasi:http/requests` host function, taking
// HTTP_METHOD (default GET; get, post, put, delete, head, options or patch, any case), HTTP_URL
// (required), HTTP_HEADERS ("Key: value" lines) and HTTP_BODY from the environment. It prints
// "Making <method> request to <url>", then either "Status Code: <n>", "Headers:", the response
// headers and "\nBody:\n<body>", exit 0; or "Error making request: <what>" with the message of
// Bacalhau's client for the result code (4 is "host not allowed"), exit 1.
// Our equivalent of Bacalhau's pkg/executor/wasm/funcs/http/testdata (TinyGo), for the job
// cases mirroring its scenarios WasmGetHTTPNotAllowList and WasmNoNetworking, and the tests of
// its scenarios WasmGetHTTP and WasmGetHTTPAllowList (tests/integration/network_scenarios.rs).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

__attribute__((import_module("wasi:http/requests"), import_name("http_request"))) uint32_t
http_request(uint32_t method, const char *url, uint32_t url_len, const char *headers,
             uint32_t headers_len, const char *body, uint32_t body_len, char *resp_headers,
             uint32_t *resp_headers_len, char *resp_body, uint32_t *resp_body_len,
             uint32_t *status);

static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"};
static const char *const errors[] = {
    "", "invalid URL", "network error", "request timeout", "host not allowed",
    "response too large", "bad input", "memory error",
};

static const char *env_or(const char *name, const char *fallback) {
    const char *value = getenv(name);
    return value != NULL ? value : fallback;
}

int main(void) {
    const char *method = env_or("HTTP_METHOD", "");
    const char *url = env_or("HTTP_URL", "");
    const char *headers = env_or("HTTP_HEADERS", "");
    const char *body = env_or("HTTP_BODY", "");
    if (*url == '\0') {
        printf("Error: HTTP_URL environment variable is required\n");
        return 1;
    }
    if (*method == '\0') method = "GET";
    uint32_t code = 0;
    while (code < sizeof methods / sizeof *methods && strcasecmp(method, methods[code]) != 0) {
        code++;
    }
    if (code == sizeof methods / sizeof *methods) {
        printf("Error: unsupported HTTP method: %s\n", method);
        return 1;
    }
    printf("Making %s request to %s\n", method, url);
    static char resp_headers[8 * 1024], resp_body[256 * 1024];
    uint32_t headers_len = sizeof resp_headers, body_len = sizeof resp_body, status = 0;
    uint32_t result = http_request(code, url, strlen(url), headers, strlen(headers), body,
                                   strlen(body), resp_headers, &headers_len, resp_body,
                                   &body_len, &status);
    if (result != 0) {
        const char *what = result < sizeof errors / sizeof *errors ? errors[result] : "unknown error";
        printf("Error making request: %s\n", what);
        return 1;
    }
    // Bacalhau's program prints each header as a line of its own (in Go's map order; ours keeps
    // the host's), so a response without headers prints none, not an empty line.
    printf("Status Code: %u\nHeaders:\n", status);
    if (headers_len > 0) printf("%.*s\n", (int)headers_len, resp_headers);
    printf("\nBody:\n%.*s\n", (int)body_len, resp_body);
    return 0;
}
