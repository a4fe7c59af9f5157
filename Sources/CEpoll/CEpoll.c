#define _GNU_SOURCE
#include "CEpoll.h"

int accord_epoll_wait(int epoll, struct epoll_event *events, int capacity, const struct timespec *timeout) {
    return epoll_pwait2(epoll, events, capacity, timeout, NULL);
}

void accord_set_thread_name(pthread_t thread, const char *name) {
    pthread_setname_np(thread, name);
}
