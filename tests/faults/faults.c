/* faults.c: fault injection against libmpr, as a program built the way mpc
 * builds programs (linked with libmpr.a, runtime started by mp_init).
 *
 *   faults CASE SEED
 *
 * CASE is one of the names in `cases` below. Every case is deterministic in
 * what it checks; SEED only picks the points where faults land (which item,
 * which iteration, which message size), and is printed on every failure.
 * No case sleeps to order processes: they synchronize through shared
 * memory, plain pipes and the process table (/proc/PID/stat), and every
 * wait has a generous deadline that turns a hang into a failure.
 *
 * Prints one line "CASE: ok" or "CASE: FAIL: ... (seed N)" and exits 0 or 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mpr_api.h"

static const char *case_name = "?";
static uint64_t seed;

static MP_NORETURN void failf(const char *fmt, ...) MP_PRINTF(1, 2);
static void failf(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("%s: FAIL: %s (seed %" PRIu64 ")\n", case_name, msg, seed);
    fflush(stdout);
    /* Leave no child behind: they die with us (PR_SET_PDEATHSIG). */
    _exit(1);
}

#define CHECK(cond, ...)                 \
    do {                                 \
        if (!(cond)) failf(__VA_ARGS__); \
    } while (0)

/* xorshift64*: the only source of randomness. */
static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}
static uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every wait in this file gives up after this long: a hang is a failure. */
#define DEADLINE 20.0

/* Shared scratch memory, made before fork. */
static void *shared(size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    return p;
}

