/* One client shared by 8 threads: every delete succeeds once, then every one is gone.
 * Usage: test_threads ENDPOINT PROJECT_ID PER_THREAD  (certificates t<thread>-<i> seeded) */
#define _POSIX_C_SOURCE 200809L
#include "apig.h"
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>

#define THREADS 8

static apig_client *client;
static int per_thread;

struct job {
    int thread;
    int ok;
    int not_found;
};

static void *worker(void *arg) {
    struct job *job = arg;
    char id[64];
    int pass, i;
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < per_thread; i++) {
            apig_status status;
            snprintf(id, sizeof id, "t%d-%d", job->thread, i);
            status = apig_client_delete_certificate(client, NULL, id, false, NULL);
            if (status == APIG_OK) job->ok++;
            if (status == APIG_E_NOT_FOUND) job->not_found++;
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    apig_client_options *opts;
    apig_error *err = NULL;
    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    int t, ok = 0, not_found = 0;
    if (argc != 4) {
        fprintf(stderr, "usage: %s ENDPOINT PROJECT_ID PER_THREAD\n", argv[0]);
        return 2;
    }
    per_thread = atoi(argv[3]);
    opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, argv[1]);
    apig_client_options_set_project_id(opts, argv[2]);
    apig_client_options_set_token(opts, "emulator-token");
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    apig_client_options_free(opts);
    for (t = 0; t < THREADS; t++) {
        jobs[t].thread = t;
        jobs[t].ok = 0;
        jobs[t].not_found = 0;
        CHECK(pthread_create(&threads[t], NULL, worker, &jobs[t]) == 0);
    }
    for (t = 0; t < THREADS; t++) {
        CHECK(pthread_join(threads[t], NULL) == 0);
        ok += jobs[t].ok;
        not_found += jobs[t].not_found;
    }
    CHECK(ok == THREADS * per_thread);
    CHECK(not_found == THREADS * per_thread);
    apig_client_free(client);
    return finish("test_threads");
}
