/* Benchmark client: apig's C client handle, N sequential deletes per thread over one
 * shared client. Usage: c_apig ENDPOINT CALLS THREADS; prints one JSON line. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "apig.h"

static apig_client *client;
static long calls_per_thread;
static int failures;

static void *work(void *arg) {
    long i;
    (void)arg;
    for (i = 0; i < calls_per_thread; i++) {
        if (apig_client_delete_certificate(client, NULL, "b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b", false, NULL) != APIG_OK) {
            __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
        }
    }
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
    apig_client_options *o = apig_client_options_new();
    apig_error *err = NULL;
    pthread_t threads[64];
    int n_threads, t;
    long i;
    double start, elapsed;
    if (argc != 4) return 2;
    n_threads = atoi(argv[3]);
    if (n_threads < 1 || n_threads > 64) return 2;
    calls_per_thread = atol(argv[2]) / n_threads;
    apig_client_options_set_endpoint(o, argv[1]);
    apig_client_options_set_project_id(o, "0123456789abcdef0123456789abcdef");
    apig_client_options_set_token(o, "emulator-token");
    if (apig_client_new(o, &client, &err) != APIG_OK) {
        fprintf(stderr, "%s\n", apig_error_message(err));
        return 1;
    }
    for (i = 0; i < 200; i++) apig_client_delete_certificate(client, NULL, "warmup", false, NULL);
    start = now();
    if (n_threads == 1) {
        work(NULL);
    } else {
        for (t = 0; t < n_threads; t++) pthread_create(&threads[t], NULL, work, NULL);
        for (t = 0; t < n_threads; t++) pthread_join(threads[t], NULL);
    }
    elapsed = now() - start;
    printf("{\"us_per_call\": %.3f, \"calls\": %ld, \"failures\": %d, \"vmhwm_kib\": %ld}\n",
           elapsed * 1e6 / (double)(calls_per_thread * n_threads), calls_per_thread * n_threads, failures, vmhwm_kib());
    apig_client_free(client);
    apig_client_options_free(o);
    return failures ? 1 : 0;
}