static int64_t aload(int64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void astore(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static int64_t ainc(int64_t *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }

/* Waits until *p >= v. */
static void await_at_least(int64_t *p, int64_t v, const char *what) {
    double end = now() + DEADLINE;
    while (aload(p) < v) {
        CHECK(now() < end, "timed out waiting for %s (%" PRId64 " < %" PRId64 ")", what, aload(p),
              v);
        sched_yield();
    }
}

/* State letter of process pid from /proc/PID/stat ('S' sleeping, 'R'...). */
static char proc_state(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return '?';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return '?';
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

/* Waits until pid sleeps in the kernel (blocked in a system call). */
static void await_blocked(pid_t pid, const char *what) {
    double end = now() + DEADLINE;
    while (proc_state(pid) != 'S') {
        CHECK(now() < end, "%s never blocked", what);
        sched_yield();
    }
}

static mp_proc *spawn(const char *name, void (*entry)(void *), void *arg) {
    mp_proc *p = mp_proc_new(name, -1);
    CHECK(p != NULL, "mp_proc_new");
    CHECK(mp_proc_start(p, entry, arg) == 0, "start %s: %s", name, strerror(errno));
    return p;
}

static int join(mp_proc *p) {
    CHECK(mp_proc_join(p, DEADLINE) == 0, "join %s: %s", mp_proc_name(p), strerror(errno));
    return mp_proc_exitcode(p);
}

/* ------------------------------------------------------------------ */
/* A child SIGKILLed while holding a shared value's lock               */
/* ------------------------------------------------------------------ */

/* Workers increment v and their own slot of a under v's lock, ITER times.
 * The victim dies at iteration k, in phase 0 (locked, nothing written),
 * 1 (v written, a not) or 2 (both written), by raise(SIGKILL) or, with
 * `external`, by the parent's mp_proc_kill while it waits on a pipe. */
enum { LK_WORKERS = 3, LK_ITER = 300 };

struct lk {
    mp_value *v;
    mp_array *a;
    int w, victim, k, phase, external;
    int ready[2]; /* victim -> parent: "I hold the lock" */
    int hold[2];  /* never written: the victim blocks */
};

static void lk_die(struct lk *s) {
    if (!s->external) raise(SIGKILL);
    char c = 'L';
    while (write(s->ready[1], &c, 1) < 0 && errno == EINTR)
        ;
    while (read(s->hold[0], &c, 1) < 0 && errno == EINTR)
        ;
    _exit(3); /* not reached: killed while blocked */
}

static void lk_worker(void *arg) {
    struct lk *s = arg;
    for (int i = 0; i < LK_ITER; i++) {
        mp_value_lock(s->v, MP_LOC(1, 1));
        int dying = s->w == s->victim && i == s->k;
        if (dying && s->phase == 0) lk_die(s);
        int64_t x = mp_value_load_i(s->v);
        mp_value_store_i(s->v, x + 1);
        if (dying && s->phase == 1) lk_die(s);
        int64_t y = mp_array_load_i(s->a, s->w, MP_LOC(1, 1));
        mp_array_store_i(s->a, s->w, y + 1, MP_LOC(1, 1));
        if (dying) lk_die(s);
        mp_value_unlock(s->v, MP_LOC(1, 1));
    }
}

static void case_lock_kill(void) {
    for (int round = 0; round < 4; round++) {
        struct lk s[LK_WORKERS];
        mp_value *v = mp_value_new(MP_INT, (mp_val){.i = 0}, "v");
        mp_array *a = mp_array_new(MP_INT, LK_WORKERS, "a");
        CHECK(v && a, "shared objects");
        int ready[2], hold[2];
        CHECK(pipe(ready) == 0 && pipe(hold) == 0, "pipe");
        int victim = (int)rnd_below(LK_WORKERS);
        int k = (int)rnd_below(LK_ITER);
        int phase = (int)rnd_below(3);
        int external = (int)rnd_below(2);
        mp_proc *p[LK_WORKERS];
        for (int w = 0; w < LK_WORKERS; w++) {
            s[w] = (struct lk){
                v, a, w, victim, k, phase, external, {ready[0], ready[1]}, {hold[0], hold[1]}};
            char name[16];
            snprintf(name, sizeof name, "w%d", w);
            p[w] = spawn(name, lk_worker, &s[w]);
        }
        if (external) {
            char c;
            ssize_t n;
            while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
                ;
            CHECK(n == 1, "victim never reported holding the lock");
            CHECK(mp_proc_kill(p[victim]) == 0, "kill: %s", strerror(errno));
        }
        for (int w = 0; w < LK_WORKERS; w++) {
            int code = join(p[w]);
            if (w == victim) CHECK(code == -SIGKILL, "victim exit code %d, not -9", code);
            else CHECK(code == 0, "worker %d exit code %d", w, code);
        }
        /* The dead owner's lock is taken over here if no survivor did. */
        mp_value_lock(v, MP_LOC(1, 1));
        int64_t sum = 0;
        for (int w = 0; w < LK_WORKERS; w++) {
            int64_t c = mp_array_load_i(a, w, MP_LOC(1, 1));
            int64_t want = w != victim ? LK_ITER : k + (phase == 2);
            CHECK(c == want,
                  "round %d: worker %d did %" PRId64 " increments, "
                  "expected %" PRId64 " (victim %d killed at %d, phase %d)",
                  round, w, c, want, victim, k, phase);
            sum += c;
        }
        int64_t total = mp_value_load_i(v);
        CHECK(total == sum + (phase == 1),
              "round %d: v = %" PRId64 ", "
              "expected %" PRId64,
              round, total, sum + (phase == 1));
        mp_value_unlock(v, MP_LOC(1, 1));
        for (int w = 0; w < LK_WORKERS; w++) mp_proc_free(p[w]);
        close(ready[0]);
        close(ready[1]);
        close(hold[0]);
        close(hold[1]);
        mp_value_free(v);
        mp_array_free(a);
    }
}

/* ------------------------------------------------------------------ */
/* A producer SIGKILLed in the middle of queue puts                    */
/* ------------------------------------------------------------------ */

/* Items are "P:SEQ:" followed by a payload whose bytes are a function of
 * (P, SEQ) and whose length is random: the consumer can tell a torn,
 * duplicated, reordered or lost item. */
static mp_str *item_make(char p, int64_t seq, size_t len) {
    char head[48];
    int h = snprintf(head, sizeof head, "%c:%" PRId64 ":", p, seq);
    char *b = malloc((size_t)h + len);
    CHECK(b != NULL, "malloc");
    memcpy(b, head, (size_t)h);
    for (size_t i = 0; i < len; i++) b[h + i] = (char)('a' + (seq * 7 + (int64_t)i * 3 + p) % 26);
    mp_str *s = mp_str_new(b, (size_t)h + len);
    free(b);
    return s;
}

/* Checks an item; returns its producer and sets *seq. */
static char item_check(const mp_str *s, int64_t *seq) {
    char p;
    int h = 0;
    CHECK(s->len > 3 && sscanf(s->data, "%c:%" SCNd64 ":%n", &p, seq, &h) == 2 && h > 0,
          "malformed item (%zu bytes)", s->len);
    for (size_t i = (size_t)h; i < s->len; i++)
        CHECK(s->data[i] == (char)('a' + (*seq * 7 + (int64_t)(i - (size_t)h) * 3 + p) % 26),
              "torn item %c:%" PRId64 " at byte %zu", p, *seq, i);
    return p;
}

struct qk {
    mp_queue *q;
    char who;
    int64_t count; /* items to put (victim: unbounded) */
    uint64_t seed;
    int64_t *progress; /* shared: items the consumer took */
};

static void qk_producer(void *arg) {
    struct qk *s = arg;
    rng_state = s->seed;
    for (int64_t i = 0; i < s->count; i++) {
        mp_str *it = item_make(s->who, i, (size_t)rnd_below(20000));
        CHECK(mp_queue_put(s->q, (mp_val){.s = it}, -1) == 0, "put: %s", strerror(errno));
        mp_str_unref(it);
    }
}

static void case_queue_put_kill(void) {
    for (int round = 0; round < 6; round++) {
        /* A small ring so that records wrap and producers block often. */
        mp_queue *q = mp_queue_new(&mp_t_str, 0, 64 << 10, 2, "q");
        CHECK(q != NULL, "queue: %s", strerror(errno));
        struct qk victim = {q, 'A', INT64_MAX, rnd() | 1, NULL};
        struct qk other = {q, 'B', 300, rnd() | 1, NULL};
        mp_proc *pa = mp_proc_new("A", -1), *pb = mp_proc_new("B", -1);
        mp_proc_produces(pa, q);
        mp_proc_produces(pb, q);
        CHECK(mp_proc_start(pa, qk_producer, &victim) == 0, "start A");
        CHECK(mp_proc_start(pb, qk_producer, &other) == 0, "start B");
        int64_t kill_after = (int64_t)rnd_below(80);
        int64_t next[2] = {0, 0};
        bool killed = false;
        double end = now() + DEADLINE;
        for (;;) {
            mp_val v;
            int rc = mp_queue_get(q, &v, DEADLINE);
            CHECK(rc != -1, "get: %s", strerror(errno));
            if (rc == MP_EOF) break;
            int64_t seq;
            char p = item_check(v.s, &seq);
            CHECK(p == 'A' || p == 'B', "item from nowhere");
            CHECK(seq == next[p - 'A'],
                  "producer %c: item %" PRId64 " after %" PRId64 " (lost, duplicated or reordered)",
                  p, seq, next[p - 'A'] - 1);
            next[p - 'A']++;
            mp_str_unref(v.s);
            if (!killed && next[0] >= kill_after) {
                CHECK(mp_proc_kill(pa) == 0, "kill A");
                killed = true;
            }
            CHECK(now() < end, "round %d: consumer never reached the end", round);
        }
        CHECK(killed, "round %d: end of stream before A was killed", round);
        CHECK(next[1] == 300, "round %d: B's items: %" PRId64 " of 300", round, next[1]);
        CHECK(join(pa) == -SIGKILL, "A not killed");
        CHECK(join(pb) == 0, "B failed");
        CHECK(mp_queue_size(q) == 0, "items left after end of stream");
        mp_proc_free(pa);
        mp_proc_free(pb);
        mp_queue_free(q);
    }
}

/* ------------------------------------------------------------------ */
/* A consumer SIGKILLed in the middle of queue gets                    */
/* The lock-free single-producer mode: the one producer SIGKILLed at a
 * seeded point, anywhere in a put of a string (random length, wrapping a
 * small ring) or of an int (an 8-byte slot). The consumer takes every
 * item published before the kill, in order and whole, then sees the end
 * of the stream: nothing torn, nothing after a gap, no hang. */
static void spsc_int_producer(void *arg) {
    mp_queue *q = arg;
    for (int64_t i = 0;; i++)
        CHECK(mp_queue_put(q, (mp_val){.i = i * 3 + 1}, -1) == 0, "put: %s", strerror(errno));
}

static void case_spsc_put_kill(void) {
    for (int round = 0; round < 8; round++) {
        bool ints = round % 2;
        mp_queue *q = mp_queue_new(ints ? &mp_t_int : &mp_t_str, 0, ints ? 4096 : 64 << 10, 1, "q");
        CHECK(q != NULL, "queue: %s", strerror(errno));
        mp_queue_set_spsc(q);
        struct qk victim = {q, 'A', INT64_MAX, rnd() | 1, NULL};
        mp_proc *pa = mp_proc_new("A", -1);
        mp_proc_produces(pa, q);
        CHECK(mp_proc_start(pa, ints ? spsc_int_producer : qk_producer,
                            ints ? (void *)q : &victim) == 0,
              "start A");
        int64_t kill_after = (int64_t)rnd_below(ints ? 5000 : 80), next = 0;
        bool killed = false;
        double end = now() + DEADLINE;
        for (;;) {
            mp_val v;
            int rc = mp_queue_get(q, &v, DEADLINE);
            CHECK(rc != -1, "get: %s", strerror(errno));
            if (rc == MP_EOF) break;
            int64_t seq;
            if (ints) {
                seq = (v.i - 1) / 3;
                CHECK(v.i == seq * 3 + 1, "int item %" PRId64 " torn", v.i);
            } else {
                CHECK(item_check(v.s, &seq) == 'A', "item from nowhere");
                mp_str_unref(v.s);
            }
            CHECK(seq == next, "item %" PRId64 " after %" PRId64 " (lost, duplicated or reordered)",
                  seq, next - 1);
            next++;
            if (!killed && next >= kill_after) {
                CHECK(mp_proc_kill(pa) == 0, "kill A");
                killed = true;
            }
            CHECK(now() < end, "round %d: consumer never reached the end", round);
        }
        CHECK(killed, "round %d: end of stream before A was killed", round);
        CHECK(join(pa) == -SIGKILL, "A not killed");
        CHECK(mp_queue_size(q) == 0, "items left after end of stream");
        CHECK(mp_queue_is_spsc(q), "queue left the lock-free mode");
        mp_proc_free(pa);
        mp_queue_free(q);
    }
}

/* ------------------------------------------------------------------ */

enum { QG_ITEMS = 2000 };

struct qg {
    mp_queue *q;
    int64_t *seen; /* shared: times each item was got */
    int64_t *got;  /* shared: items this consumer got */
};

static void qg_consumer(void *arg) {
    struct qg *s = arg;
    for (;;) {
        mp_val v;
        int rc = mp_queue_get(s->q, &v, -1);
        CHECK(rc != -1, "get: %s", strerror(errno));
        if (rc == MP_EOF) return;
        int64_t seq;
        item_check(v.s, &seq);
        CHECK(seq >= 0 && seq < QG_ITEMS, "bad item %" PRId64, seq);
        ainc(&s->seen[seq]);
        ainc(s->got);
        mp_str_unref(v.s);
    }
}

static void case_queue_get_kill(void) {
    for (int round = 0; round < 6; round++) {
        mp_queue *q = mp_queue_new(&mp_t_str, 8, 64 << 10, 1, "q");
        CHECK(q != NULL, "queue");
        int64_t *mem = shared(sizeof(int64_t) * (QG_ITEMS + 2));
        struct qg c1 = {q, mem, &mem[QG_ITEMS]};
        struct qg c2 = {q, mem, &mem[QG_ITEMS + 1]};
        mp_proc *p1 = spawn("c1", qg_consumer, &c1);
        mp_proc *p2 = spawn("c2", qg_consumer, &c2);
        int64_t kill_after = 1 + (int64_t)rnd_below(QG_ITEMS / 4);
        bool killed = false;
        for (int64_t i = 0; i < QG_ITEMS; i++) {
            mp_str *it = item_make('M', i, (size_t)rnd_below(3000));
            CHECK(mp_queue_put(q, (mp_val){.s = it}, DEADLINE) == 0, "put %" PRId64 ": %s", i,
                  strerror(errno));
            mp_str_unref(it);
            if (!killed && aload(c1.got) >= kill_after) {
                CHECK(mp_proc_kill(p1) == 0, "kill c1");
                killed = true;
            }
        }
        mp_queue_producer_done(q);
        if (!killed) CHECK(mp_proc_kill(p1) == 0, "kill c1");
        CHECK(join(p1) == -SIGKILL || mp_proc_exitcode(p1) == 0, "c1 exit");
        CHECK(join(p2) == 0, "c2 failed");
        int64_t missing = 0;
        for (int64_t i = 0; i < QG_ITEMS; i++) {
            CHECK(mem[i] <= 1, "round %d: item %" PRId64 " got %" PRId64 " times", round, i,
                  mem[i]);
            missing += mem[i] == 0;
        }
        /* Only an item the killed consumer had taken but not yet counted
         * can be missing. */
        CHECK(missing <= 1, "round %d: %" PRId64 " items lost", round, missing);
        mp_proc_free(p1);
        mp_proc_free(p2);
        mp_queue_free(q);
        munmap(mem, sizeof(int64_t) * (QG_ITEMS + 2));
    }
}

/* ------------------------------------------------------------------ */
/* A sender SIGKILLed in the middle of a pipe send                     */
/* ------------------------------------------------------------------ */

struct pk {
    mp_conn *tx;
    int small;  /* small messages first */
    size_t big; /* then one message this large */
    uint64_t seed;
};

static void pk_sender(void *arg) {
    struct pk *s = arg;
    rng_state = s->seed;
    for (int i = 0; i < s->small; i++) {
        mp_str *it = item_make('S', i, (size_t)rnd_below(500));
        CHECK(mp_conn_send(s->tx, (mp_val){.s = it}) == 0, "send");
        mp_str_unref(it);
    }
    mp_str *it = item_make('S', s->small, s->big);
    mp_conn_send(s->tx, (mp_val){.s = it}); /* killed in here */
    _exit(4);
}

/* Deterministic: the big message cannot fit in the socket buffers or the
 * ring, so once its first bytes are readable its sender is blocked inside
 * it. */
static void case_pipe_send_kill(void) {
    for (int round = 0; round < 6; round++) {
        mp_conn *tx, *rx;
        CHECK(mp_pipe(&tx, &rx, &mp_t_str, false, "tx", "rx") == 0, "pipe");
        if (round % 2) mp_pipe_shm(tx, rx); /* odd rounds: the shared-memory ring */
        struct pk s = {tx, (int)rnd_below(50), (size_t)(2 << 20) + (size_t)rnd_below(6 << 20),
                       rnd() | 1};
        mp_proc *p = mp_proc_new("sender", -1);
        mp_proc_uses(p, tx);
        CHECK(mp_proc_start(p, pk_sender, &s) == 0, "start");
        CHECK(mp_conn_close(tx) == 0, "close tx");
        for (int i = 0; i < s.small; i++) {
            mp_val v;
            CHECK(mp_conn_recv(rx, &v) == 0, "recv %d: %s", i, strerror(errno));
            int64_t seq;
            item_check(v.s, &seq);
            CHECK(seq == i, "message %" PRId64 " where %d was due", seq, i);
            mp_str_unref(v.s);
        }
        CHECK(mp_conn_poll(rx, DEADLINE) == 1, "big message never started");
        await_blocked((pid_t)mp_proc_pid(p), "the sender");
        CHECK(mp_proc_kill(p) == 0, "kill");
        CHECK(join(p) == -SIGKILL, "sender not killed");
        mp_val v;
        errno = 0;
        int rc = mp_conn_recv(rx, &v);
        CHECK(rc == -1 && errno == ECONNRESET,
              "torn message: recv gave %d "
              "(%s), not ECONNRESET",
              rc, strerror(errno));
        mp_conn_close(rx);
        mp_proc_free(p);
    }
}

/* The receiver runs concurrently in a child and the sender is killed at a
 * random point of a stream of random-sized messages: the receiver gets an
 * intact prefix, then end-of-file or ECONNRESET, never a corrupt value. */
struct pr {
    mp_conn *rx;
    int64_t *got; /* shared: messages received */
};

static void pr_sender(void *arg) {
    struct pk *s = arg;
    rng_state = s->seed;
    for (int64_t i = 0;; i++) {
        mp_str *it = item_make('S', i, (size_t)rnd_below(300000));
        CHECK(mp_conn_send(s->tx, (mp_val){.s = it}) == 0, "send");
        mp_str_unref(it);
    }
}

static void pr_receiver(void *arg) {
    struct pr *s = arg;
    for (int64_t i = 0;; i++) {
        mp_val v;
        errno = 0;
        int rc = mp_conn_recv(s->rx, &v);
        if (rc == MP_EOF || (rc == -1 && errno == ECONNRESET)) mp_exit(0);
        CHECK(rc == 0, "recv: %d (%s)", rc, strerror(errno));
        int64_t seq;
        item_check(v.s, &seq);
        CHECK(seq == i, "message %" PRId64 " where %" PRId64 " was due", seq, i);
        mp_str_unref(v.s);
        astore(s->got, i + 1);
    }
}

static void case_pipe_stream_kill(void) {
    for (int round = 0; round < 6; round++) {
        mp_conn *tx, *rx;
        CHECK(mp_pipe(&tx, &rx, &mp_t_str, false, "tx", "rx") == 0, "pipe");
        if (round % 2) mp_pipe_shm(tx, rx); /* odd rounds: the shared-memory ring */
        int64_t *got = shared(sizeof *got);
        struct pk s = {tx, 0, 0, rnd() | 1};
        struct pr r = {rx, got};
        mp_proc *ps = mp_proc_new("sender", -1), *pr = mp_proc_new("receiver", -1);
        mp_proc_uses(ps, tx);
        mp_proc_uses(pr, rx);
        CHECK(mp_proc_start(ps, pr_sender, &s) == 0, "start sender");
        CHECK(mp_proc_start(pr, pr_receiver, &r) == 0, "start receiver");
        mp_conn_close(tx);
        mp_conn_close(rx);
        await_at_least(got, 1 + (int64_t)rnd_below(40), "messages");
        CHECK(mp_proc_kill(ps) == 0, "kill");
        CHECK(join(ps) == -SIGKILL, "sender not killed");
        CHECK(join(pr) == 0, "receiver failed (exit %d)", mp_proc_exitcode(pr));
        mp_proc_free(ps);
        mp_proc_free(pr);
        munmap(got, sizeof *got);
    }
}

/* ------------------------------------------------------------------ */
/* Signals delivered during every kind of blocking call                */
/* ------------------------------------------------------------------ */

/* SIGUSR1 has a handler installed without SA_RESTART, so every delivery
 * interrupts the blocked system call with EINTR. A helper child waits
 * until the main process sleeps in the call (/proc/PID/stat), sends a
 * signal, waits until the handler ran, NSIG_EACH times, then releases the
 * call. The call must then succeed with the right result. */
enum { NSIG_EACH = 25 };

static int64_t *handled; /* shared */
static void on_usr1(int sig) {
    (void)sig;
    __atomic_add_fetch(handled, 1, __ATOMIC_SEQ_CST);
}

struct sg {
    const char *what;
    pid_t target;
    int64_t *armed; /* shared: main is about to block */
    mp_conn *a, *b; /* duplex pipe: a main's, b helper's */
    mp_queue *q;
    mp_value *v;
    mp_lock *lock;
    mp_sem *sem;
    mp_event *ev;
    mp_barrier *bar;
    void (*release)(struct sg *);
    int locked[2]; /* helper -> main: it holds the lock */
};

static void sg_spam(struct sg *s) {
    await_at_least(s->armed, 1, "main to arm");
    int64_t base = aload(handled);
    for (int i = 1; i <= NSIG_EACH; i++) {
        await_blocked(s->target, s->what);
        kill(s->target, SIGUSR1);
        if (i % 5 == 0) kill(s->target, SIGCHLD); /* the runtime's own handler too */
        await_at_least(handled, base + i, "the signal handler");
    }
}

static void sg_helper(void *arg) {
    struct sg *s = arg;
    signal(SIGUSR1, SIG_IGN);
    if (s->release == NULL) { /* lock cases: hold it first */
        mp_value_lock(s->v, MP_LOC(1, 1));
        CHECK(mp_lock_acquire(s->lock, -1) == 0, "helper lock");
        char c = 'x';
        CHECK(write(s->locked[1], &c, 1) == 1, "write");
        sg_spam(s);
        mp_value_unlock(s->v, MP_LOC(1, 1));
        CHECK(mp_lock_release(s->lock) == 0, "release");
        return;
    }
    sg_spam(s);
    s->release(s);
}

static void rel_send(struct sg *s) {
    mp_str *m = mp_str_cstr("wake up");
    CHECK(mp_conn_send(s->b, (mp_val){.s = m}) == 0, "helper send");
    mp_str_unref(m);
}
static void rel_recv_big(struct sg *s) {
    mp_val v;
    CHECK(mp_conn_recv(s->b, &v) == 0, "helper recv: %s", strerror(errno));
    CHECK(v.s->len == (size_t)4 << 20, "big message: %zu bytes", v.s->len);
    mp_str_unref(v.s);
}
static void rel_put(struct sg *s) {
    CHECK(mp_queue_put(s->q, (mp_val){.i = 42}, -1) == 0, "helper put");
}
static void rel_get(struct sg *s) {
    mp_val v;
    CHECK(mp_queue_get(s->q, &v, -1) == 0 && v.i == 1, "helper get");
}
static void rel_nothing(struct sg *s) { (void)s; } /* join: it exits */
static void rel_sem(struct sg *s) { CHECK(mp_sem_release(s->sem) == 0, "sem"); }
static void rel_event(struct sg *s) { mp_event_set(s->ev); }
static void rel_barrier(struct sg *s) { CHECK(mp_barrier_wait(s->bar, -1) >= 0, "helper barrier"); }

enum call {
    C_RECV,
    C_SEND,
    C_POLL,
    C_GET,
    C_GET_TIMEOUT,
    C_PUT,
    C_JOIN,
    C_VLOCK,
    C_LOCK,
    C_SEM,
    C_EVENT,
    C_BARRIER,
    C__N
};
static const char *const call_names[C__N] = {
    "mp_conn_recv",          "mp_conn_send",   "mp_conn_poll",  "mp_queue_get",
    "mp_queue_get(timeout)", "mp_queue_put",   "mp_proc_join",  "mp_value_lock",
    "mp_lock_acquire",       "mp_sem_acquire", "mp_event_wait", "mp_barrier_wait",
};

static void signal_one(enum call c) {
    struct sg s;
    memset(&s, 0, sizeof s);
    s.what = call_names[c];
    s.target = getpid();
    s.armed = shared(sizeof *s.armed);
    CHECK(mp_pipe(&s.a, &s.b, &mp_t_str, true, "a", "b") == 0, "pipe");
    s.q = mp_queue_new(&mp_t_int, 1, 0, 1, "q");
    s.v = mp_value_new(MP_INT, (mp_val){.i = 0}, "v");
    s.lock = mp_lock_new("lock");
    s.sem = mp_sem_new(0, "sem");
    s.ev = mp_event_new("ev");
    s.bar = mp_barrier_new(2, "bar");
    CHECK(s.q && s.v && s.lock && s.sem && s.ev && s.bar, "objects");
    CHECK(pipe(s.locked) == 0, "pipe");
    static void (*const rel[C__N])(struct sg *) = {
        [C_RECV] = rel_send,    [C_SEND] = rel_recv_big,   [C_POLL] = rel_send,
        [C_GET] = rel_put,      [C_GET_TIMEOUT] = rel_put, [C_PUT] = rel_get,
        [C_JOIN] = rel_nothing, [C_VLOCK] = NULL,          [C_LOCK] = NULL,
        [C_SEM] = rel_sem,      [C_EVENT] = rel_event,     [C_BARRIER] = rel_barrier,
    };
    s.release = rel[c];
    if (c == C_PUT) CHECK(mp_queue_put(s.q, (mp_val){.i = 1}, 0) == 0, "fill the queue");
    mp_proc *h = mp_proc_new("helper", -1);
    mp_proc_uses(h, s.b);
    CHECK(mp_proc_start(h, sg_helper, &s) == 0, "start helper");
    if (c == C_VLOCK || c == C_LOCK) {
        char x;
        CHECK(read(s.locked[0], &x, 1) == 1, "helper never locked");
    }
    int64_t before = aload(handled);
    mp_val v;
    mp_str *big = NULL;
    int rc = 0;
    astore(s.armed, 1);
    switch (c) {
    case C_RECV:
        rc = mp_conn_recv(s.a, &v);
        CHECK(rc == 0 && v.s->len == 7, "%s gave %d (%s)", s.what, rc, strerror(errno));
        mp_str_unref(v.s);
        break;
    case C_SEND: {
        char *b = malloc((size_t)4 << 20);
        CHECK(b != NULL, "malloc");
        memset(b, 'z', (size_t)4 << 20);
        big = mp_str_new(b, (size_t)4 << 20);
        free(b);
        rc = mp_conn_send(s.a, (mp_val){.s = big});
        CHECK(rc == 0, "%s gave %d (%s)", s.what, rc, strerror(errno));
        mp_str_unref(big);
        break;
    }
    case C_POLL:
        rc = mp_conn_poll(s.a, 3600.0);
        CHECK(rc == 1, "%s gave %d (%s)", s.what, rc, strerror(errno));
        CHECK(mp_conn_recv(s.a, &v) == 0, "recv after poll");
        mp_str_unref(v.s);
        break;
    case C_GET:
        rc = mp_queue_get(s.q, &v, -1);
        CHECK(rc == 0 && v.i == 42, "%s gave %d (%s)", s.what, rc, strerror(errno));
        break;
    case C_GET_TIMEOUT:
        rc = mp_queue_get(s.q, &v, 3600.0);
        CHECK(rc == 0 && v.i == 42, "%s gave %d (%s)", s.what, rc, strerror(errno));
        break;
    case C_PUT:
        rc = mp_queue_put(s.q, (mp_val){.i = 2}, -1);
        CHECK(rc == 0, "%s gave %d (%s)", s.what, rc, strerror(errno));
        break;
    case C_JOIN:
        rc = mp_proc_join(h, -1);
        CHECK(rc == 0 && mp_proc_exitcode(h) == 0, "%s gave %d (%s)", s.what, rc, strerror(errno));
        break;
    case C_VLOCK:
        mp_value_lock(s.v, MP_LOC(1, 1)); /* fails the process on error */
        mp_value_unlock(s.v, MP_LOC(1, 1));
        break;
    case C_LOCK:
        rc = mp_lock_acquire(s.lock, -1);
        CHECK(rc == 0, "%s gave %d (%s)", s.what, rc, strerror(errno));
        CHECK(mp_lock_release(s.lock) == 0, "release");
        break;
    case C_SEM:
        rc = mp_sem_acquire(s.sem, -1);
        CHECK(rc == 0, "%s gave %d (%s)", s.what, rc, strerror(errno));
        break;
    case C_EVENT:
        rc = mp_event_wait(s.ev, -1);
        CHECK(rc == 0, "%s gave %d (%s)", s.what, rc, strerror(errno));
        break;
    case C_BARRIER:
        rc = mp_barrier_wait(s.bar, -1);
        CHECK(rc >= 0, "%s gave %d (%s)", s.what, rc, strerror(errno));
        break;
    case C__N: break;
    }
    CHECK(join(h) == 0, "helper failed for %s", s.what);
    CHECK(aload(handled) - before == NSIG_EACH,
          "%s: %" PRId64 " signals "
          "handled, expected %d",
          s.what, aload(handled) - before, NSIG_EACH);
    mp_conn_close(s.a);
    mp_conn_close(s.b);
    close(s.locked[0]);
    close(s.locked[1]);
    mp_proc_free(h);
    mp_queue_free(s.q);
    mp_value_free(s.v);
    mp_lock_free(s.lock);
    mp_sem_free(s.sem);
    mp_event_free(s.ev);
    mp_barrier_free(s.bar);
    munmap(s.armed, sizeof *s.armed);
}

static void case_signals(void) {
    handled = shared(sizeof *handled);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: calls see EINTR */
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
    /* Seeded order of the calls. */
    enum call order[C__N];
    for (int i = 0; i < C__N; i++) order[i] = (enum call)i;
    for (int i = C__N - 1; i > 0; i--) {
        int j = (int)rnd_below((uint64_t)i + 1);
        enum call t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < C__N; i++) signal_one(order[i]);

    /* mp_sleep sleeps its whole duration however many signals arrive
     * (a lower bound only: never a flaky upper bound). */
    int64_t *armed = shared(sizeof *armed);
    struct sg s;
    memset(&s, 0, sizeof s);
    s.what = "mp_sleep";
    s.target = getpid();
    s.armed = armed;
    s.release = rel_nothing;
    mp_proc *h = spawn("helper", sg_helper, &s);
    astore(armed, 1);
    double t0 = now();
    mp_sleep(0.5, MP_LOC(1, 1));
    double slept = now() - t0;
    join(h);
    CHECK(slept >= 0.5, "mp_sleep(0.5) returned after %.3f s", slept);
}

/* ------------------------------------------------------------------ */

static const struct {
    const char *name;
    void (*run)(void);
} cases[] = {
    {"lock_kill", case_lock_kill},
    {"queue_put_kill", case_queue_put_kill},
    {"queue_get_kill", case_queue_get_kill},
    {"spsc_put_kill", case_spsc_put_kill},
    {"pipe_send_kill", case_pipe_send_kill},
    {"pipe_stream_kill", case_pipe_stream_kill},
    {"signals", case_signals},
};

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: faults CASE SEED\n");
        return 2;
    }
    case_name = argv[1];
    seed = strtoull(argv[2], NULL, 10);
    rng_state = seed * 2 + 1;
    for (int i = 0; i < 20; i++) rnd();
    mp_init("faults.c", argc, argv);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(cases[i].name, case_name) == 0) {
            cases[i].run();
            printf("%s: ok\n", case_name);
            fflush(stdout);
            return mp_finish();
        }
    }
    fprintf(stderr, "faults: unknown case '%s'\n", case_name);
    return 2;
}
