/* The floor: a raw socket loop that sends a fixed DELETE and reads the answer head, doing
 * nothing else (what wrk does with one connection). Usage: c_raw ENDPOINT CALLS THREADS. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

int main(int argc, char **argv) {
    char host[64], request[512], buf[4096];
    int port, fd, one = 1;
    long calls, i;
    struct sockaddr_in addr;
    double start, elapsed;
    int len;
    if (argc != 4 || sscanf(argv[1], "http://%63[^:]:%d", host, &port) != 2) return 2;
    calls = atol(argv[2]);
    len = snprintf(request, sizeof request,
                   "DELETE /v2/0123456789abcdef0123456789abcdef/apigw/certificates/b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b HTTP/1.1\r\n"
                   "Host: %s:%d\r\nX-Auth-Token: emulator-token\r\n\r\n", host, port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return 1;
    start = now();
    for (i = 0; i < calls + 200; i++) {
        if (i == 200) start = now();
        if (write(fd, request, (size_t)len) != len) return 1;
        if (read(fd, buf, sizeof buf) <= 0) return 1; /* the whole 204 head arrives in one read */
    }
    elapsed = now() - start;
    print_result(elapsed, calls, 0);
    close(fd);
    return 0;
}
