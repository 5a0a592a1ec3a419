/* The emulator's control API from a C test, over a plain socket (no HTTP library: the tests link
 * only libapig). Shared by the tests that seed the emulator themselves. */
#ifndef APIG_TEST_CONTROL_H
#define APIG_TEST_CONTROL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sends METHOD PATH (with a JSON body, or none) to the emulator at ENDPOINT (http://HOST:PORT); returns the answer's body (free
 * it), or NULL when the emulator could not be asked or did not answer 200. */
static inline char *emulator_control(const char *endpoint, const char *method, const char *path, const char *body) {
    char host[64];
    int port = 0, fd;
    struct sockaddr_in addr;
    char head[512];
    size_t used = 0, size = 1 << 16;
    char *answer, *text;
    ssize_t got;
    if (sscanf(endpoint, "http://%63[^:]:%d", host, &port) != 2) return NULL;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return NULL;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return NULL;
    }
    snprintf(head, sizeof head,
             "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\nContent-Type: application/json\r\n"
             "Content-Length: %lu\r\n\r\n",
             method, path, host, port, (unsigned long)(body ? strlen(body) : 0));
    if (write(fd, head, strlen(head)) < 0 || (body && write(fd, body, strlen(body)) < 0)) {
        close(fd);
        return NULL;
    }
    answer = malloc(size);
    while (answer != NULL && (got = read(fd, answer + used, size - used - 1)) > 0) {
        used += (size_t)got;
        if (used + 1 == size) {
            char *bigger = realloc(answer, size * 2);
            if (bigger == NULL) free(answer);
            answer = bigger;
            size *= 2;
        }
    }
    close(fd);
    if (answer == NULL) return NULL;
    answer[used] = '\0';
    text = strstr(answer, "\r\n\r\n");
    if (strncmp(answer, "HTTP/1.1 200", 12) != 0 || text == NULL) {
        fprintf(stderr, "control %s %s: %.200s\n", method, path, answer);
        free(answer);
        return NULL;
    }
    memmove(answer, text + 4, strlen(text + 4) + 1);
    return answer;
}

#endif
