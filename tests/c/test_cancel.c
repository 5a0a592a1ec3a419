/* apig_client_cancel: a call stalled on a server that never answers returns APIG_E_CANCELLED
 * soon after another thread cancels the client, and the client works normally afterwards.
 * Usage: test_cancel ENDPOINT PROJECT_ID   (c-after seeded; "stalled" never answered) */
#define _POSIX_C_SOURCE 200809L
#include "apig.h"
#include "harness.h"

#include <pthread.h>
#include <time.h>

static apig_client *client;
static apig_status stalled_status;
static double stalled_seconds;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *stalled_call(void *arg) {
    apig_error *err = NULL;
    double started = now();
    (void)arg;
    stalled_status = apig_client_delete_certificate(client, NULL, "stalled", false, &err);
    stalled_seconds = now() - started;
    apig_error_free(err);
    return NULL;
}

int main(int argc, char **argv) {
    apig_client_options *opts;
    apig_error *err = NULL;
    pthread_t thread;
    struct timespec wait = {0, 300 * 1000 * 1000};
    if (argc != 3) {
        fprintf(stderr, "usage: %s ENDPOINT PROJECT_ID\n", argv[0]);
        return 2;
    }
    opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, argv[1]);
    apig_client_options_set_project_id(opts, argv[2]);
    apig_client_options_set_token(opts, "emulator-token");
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    apig_client_options_free(opts);

    CHECK(pthread_create(&thread, NULL, stalled_call, NULL) == 0);
    nanosleep(&wait, NULL);
    apig_client_cancel(client);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK_STATUS(stalled_status, APIG_E_CANCELLED);
    /* The call would otherwise wait for its 60 s deadline; a generous bound. */
    CHECK(stalled_seconds < 5.0);
    printf("cancelled after %.3f s\n", stalled_seconds);

    /* Later calls run normally; a NULL client is fine. */
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-after", false, &err), APIG_OK);
    apig_client_cancel(NULL);
    apig_client_free(client);
    return finish("test_cancel");
}
