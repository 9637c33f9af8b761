/* mpr_api.h: libmpr for C programs and for its own tests.
 *
 * mpr.h is the contract with the C that mpc generates, and holds only what
 * that C uses. This header adds the rest of the library: the errno-style
 * calls behind the checked ones (mp_proc_start behind mp_start,
 * mp_queue_put behind mp_put, ...), the synchronization objects, the
 * message codec, and the accessors that tests and fuzzers use. The
 * conventions (return values, timeouts, ownership) are mpr.h's.
 *
 * Include this header instead of mpr.h; it includes mpr.h. */
#ifndef MPR_API_H
#define MPR_API_H

#include "mpr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Runtime lifecycle and errors                                       */
/* ------------------------------------------------------------------ */

/* Same line shape with "runtime warning:"; continues. */
void mp_warn(mp_loc loc, const char *fmt, ...) MP_PRINTF(2, 3);

/* A message for an errno value, with the runtime's own meanings for
 * EPROTO (corrupt message or type mismatch), ECONNRESET (the other end
 * closed in the middle of a message), EMSGSIZE, ETIMEDOUT, EPIPE,
 * ECANCELED (broken barrier). Never NULL; valid until the next call. */
const char *mp_strerror(int err);

/* Name of the calling process in messages: "main", "p", "workers[2]". */
const char *mp_self_name(void);

/* ------------------------------------------------------------------ */
/* Strings and lists                                                  */
/* ------------------------------------------------------------------ */

mp_str *mp_str_new(const char *bytes, size_t len); /* new ref, copies */

const mp_type *mp_list_type(const mp_list *l);

/* Lexicographic order as Python's <, <=, >, >= on lists: -1, 0, 1 or
 * MP_UNORDERED (see mp_val_cmp). */
int mp_list_cmp(const mp_list *a, const mp_list *b);

void mp_val_ref(const mp_type *t, mp_val v);   /* no-op for scalars */
void mp_val_unref(const mp_type *t, mp_val v); /* no-op for scalars */

/* ------------------------------------------------------------------ */
/* Formatting                                                         */
/* ------------------------------------------------------------------ */

void mp_buf_str(mp_buf *b, const mp_str *s); /* append str(s) */
void mp_buf_int(mp_buf *b, int64_t i);
void mp_buf_float(mp_buf *b, double f); /* Python repr */

/* Appends repr() of a value (strings quoted). */
void mp_buf_repr(mp_buf *b, const mp_type *t, mp_val v);

/* ------------------------------------------------------------------ */
/* Processes                                                          */
/* ------------------------------------------------------------------ */

/* Flushes stdio and forks. The child: takes its name, sets
 * PR_SET_PDEATHSIG SIGKILL (and dies at once if the parent is already
 * gone), closes unused pipe ends, runs entry(arg), then finishes with
 * status 0 (joining its own children, flushing, _exit).
 * Errors: EINVAL started twice; EAGAIN/ENOMEM from fork. */
int mp_proc_start(mp_proc *p, void (*entry)(void *arg), void *arg);

/* Waits until p finishes (the runtime reaps: no zombies). 0, or -1 with
 * ETIMEDOUT, or EINVAL if p was never started. Joining again returns 0. */
int mp_proc_join(mp_proc *p, double timeout);

/* SIGTERM / SIGKILL to a running child; no-op (0) once it finished;
 * EINVAL if never started. */
int mp_proc_terminate(mp_proc *p);
int mp_proc_kill(mp_proc *p);

/* Frees p. A running process is not freed: -1 with EBUSY (join it
 * first). An unstarted process applies its producer_done first. */
int mp_proc_free(mp_proc *p);

/* ------------------------------------------------------------------ */
/* Pipes                                                              */
/* ------------------------------------------------------------------ */

bool mp_conn_is_shared(const mp_conn *c);

/* Makes a pipe carrying values of type t. duplex: both ends send and
 * receive; one-way: a only sends and b only receives (the wrong direction
 * fails with EBADF). name_a/name_b name the ends in messages (copied).
 * Errors: EMFILE/ENFILE/ENOMEM from socketpair. */
int mp_pipe(mp_conn **a, mp_conn **b, const mp_type *t, bool duplex, const char *name_a,
            const char *name_b);

