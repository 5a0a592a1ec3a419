/* Benchmark peer: libcurl, one reused easy handle per thread (keep-alive), the same DELETE
 * with X-Auth-Token. Usage: c_curl ENDPOINT CALLS THREADS; prints one JSON line. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

/* Peak RSS of this process image, from /proc (getrusage would count the parent's pages). */
static long vmhwm_kib(void) {
    char line[256];
    long kib = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    }
    fclose(f);
    return kib;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    struct curl_slist *headers = NULL;
    pthread_t threads[64];
    int n_threads, t;
    long i;
    double start, elapsed;
    CURL *warm;
    if (argc != 4) return 2;
    n_threads = atoi(argv[3]);
    if (n_threads < 1 || n_threads > 64) return 2;
    calls_per_thread = atol(argv[2]) / n_threads;
    snprintf(url, sizeof url, "%s/v2/0123456789abcdef0123456789abcdef/apigw/certificates/b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b", argv[1]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    headers = curl_slist_append(headers, "X-Auth-Token: emulator-token");
    headers = curl_slist_append(headers, "Accept: application/json");
    warm = make(headers);
    for (i = 0; i < 200; i++) curl_easy_perform(warm);
    curl_easy_cleanup(warm);
    start = now();
    if (n_threads == 1) {
        work(headers);
    } else {
        for (t = 0; t < n_threads; t++) pthread_create(&threads[t], NULL, work, headers);
        for (t = 0; t < n_threads; t++) pthread_join(threads[t], NULL);
    }
    elapsed = now() - start;
    printf("{\"us_per_call\": %.3f, \"calls\": %ld, \"failures\": %d, \"vmhwm_kib\": %ld}\n",
           elapsed * 1e6 / (double)(calls_per_thread * n_threads), calls_per_thread * n_threads, failures, vmhwm_kib());
    curl_slist_free_all(headers);
    curl_global_cleanup();
    return failures ? 1 : 0;
}
