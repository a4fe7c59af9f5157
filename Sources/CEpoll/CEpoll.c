#define _GNU_SOURCE
#include "CEpoll.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>

static _Thread_local const void *current_loop;
static atomic_int pwait2_unavailable;

int accord_epoll_wait(int epoll, struct epoll_event *events, int capacity, const struct timespec *timeout) {
    if (!atomic_load_explicit(&pwait2_unavailable, memory_order_relaxed)) {
        int count = epoll_pwait2(epoll, events, capacity, timeout, NULL);
        if (count >= 0 || (errno != ENOSYS && errno != EPERM)) return count;
        atomic_store_explicit(&pwait2_unavailable, 1, memory_order_relaxed);
    }
    int milliseconds = -1;
    if (timeout) {
        long long rounded_up = timeout->tv_sec * 1000LL + (timeout->tv_nsec + 999999) / 1000000;
        milliseconds = rounded_up > INT_MAX ? INT_MAX : (int)rounded_up;
    }
    return epoll_wait(epoll, events, capacity, milliseconds);
}

void accord_set_thread_name(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

void accord_set_current_loop(const void *loop) {
    current_loop = loop;
}

const void *accord_current_loop(void) {
    return current_loop;
}
