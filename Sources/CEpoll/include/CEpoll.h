#ifndef ACCORD_CEPOLL_H
#define ACCORD_CEPOLL_H

// epoll, eventfd, thread names and a thread-local, which Swift's Glibc module does not import.
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>

/// epoll_pwait2 (Linux 5.11): waits with a nanosecond timeout, so timers due within the next
/// millisecond need no timerfd. `timeout` NULL waits without one. Where the kernel or a seccomp
/// filter refuses it (ENOSYS, EPERM), epoll_wait with the timeout rounded up to milliseconds.
int accord_epoll_wait(int epoll, struct epoll_event *events, int capacity, const struct timespec *timeout);

/// pthread_setname_np (a GNU extension) for the calling thread: its name in ps, top and perf.
void accord_set_thread_name(const char *name);

/// The event loop running on the calling thread (a C11 thread-local: unlike a pthread_t, it
/// cannot match a later thread that reuses an ended one's id).
void accord_set_current_loop(const void *loop);
const void *accord_current_loop(void);

#endif
