// The floor of an HTTP/1.1 load client: N keep-alive connections on one epoll set, one request
// in flight on each, one write() and one read() per request, no framework and no per-request
// epoll_ctl. bench/http-vs-wrk --floor runs it beside wrk and accord to show how much of
// accord's CPU per request is the event-loop framework rather than the kernel's TCP work.
// Responses must carry Content-Length (the bench server's do).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CONNECTIONS = 1024, BUFFER = 16384 };

struct connection {
    int fd;
    size_t have;        // bytes of the current response read so far
    char buffer[BUFFER];
};

static const char request[] = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

// Length of the first complete response in the buffer, 0 when more bytes are needed, -1 when
// the head has no Content-Length.
static long complete_response(const char *data, size_t length) {
    const char *end = memmem(data, length, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t head = (size_t)(end - data) + 4;
    const char *field = memmem(data, head, "\r\nContent-Length:", 17);
    if (!field) field = memmem(data, head, "\r\ncontent-length:", 17);
    if (!field) return -1;
    long body = strtol(field + 17, NULL, 10);
    return head + (size_t)body <= length ? (long)(head + (size_t)body) : 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: floor PORT CONNECTIONS SECONDS\n");
        return 2;
    }
    int port = atoi(argv[1]), count = atoi(argv[2]);
    double seconds = atof(argv[3]);
    if (count < 1 || count > MAX_CONNECTIONS || seconds <= 0) return 2;
    static struct connection connections[MAX_CONNECTIONS];
    int poll = epoll_create1(0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
            perror("connect");
            return 1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        connections[i].fd = fd;
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = &connections[i]};
        epoll_ctl(poll, EPOLL_CTL_ADD, fd, &event);
        if (write(fd, request, sizeof request - 1) != sizeof request - 1) return 1;
    }
    long requests = 0, non2xx = 0;
    double end = now() + seconds;
    struct epoll_event events[64];
    while (now() < end) {
        int ready = epoll_wait(poll, events, 64, 100);
        for (int i = 0; i < ready; i++) {
            struct connection *c = events[i].data.ptr;
            ssize_t got = read(c->fd, c->buffer + c->have, BUFFER - c->have);
            if (got <= 0) {
                fprintf(stderr, "connection %d closed\n", c->fd);
                return 1;
            }
            c->have += (size_t)got;
            long used = complete_response(c->buffer, c->have);
            if (used < 0 || (used == 0 && c->have == BUFFER)) {
                fprintf(stderr, "unframed response\n");
                return 1;
            }
            if (used == 0) continue;
            if (memcmp(c->buffer + 9, "200", 3) != 0) non2xx++;
            requests++;
            memmove(c->buffer, c->buffer + used, c->have - (size_t)used);
            c->have -= (size_t)used;
            if (write(c->fd, request, sizeof request - 1) != sizeof request - 1) return 1;
        }
    }
    printf("requests %ld errors 0 non2xx %ld\n", requests, non2xx);
    return 0;
}
