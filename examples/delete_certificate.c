/* Deletes certificates with the C API and prints what happened to each.
 *
 *   cc delete_certificate.c -o delete_certificate $(pkg-config --cflags --libs apig)
 *   APIG_TOKEN=... ./delete_certificate ENDPOINT PROJECT_ID CERT_ID [CERT_ID...]
 *
 * The token comes from the environment, never from the command line: every user of the
 * machine can read a process's arguments (ps, /proc/PID/cmdline).
 */
#include <stdio.h>
#include <stdlib.h>

#include "apig.h"

int main(int argc, char **argv) {
    const char *token = getenv("APIG_TOKEN");
    apig_client_options *options;
    apig_client *client = NULL;
    apig_error *error = NULL;
    int i, failures = 0;

    if (argc < 4 || token == NULL || token[0] == '\0') {
        fprintf(stderr, "usage: APIG_TOKEN=... %s ENDPOINT PROJECT_ID CERT_ID [CERT_ID...]\n", argv[0]);
        return 2;
    }
    options = apig_client_options_new();
    apig_client_options_set_endpoint(options, argv[1]);
    apig_client_options_set_project_id(options, argv[2]);
    apig_client_options_set_token(options, token);
    if (apig_client_new(options, &client, &error) != APIG_OK) {
        fprintf(stderr, "cannot create the client: %s\n", apig_error_message(error));
        apig_error_free(error);
        apig_client_options_free(options);
        return 1;
    }
    apig_client_options_free(options);

    for (i = 3; i < argc; i++) {
        apig_status status = apig_client_delete_certificate(client, NULL, argv[i], false, &error);
        if (status == APIG_OK) {
            printf("[C] %-14s deleted\n", argv[i]);
            continue;
        }
        failures++;
        printf("[C] %-14s %s (HTTP %d, %s): %s\n", argv[i], apig_status_str(status),
               apig_error_http_status(error),
               apig_error_code(error) ? apig_error_code(error) : "no code",
               apig_error_message(error));
        apig_error_free(error);
    }
    apig_client_free(client);
    return failures == 0 ? 0 : 1;
}