/* Sends v (borrowed) as one frame of any size up to MP_MSG_MAX, looping on
 * partial writes. Errors: EPIPE the other end is closed (never SIGPIPE),
 * EBADF closed end or wrong direction, EMSGSIZE over MP_MSG_MAX. */
int mp_conn_send(mp_conn *c, mp_val v);

/* Receives one value into *out (new ref). Returns 0; MP_EOF when every
 * holder of the other end closed it or exited, at a message boundary;
 * -1 with ECONNRESET when the stream ends inside a message (the sender
 * died mid-send), EPROTO for a corrupt frame or a value of the wrong type
 * (the end is then unusable: later calls fail with EPROTO too), EBADF.
 * Frame lengths are checked (at most MP_MSG_MAX) and memory grows only as
 * bytes actually arrive. */
int mp_conn_recv(mp_conn *c, mp_val *out);

/* 1 if recv would not block (a message, end-of-file or buffered bytes),
 * 0 if the timeout expired, -1 on error (EBADF). */
int mp_conn_poll(mp_conn *c, double timeout);

const char *mp_conn_name(const mp_conn *c);

/* The socket of this end (-1 once closed), e.g. for poll(2). Reading or
 * writing it directly bypasses the framing. */
int mp_conn_fd(const mp_conn *c);
bool mp_conn_is_closed(const mp_conn *c);
bool mp_conn_can_send(const mp_conn *c);
bool mp_conn_can_recv(const mp_conn *c);

/* Marks c as used by the calling process itself (see next). */
void mp_conn_keep(mp_conn *c);

/* Closes in the calling process every open pipe end that it did not mark
 * with mp_conn_keep and that no unstarted process of its own will use
 * (mp_proc_uses). Generated code may call it after the last start. */
void mp_conn_close_unused(void);

/* ------------------------------------------------------------------ */
/* Message encoding                                                   */
/* ------------------------------------------------------------------ */

/* The value encoding shared by pipes and queues, exposed for tests and
 * fuzzing. mp_frame_size: bytes needed to encode v. mp_frame_encode writes
 * exactly that many bytes into buf. mp_frame_decode decodes exactly len
 * bytes into *out (new ref): 0, or -1 with EPROTO when the bytes are not
 * one well-formed value of type t (bad tag, length beyond the buffer,
 * bool not 0/1, trailing bytes). It never allocates more than a small
 * multiple of len. */
size_t mp_frame_size(const mp_type *t, mp_val v);
void mp_frame_encode(const mp_type *t, mp_val v, void *buf);
int mp_frame_decode(const mp_type *t, const void *buf, size_t len, mp_val *out);

/* ------------------------------------------------------------------ */
/* Queues                                                             */
/* ------------------------------------------------------------------ */

/* A queue of values of type t, in one anonymous shared mapping made before
 * fork (nothing in /dev/shm). max_items bounds the number of items
 * (0: only the ring bounds it; MP_RENDEZVOUS: none is stored, a put waits
 * until a get takes its item, as Go's unbuffered channel). ring_bytes is
 * the ring size (0: 4 MiB; rounded up to a power of two, at least 4 KiB,
 * at most MP_MSG_MAX); pages
 * are touched only as used. producers is the initial producer count: get
 * returns MP_EOF once it reaches 0 and the queue is empty. NULL with errno
 * EINVAL or ENOMEM on failure. */
#define MP_RENDEZVOUS ((size_t)-1)
mp_queue *mp_queue_new(const mp_type *t, size_t max_items, size_t ring_bytes, int64_t producers,
                       const char *name);

/* Puts v (borrowed; it is copied). Blocks while full. 0, or -1 with
 * ETIMEDOUT, or EMSGSIZE when the encoded record is larger than the ring
 * can ever hold (ring_bytes - 8): such a record is rejected at once rather
 * than blocking forever. FIFO per producer. Only capacity makes a timeout
 * of 0 fail: a lock another process holds for a moment is waited for. On
 * a rendezvous queue, returns once a get has taken the item; with a
 * timeout of 0 that needs a get already waiting; an item no get took in
 * time is withdrawn (ETIMEDOUT). */
int mp_queue_put(mp_queue *q, mp_val v, double timeout);

