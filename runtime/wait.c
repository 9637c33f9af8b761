/* wait.c: deadlines on CLOCK_MONOTONIC, futex wait/wake (private or
 * process-shared), anonymous shared mappings. Every blocking wait in the
 * runtime ends in mpr_futex_wait or a pthread mutex: no sleep loops. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mpr_internal.h"

int mpr_deadline_set(mpr_deadline *d, double timeout) {
    d->forever = false;
    d->now = false;
    if (timeout != timeout) {
        errno = EINVAL;
        return -1;
    }
    if (timeout < 0 || timeout > 1e9) { /* 30 years is forever */
        d->forever = true;
        return 0;
    }
    if (timeout == 0) d->now = true;
    clock_gettime(CLOCK_MONOTONIC, &d->at);
    double whole = (double)(int64_t)timeout;
    d->at.tv_sec += (time_t)whole;
    d->at.tv_nsec += (long)((timeout - whole) * 1e9);
    if (d->at.tv_nsec >= 1000000000L) {
        d->at.tv_sec++;
        d->at.tv_nsec -= 1000000000L;
    }
    return 0;
}

double mpr_deadline_left(const mpr_deadline *d) {
    struct timespec now;
    if (d->forever) return -1;
    if (d->now) return 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double left = (double)(d->at.tv_sec - now.tv_sec) + (double)(d->at.tv_nsec - now.tv_nsec) / 1e9;
    return left > 0 ? left : 0;
}

int mpr_futex_wait(uint32_t *w, uint32_t val, const mpr_deadline *d, bool shared) {
    int op = FUTEX_WAIT_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG);
    if (d && d->now) {
        errno = ETIMEDOUT;
        return -1;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time. */
    long r = syscall(SYS_futex, w, op, val, d && !d->forever ? &d->at : NULL, NULL,
                     FUTEX_BITSET_MATCH_ANY);
    if (r < 0 && errno == ETIMEDOUT) return -1;
    return 0; /* woken, EAGAIN, EINTR: re-check */
}

void mpr_futex_wake(uint32_t *w, int n, bool shared) {
    int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);
    syscall(SYS_futex, w, op, n, NULL, NULL, 0);
}

void *mpr_shm_alloc(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    return p;
}

void mpr_shm_free(void *p, size_t size) {
    if (p) munmap(p, size);
}

void mpr_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
