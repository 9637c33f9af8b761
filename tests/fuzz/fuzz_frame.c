/* fuzz_frame.c: libFuzzer target for libmpr's message decoding.
 *
 * The bytes a pipe or queue receives come from another process that may
 * have died mid-write or be corrupt; mp_frame_decode must reject anything
 * that is not exactly one well-formed value of the expected type, without
 * reading out of bounds or allocating more than a small multiple of the
 * input. The first input byte picks the expected type among every message
 * type shape up to three levels of lists (int, float, bool, str and lists
 * of those), each of those `| None`, lists of one or two levels over
 * `scalar | None`, tuples (empty, of scalars, nested with lists and
 * optionals, and a list of those), and dicts and sets (dict[str, int],
 * dict[int, list[str]], set[float], dict[(int, str, bool, float),
 * set[int]] | None); the rest is the frame.
 *
 * Oracle: a frame that decodes must re-encode to the very same bytes
 * (mp_frame_size equal to its length, mp_frame_encode byte-identical), and
 * the value must be released without leaks. The decoded value then goes
 * through a queue (put, get) and a pipe (send, recv) of its type, within
 * this process, and must come back as the same bytes: the queue's and the
 * pipe's own framing see every shape and size of value. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpr_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Type shapes: 4 scalars, then lists of depth 1..3 over each scalar
 * (NPLAIN); each of those | None; lists of depth 1..2 over scalar | None. */
enum {
    NSCALAR = 4,
    MAXDEPTH = 3,
    NPLAIN = NSCALAR * (MAXDEPTH + 1),
    NOPTLIST = NSCALAR * 2,
    NTUPLE = 4,
    NDICT = 4,
    NSHAPES = 2 * NPLAIN + NOPTLIST + NTUPLE + NDICT
};

static mp_type lists[NSCALAR][MAXDEPTH];
static mp_type opts[NPLAIN];          /* opts[k]: plain shape k | None */
static mp_type opt_lists[NSCALAR][2]; /* list[scalar | None], list[list[...]] */
/* (), (int, str, bool, float), (list[int], str | None, ()), list[that] */
static const mp_type *t0_items[1], *t4_items[4], *t3_items[3];
static mp_tuple_type tuples[3];
static mp_type tuple_list;
static mp_dict_type dict_str_int, dict_int_list_str, dict_tuple_set;
static mp_type set_float, set_int, opt_dict_tuple_set;
static mp_queue *queues[NSHAPES];
static mp_conn *ends[NSHAPES][2];

static const mp_type *shape(unsigned k) {
    static const mp_type *const scalars[NSCALAR] = {
        &mp_t_int,
        &mp_t_float,
        &mp_t_bool,
        &mp_t_str,
    };
    static int ready;
    if (!ready) {
        for (int s = 0; s < NSCALAR; s++)
            for (int d = 0; d < MAXDEPTH; d++) {
                lists[s][d].kind = MP_LIST;
                lists[s][d].elem = d == 0 ? scalars[s] : &lists[s][d - 1];
            }
        for (int p = 0; p < NPLAIN; p++) {
            opts[p].kind = MP_OPT;
            opts[p].elem = p < NSCALAR ? scalars[p] : &lists[p % NSCALAR][p / NSCALAR - 1];
        }
        for (int s = 0; s < NSCALAR; s++) {
            opt_lists[s][0] = (mp_type){MP_LIST, &opts[s]};
            opt_lists[s][1] = (mp_type){MP_LIST, &opt_lists[s][0]};
        }
        tuples[0] = (mp_tuple_type){{MP_TUPLE, NULL}, 0, t0_items};
        for (int s = 0; s < NSCALAR; s++) t4_items[s] = scalars[s];
        tuples[1] = (mp_tuple_type){{MP_TUPLE, NULL}, 4, t4_items};
        t3_items[0] = &lists[0][0];
        t3_items[1] = &opts[3];
        t3_items[2] = &tuples[0].base;
        tuples[2] = (mp_tuple_type){{MP_TUPLE, NULL}, 3, t3_items};
        tuple_list = (mp_type){MP_LIST, &tuples[2].base};
        dict_str_int = (mp_dict_type){{MP_DICT, &mp_t_int}, &mp_t_str};
        dict_int_list_str = (mp_dict_type){{MP_DICT, &lists[3][0]}, &mp_t_int};
        set_float = (mp_type){MP_SET, &mp_t_float};
        set_int = (mp_type){MP_SET, &mp_t_int};
        dict_tuple_set = (mp_dict_type){{MP_DICT, &set_int}, &tuples[1].base};
        opt_dict_tuple_set = (mp_type){MP_OPT, &dict_tuple_set.base};
        ready = 1;
    }
    k %= NSHAPES;
    if (k >= 2 * NPLAIN + NOPTLIST + NTUPLE) {
        static const mp_type *const dicts[NDICT] = {&dict_str_int.base, &dict_int_list_str.base,
                                                    &set_float, &opt_dict_tuple_set};
        return dicts[k - (2 * NPLAIN + NOPTLIST + NTUPLE)];
    }
    if (k >= 2 * NPLAIN + NOPTLIST) {
        k -= 2 * NPLAIN + NOPTLIST;
        return k < 3 ? &tuples[k].base : &tuple_list;
    }
    if (k >= 2 * NPLAIN) return &opt_lists[(k - 2 * NPLAIN) % NSCALAR][(k - 2 * NPLAIN) / NSCALAR];
    if (k >= NPLAIN) return &opts[k - NPLAIN];
    unsigned s = k % NSCALAR, depth = k / NSCALAR;
    return depth == 0 ? scalars[s] : &lists[s][depth - 1];
}

/* Encodes v and compares with want (n bytes); aborts on a difference. */
static void same_bytes(const mp_type *t, mp_val v, const uint8_t *want, size_t n) {
    if (mp_frame_size(t, v) != n) abort(); /* decoded from more or fewer bytes */
    unsigned char *again = malloc(n ? n : 1);
    if (!again) abort();
    mp_frame_encode(t, v, again);
    if (memcmp(again, want, n) != 0) abort(); /* not the same value */
    free(again);
}

/* v through a queue and a pipe of type t (shape k): the same bytes back. */
static void through_queue_and_pipe(unsigned k, const mp_type *t, mp_val v, const uint8_t *frame,
                                   size_t len) {
    k %= NSHAPES;
    if (!queues[k]) {
        queues[k] = mp_queue_new(t, 0, 1 << 16, 1, "q");
        if (!queues[k] || mp_pipe(&ends[k][0], &ends[k][1], t, true, "a", "b") != 0) abort();
    }
    mp_val back;
    if (mp_queue_put(queues[k], v, 0) != 0 || mp_queue_get(queues[k], &back, 0) != 0)
        abort(); /* fits (len < 64 KiB), nobody else uses it */
    same_bytes(t, back, frame, len);
    mp_val_unref(t, back);
    if (mp_conn_send(ends[k][0], v) != 0 || mp_conn_recv(ends[k][1], &back) != 0)
        abort(); /* fits in the socket buffer */
    same_bytes(t, back, frame, len);
    mp_val_unref(t, back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const mp_type *t = shape(data[0]);
    const uint8_t *frame = data + 1;
    size_t len = size - 1;
    mp_val v;
    errno = 0;
    int rc = mp_frame_decode(t, frame, len, &v);
    if (rc != 0) {
        if (rc != -1 || errno != EPROTO) abort(); /* the only failure is -1 with EPROTO */
        return 0;
    }
    same_bytes(t, v, frame, len);
    through_queue_and_pipe(data[0], t, v, frame, len);
    mp_val_unref(t, v);
    return 0;
}
