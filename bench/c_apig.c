/* Benchmark client: apig's C client handle, N sequential deletes per thread over one
 * shared client. Usage: c_apig ENDPOINT CALLS THREADS; prints one JSON line.
 * c_apig ENDPOINT cold: a fresh process's one delete (the client, one call, exit).
 * An https ENDPOINT is trusted through the CA file named by BENCH_CA_FILE. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "bench_util.h"
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv) {
    apig_client_options *o = apig_client_options_new();
    apig_error *err = NULL;
    int n_threads;
    long i;
    double elapsed;
    const char *ca = getenv("BENCH_CA_FILE");
    int cold = argc == 3 && strcmp(argv[2], "cold") == 0;
    if (argc != 4 && !cold) return 2;
    n_threads = cold ? 1 : atoi(argv[3]);
    if (n_threads < 1 || n_threads > 64) return 2;
    calls_per_thread = atol(argv[2]) / n_threads;
    apig_client_options_set_endpoint(o, argv[1]);
    apig_client_options_set_project_id(o, "0123456789abcdef0123456789abcdef");
    apig_client_options_set_token(o, "emulator-token");
    if (ca != NULL && apig_client_options_set_ca_file(o, ca) != APIG_OK) return 2;
    if (apig_client_new(o, &client, &err) != APIG_OK) {
        fprintf(stderr, "%s\n", apig_error_message(err));
        return 1;
    }
    if (cold) {
        apig_status status = apig_client_delete_certificate(client, NULL, "b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b", false, &err);
        if (status != APIG_OK) fprintf(stderr, "%s\n", apig_error_message(err));
        return status == APIG_OK ? 0 : 1;
    }
    for (i = 0; i < 200; i++) apig_client_delete_certificate(client, NULL, "warmup", false, NULL);
    elapsed = run_threads(n_threads, work, NULL);
    print_result(elapsed, calls_per_thread * n_threads, failures);
    apig_client_free(client);
    apig_client_options_free(o);
    return failures ? 1 : 0;
}