/* Takes the oldest item into *out (new ref). 0, MP_EOF (producer count is
 * 0 and the queue is empty), or -1 with ETIMEDOUT, or EPROTO when a
 * record is corrupt (it is skipped). */
int mp_queue_get(mp_queue *q, mp_val *out, double timeout);

int64_t mp_queue_producers(mp_queue *q);

/* Joinable queues (Python's JoinableQueue), once mp_queue_set_joinable
 * (mpr.h) made every put count one unfinished task. mp_queue_task_done marks one done: 0, or -1 with ERANGE when none is
 * unfinished (EINVAL: not joinable). mp_queue_join waits until none is
 * unfinished: 0, or -1 with ETIMEDOUT (timeout negative: forever; Python's
 * join has no timeout and waits forever for tasks nobody will finish). */
int mp_queue_task_done(mp_queue *q);
int mp_queue_join(mp_queue *q, double timeout);
int64_t mp_queue_unfinished(mp_queue *q);

const char *mp_queue_name(const mp_queue *q);

/* Unmaps the queue in this process and frees the handle. */
void mp_queue_free(mp_queue *q);

/* ------------------------------------------------------------------ */
/* Shared values and arrays                                           */
/* ------------------------------------------------------------------ */

/* A shared value of kind k (MP_INT, MP_FLOAT or MP_BOOL) holding init.
 * NULL with EINVAL (other kind) or ENOMEM. */
mp_value *mp_value_new(mp_kind k, mp_val init, const char *name);
void mp_value_free(mp_value *v);

/* A zeroed shared array of n elements of kind k. NULL with EINVAL (bad
 * kind, n < 0 or too large) or ENOMEM. */
mp_array *mp_array_new(mp_kind k, int64_t n, const char *name);
/* A shared array initialized from a list of int, float or bool. */
mp_array *mp_array_from_list(const mp_list *l, const char *name);
void mp_array_free(mp_array *a);

/* ------------------------------------------------------------------ */
/* Synchronization objects (process-shared, in shared mappings)       */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */

typedef struct mp_lock mp_lock;
typedef struct mp_sem mp_sem;
typedef struct mp_event mp_event;
typedef struct mp_barrier mp_barrier;

/* A robust lock. acquire: 0, MP_RECOVERED (acquired; the previous owner
 * died holding it and the data it guards may be inconsistent), or -1 with
 * ETIMEDOUT, EDEADLK (this process already holds it). release: 0 or -1
 * with EPERM (not the owner). NULL with ENOMEM from new. */
mp_lock *mp_lock_new(const char *name);
int mp_lock_acquire(mp_lock *l, double timeout);
int mp_lock_release(mp_lock *l);
void mp_lock_free(mp_lock *l);

/* A counting semaphore (value <= UINT32_MAX/2). acquire: 0 or -1 with
 * ETIMEDOUT. release: 0 or -1 with EOVERFLOW. */
mp_sem *mp_sem_new(int64_t value, const char *name);
int mp_sem_acquire(mp_sem *s, double timeout);
int mp_sem_release(mp_sem *s);
int64_t mp_sem_value(mp_sem *s);
void mp_sem_free(mp_sem *s);

/* An event flag. wait: 0 once set, or -1 with ETIMEDOUT. */
mp_event *mp_event_new(const char *name);
void mp_event_set(mp_event *e);
void mp_event_clear(mp_event *e);
bool mp_event_is_set(mp_event *e);
int mp_event_wait(mp_event *e, double timeout);
void mp_event_free(mp_event *e);

/* A cyclic barrier for 1..65535 parties. wait: 1 in exactly one process
 * per cycle, 0 in the others; -1 with ETIMEDOUT (and the barrier becomes
 * broken) or ECANCELED (it is broken: a wait timed out). reset repairs a
 * broken barrier (call it when nobody waits). NULL with EINVAL/ENOMEM. */
mp_barrier *mp_barrier_new(int64_t parties, const char *name);
int mp_barrier_wait(mp_barrier *b, double timeout);
void mp_barrier_reset(mp_barrier *b);
void mp_barrier_free(mp_barrier *b);

#ifdef __cplusplus
}
#endif

#endif /* MPR_API_H */
