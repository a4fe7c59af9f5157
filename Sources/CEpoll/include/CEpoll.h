#ifndef ACCORD_CEPOLL_H
#define ACCORD_CEPOLL_H

// epoll, eventfd and thread names, which Swift's Glibc module does not import.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <time.h>

/// epoll_pwait2 (Linux 5.11): waits with a nanosecond timeout, so timers due within the next
/// millisecond need no timerfd. `timeout` NULL waits without one.
int accord_epoll_wait(int epoll, struct epoll_event *events, int capacity, const struct timespec *timeout);

/// pthread_setname_np (a GNU extension): names a thread in ps, top and perf.
void accord_set_thread_name(pthread_t thread, const char *name);

#endif
