/* apig_client_cancel: a call stalled on a server that never answers returns APIG_E_CANCELLED
 * soon after another thread cancels the client, and the client works normally afterwards; so
 * does a call whose answer's body drips, a call whose connect never completes (a local black
 * hole: a full accept queue) and one whose TLS handshake is never answered.
 * Usage: test_cancel ENDPOINT PROJECT_ID   (c-after seeded; "stalled" never answered,
 * "dripping" answered a byte every 200 ms) */
#define _POSIX_C_SOURCE 200809L
#include "apig.h"
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static apig_client *client;
static const char *stalled_id = "stalled";
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
    stalled_status = apig_client_delete_certificate(client, NULL, stalled_id, false, &err);
    stalled_seconds = now() - started;
    apig_error_free(err);
    return NULL;
}

/* A port on 127.0.0.1 whose connects hang: backlog 0, nobody accepts, the queue filled by
 * non-blocking connects until one does not complete. Writes its URL; returns the listener. */
/* A listening socket on a free port of 127.0.0.1 (its address in *addr), or -1. */
static int loopback_listener(int backlog, struct sockaddr_in *addr) {
    socklen_t len = sizeof *addr;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || bind(listener, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(listener, backlog) != 0 ||
        getsockname(listener, (struct sockaddr *)addr, &len) != 0) {
        return -1;
    }
    return listener;
}

static int black_hole(char *url, size_t size, int *fillers, int *n_fillers) {
    struct sockaddr_in addr;
    int listener = loopback_listener(0, &addr);
    if (listener < 0) return -1;
    *n_fillers = 0;
    while (*n_fillers < 8) {
        struct pollfd p;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        fillers[(*n_fillers)++] = fd;
        connect(fd, (struct sockaddr *)&addr, sizeof addr);
        p.fd = fd;
        p.events = POLLOUT;
        p.revents = 0;
        if (poll(&p, 1, 300) == 0) break; /* this one hangs: so will the client's */
    }
    snprintf(url, size, "http://127.0.0.1:%d", ntohs(addr.sin_port));
    return listener;
}

/* A port on 127.0.0.1 that accepts connections (into its backlog) and never says a word: an
 * https:// URL to it stalls in the TLS handshake. Writes the URL; returns the listener. */
static int silent(char *url, size_t size) {
    struct sockaddr_in addr;
    int listener = loopback_listener(16, &addr);
    if (listener < 0) return -1;
    snprintf(url, size, "https://127.0.0.1:%d", ntohs(addr.sin_port));
    return listener;
}

/* A new client of ENDPOINT with the emulator's token. */
static apig_client *new_client(const char *endpoint, const char *project_id) {
    apig_client *c = NULL;
    apig_error *err = NULL;
    apig_client_options *opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project_id);
    apig_client_options_set_token(opts, "emulator-token");
    CHECK_STATUS(apig_client_new(opts, &c, &err), APIG_OK);
    apig_client_options_free(opts);
    return c;
}

/* Starts a call of `client` on "stalled" in another thread, cancels the client 300 ms later and
 * checks that the call returned APIG_E_CANCELLED soon after. */
static void cancel_a_stalled_call(const char *what) {
    pthread_t thread;
    struct timespec wait = {0, 300 * 1000 * 1000};
    CHECK(pthread_create(&thread, NULL, stalled_call, NULL) == 0);
    nanosleep(&wait, NULL);
    apig_client_cancel(client);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK_STATUS(stalled_status, APIG_E_CANCELLED);
    /* The call would otherwise wait for its 60 s deadline (10 s connecting); a generous bound. */
    CHECK(stalled_seconds < 5.0);
    printf("cancelled %s after %.3f s\n", what, stalled_seconds);
}

int main(int argc, char **argv) {
    apig_error *err = NULL;
    char url[64];
    int fillers[8], n_fillers = 0, i, listener;
    if (argc != 3) {
        fprintf(stderr, "usage: %s ENDPOINT PROJECT_ID\n", argv[0]);
        return 2;
    }
    client = new_client(argv[1], argv[2]);
    cancel_a_stalled_call("while waiting for an answer");
    stalled_id = "dripping";
    cancel_a_stalled_call("while the body arrives");
    stalled_id = "stalled";

    /* Later calls run normally; a NULL client is fine. */
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-after", false, &err), APIG_OK);
    apig_client_cancel(NULL);
    apig_client_free(client);

    /* Cancelled while connecting to a port whose connects never complete. */
    listener = black_hole(url, sizeof url, fillers, &n_fillers);
    CHECK(listener >= 0);
    client = new_client(url, argv[2]);
    cancel_a_stalled_call("while connecting");
    apig_client_free(client);
    for (i = 0; i < n_fillers; i++) close(fillers[i]);
    close(listener);

    /* Cancelled during a TLS handshake nobody answers (the kernel accepts, nobody reads). */
    listener = silent(url, sizeof url);
    CHECK(listener >= 0);
    client = new_client(url, argv[2]);
    cancel_a_stalled_call("during the TLS handshake");
    apig_client_free(client);
    close(listener);
    return finish("test_cancel");
}
