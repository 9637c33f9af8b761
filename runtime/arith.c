/* arith.c: the out-of-line parts of the float helpers in mpr.h, written
 * without libm: an exact fmod, floor, and Python's float // and %. */
#define _GNU_SOURCE
#include <string.h>

#include "mpr_internal.h"

static uint64_t bits_of(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double double_of(uint64_t u) {
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* 2^e for -1022 <= e <= 1023. */
static double pow2(int e) { return double_of((uint64_t)(e + 1023) << 52); }

/* Splits a finite nonzero |x| into m * 2^e with m < 2^53. */
static void split(double x, uint64_t *m, int *e) {
    uint64_t u = bits_of(x) & ~(1ULL << 63);
    int be = (int)(u >> 52);
    uint64_t frac = u & ((1ULL << 52) - 1);
    if (be == 0) {
        *m = frac;
        *e = -1074;
    } else {
        *m = frac | (1ULL << 52);
        *e = be - 1075;
    }
}

double mp_fmod_raw(double a, double b) {
    if (a != a || b != b || a - a != 0.0 || b == 0.0) return __builtin_nan("");
    if (b - b != 0.0) /* b infinite, a finite */
        return a;
    double aa = a < 0 ? -a : a, ab = b < 0 ? -b : b;
    if (aa < ab || a == 0.0) return a;
    uint64_t ma, mb;
    int ea, eb;
    split(aa, &ma, &ea);
    split(ab, &mb, &eb);
    /* |a| mod |b| = ((ma * 2^(ea-eb)) mod mb) * 2^eb, exactly. */
    uint64_t r = ma % mb;
    int d = ea - eb;
    while (d > 0) {
        int k = d > 11 ? 11 : d; /* r < 2^53, so r << 11 fits */
        r = (r << k) % mb;
        d -= k;
    }
    double res = eb >= -1022 ? (double)r * pow2(eb) : (double)r * pow2(eb + 64) * pow2(-64);
    return a < 0 ? -res : res;
}

double mp_floor_raw(double a) {
    if (a != a || a - a != 0.0 || a == 0.0) return a;
    if (a >= 4503599627370496.0 || a <= -4503599627370496.0) return a; /* already an integer */
    double t = (double)(int64_t)a;
    if (t > a) t -= 1.0;
    if (t == 0.0 && a < 0) return -0.0;
    return t;
}

/* Python's float_floor_div and float_rem (Objects/floatobject.c). */
double mp_ffloordiv_raw(double vx, double wx) {
    double mod = mp_fmod_raw(vx, wx);
    double div = (vx - mod) / wx;
    double floordiv;
    if (mod != 0.0) {
        if ((wx < 0) != (mod < 0)) div -= 1.0;
    }
    if (div != 0.0) {
        floordiv = mp_floor_raw(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
    } else {
        floordiv = __builtin_copysign(0.0, vx / wx);
    }
    return floordiv;
}

double mp_fmod_py_raw(double vx, double wx) {
    double mod = mp_fmod_raw(vx, wx);
    if (mod != 0.0) {
        if ((wx < 0) != (mod < 0)) mod += wx;
    } else {
        mod = __builtin_copysign(0.0, wx);
    }
    return mod;
}

__extension__ typedef unsigned __int128 u128;

/* Bit length of x (0 for 0). */
static int bit_length(u128 x) {
    int n = 0;
    while (x) {
        x >>= 1;
        n++;
    }
    return n;
}

/* |a| / |b| correctly rounded (ties to even), as CPython's
 * long_true_divide: an integer quotient of 55 or 56 bits plus a sticky bit
 * for the remainder, rounded once to 53 bits. Both fit in 2^63, so the
 * result is a normal double and scaling by a power of two is exact. */
static double udiv_round(uint64_t a, uint64_t b) {
    int shift = 55 - (bit_length(a) - bit_length(b));
    u128 n = a, d = b;
    if (shift >= 0) n <<= shift;
    else d <<= -shift;
    u128 q = n / d;
    bool sticky = n % d != 0;
    int extra = bit_length(q) - 53; /* 2 or 3 */
    uint64_t keep = (uint64_t)(q >> extra);
    uint64_t rest = (uint64_t)q & ((1ULL << extra) - 1);
    uint64_t half = 1ULL << (extra - 1);
    if (rest > half || (rest == half && (sticky || (keep & 1)))) keep++;
    int e = extra - shift;
    return e >= 0 ? (double)keep * pow2(e) : (double)keep / pow2(-e);
}

double mp_idiv_raw(int64_t a, int64_t b) {
    const int64_t exact = 9007199254740992; /* 2^53 */
    if (a >= -exact && a <= exact && b >= -exact && b <= exact)
        return (double)a / (double)b; /* both exact: IEEE rounds once */
    uint64_t ua = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
    uint64_t ub = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
    if (ua == 0) return (a < 0) == (b < 0) ? 0.0 : -0.0;
    double q = udiv_round(ua, ub);
    return (a < 0) != (b < 0) ? -q : q;
}

int mp_cmp_if(int64_t a, double b) {
    if (b != b) return 2;
    if (b >= 9223372036854775808.0) /* 2^63 and above */
        return -1;
    if (b < -9223372036854775808.0) return 1;
    int64_t t = (int64_t)b; /* b truncated, exact */
    if (a != t) return a < t ? -1 : 1;
    double frac = b - (double)t; /* exact: |b| < 2^63 */
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}
