/* Benchmark peer: libcurl, one reused easy handle per thread (keep-alive), the same DELETE
 * with X-Auth-Token. Usage: c_curl ENDPOINT CALLS THREADS; prints one JSON line.
 * c_curl ENDPOINT cold: a fresh process's one delete (one handle, one call, exit).
 * An https ENDPOINT is trusted through the CA file named by BENCH_CA_FILE (libcurl's own
 * defaults otherwise, session reuse included). */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>

#include "bench_util.h"
#include <stdlib.h>
#include <string.h>

static char url[512];
static long calls_per_thread;
static int failures;

static size_t discard(char *p, size_t s, size_t n, void *u) {
    (void)p;
    (void)u;
    return s * n;
}

static CURL *make(struct curl_slist *headers) {
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    if (getenv("BENCH_CA_FILE") != NULL) curl_easy_setopt(h, CURLOPT_CAINFO, getenv("BENCH_CA_FILE"));
    return h;
}

static void *work(void *arg) {
    struct curl_slist *headers = arg;
    CURL *h = make(headers);
    long i, code = 0;
    for (i = 0; i < calls_per_thread; i++) {
        if (curl_easy_perform(h) != CURLE_OK) {
            __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
            continue;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (code != 204) __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    }
    curl_easy_cleanup(h);
    return NULL;
}

int main(int argc, char **argv) {
    struct curl_slist *headers = NULL;
    int n_threads;
    long i;
    double elapsed;
    CURL *warm;
    int cold = argc == 3 && strcmp(argv[2], "cold") == 0;
    if (argc != 4 && !cold) return 2;
    n_threads = cold ? 1 : atoi(argv[3]);
    if (n_threads < 1 || n_threads > 64) return 2;
    calls_per_thread = atol(argv[2]) / n_threads;
    snprintf(url, sizeof url, "%s/v2/0123456789abcdef0123456789abcdef/apigw/certificates/b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b", argv[1]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    headers = curl_slist_append(headers, "X-Auth-Token: emulator-token");
    headers = curl_slist_append(headers, "Accept: application/json");
    warm = make(headers);
    if (cold) {
        long code = 0;
        CURLcode rc = curl_easy_perform(warm);
        curl_easy_getinfo(warm, CURLINFO_RESPONSE_CODE, &code);
        if (rc != CURLE_OK) fprintf(stderr, "%s\n", curl_easy_strerror(rc));
        curl_easy_cleanup(warm);
        curl_global_cleanup();
        return rc == CURLE_OK && code == 204 ? 0 : 1;
    }
    for (i = 0; i < 200; i++) curl_easy_perform(warm);
    curl_easy_cleanup(warm);
    elapsed = run_threads(n_threads, work, headers);
    print_result(elapsed, calls_per_thread * n_threads, failures);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    return failures ? 1 : 0;
}
