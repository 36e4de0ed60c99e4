/*
 * A TCP server built with the C bindings (wasi_ext.h, <netdb.h>, wasi-libc's
 * poll and recv): `net_server echo|http PORT [TIMEOUT_MS]`.
 *
 * Resolves the passive address with getaddrinfo(NULL, PORT, AI_PASSIVE),
 * sets SO_REUSEADDR, binds, listens, prints "listening on PORT" (from
 * getsockname), then polls the listener for TIMEOUT_MS (default 10000): with
 * nothing arriving it prints "timeout" and exits 0. Otherwise it accepts one
 * connection and checks getpeername against accept's address:
 * - echo: sends back everything it receives until the client shuts down;
 * - http: reads a request head and answers "HTTP/1.0 200 OK" with the body
 *   "hello from capsa\n".
 * Then prints "served" and "ok".
 *
 * Host: crates/runtime/tests/net.rs (in-VM echo with the Rust client
 * net_echo, isolation between VMs, --publish to a host client).
 */
#include <wasi_ext.h>
#include <netdb.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char BODY[] = "hello from capsa\n";

static void serve_echo(int conn) {
    char buf[4096];
    for (;;) {
        ssize_t n = recv(conn, buf, sizeof buf, 0);
        CHECK(n >= 0);
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t sent = send(conn, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
            CHECK(sent > 0);
            off += sent;
        }
    }
}

static void serve_http(int conn) {
    char req[8192];
    size_t len = 0;
    while (len < sizeof req - 1) {
        ssize_t n = recv(conn, req + len, sizeof req - 1 - len, 0);
        CHECK(n >= 0);
        if (n == 0) break;
        len += (size_t)n;
        req[len] = 0;
        if (strstr(req, "\r\n\r\n")) break;
    }
    req[len] = 0;
    CHECK(strncmp(req, "GET ", 4) == 0);
    char head[256];
    int head_len = snprintf(head, sizeof head,
                            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                            "Connection: close\r\n\r\n",
                            strlen(BODY));
    CHECK(send(conn, head, (size_t)head_len, MSG_NOSIGNAL) == head_len);
    CHECK(send(conn, BODY, strlen(BODY), MSG_NOSIGNAL) == (ssize_t)strlen(BODY));
    CHECK(shutdown(conn, SHUT_WR) == 0);
    /* Drain until the client closes, so our close never resets. */
    char sink[256];
    while (recv(conn, sink, sizeof sink, 0) > 0) {
    }
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    const char *mode = argv[1];
    int timeout_ms = argc > 3 ? atoi(argv[3]) : 10000;

    struct addrinfo hints = {0}, *res;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int err = getaddrinfo(NULL, argv[2], &hints, &res);
    CHECK(err == 0);
    CHECK(res->ai_family == AF_INET && res->ai_next == NULL);

    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    CHECK(fd >= 0);
    int one = 1;
    CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    CHECK(bind(fd, res->ai_addr, res->ai_addrlen) == 0);
    freeaddrinfo(res);
    CHECK(listen(fd, SOMAXCONN) == 0);

    struct sockaddr_in self;
    socklen_t self_len = sizeof self;
    CHECK(getsockname(fd, (struct sockaddr *)&self, &self_len) == 0);
    CHECK(self.sin_family == AF_INET);
    printf("listening on %d\n", ntohs(self.sin_port));
    fflush(stdout);

    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, timeout_ms);
    CHECK(ready >= 0);
    if (ready == 0) {
        printf("timeout\nok\n");
        return 0;
    }

    struct sockaddr_in peer, peer2;
    socklen_t peer_len = sizeof peer, peer2_len = sizeof peer2;
    int conn = accept(fd, (struct sockaddr *)&peer, &peer_len);
    CHECK(conn >= 0);
    CHECK(peer_len == sizeof peer && peer.sin_family == AF_INET);
    CHECK(getpeername(conn, (struct sockaddr *)&peer2, &peer2_len) == 0);
    CHECK(memcmp(&peer, &peer2, sizeof peer) == 0);

    if (!strcmp(mode, "echo")) serve_echo(conn);
    else if (!strcmp(mode, "http")) serve_http(conn);
    else CHECK(!"unknown mode");

    CHECK(close(conn) == 0);
    CHECK(close(fd) == 0);
    printf("served\nok\n");
    return 0;
}
