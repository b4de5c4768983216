// Shared by the add-on's source files: N-API argument checks against the wasm heap, and the
// vectorisable float math (exp, tanh, log) the elementwise kernels use.
#ifndef VAE_LAB_ADDON_H
#define VAE_LAB_ADDON_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <node_api.h>

#ifdef __APPLE__
#define ACCELERATE_NEW_LAPACK
#include <Accelerate/Accelerate.h>
#define BLAS_NAME "Accelerate"
#else
#include <cblas.h>
#define BLAS_NAME "cblas"
// Weak, so that any CBLAS links; only OpenBLAS has these.
extern void openblas_set_num_threads(int) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
extern char *openblas_get_config(void) __attribute__((weak));
#endif

#define MAX_ARGS 12

// Elementwise loops get AVX-512/AVX2 versions picked at load time (GCC on Linux x86-64 only).
// Both use FMA (avx512f implies it; arch=haswell is AVX2 + FMA), which binding.gyp lets the
// compiler contract a * b + c into (-ffp-contract=fast): the polynomials run 1.6x faster.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
#define CLONES
#endif

static inline napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, "VAE_LAB_BLAS", msg);
  return NULL;
}

typedef struct {
  uint8_t *base;
  size_t bytes;
} heap_t;

static inline int get_heap(napi_env env, napi_value v, heap_t *h) {
  bool is;
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    void *data;
    if (napi_get_arraybuffer_info(env, v, &data, &h->bytes) != napi_ok) return 0;
    h->base = data;
    return 1;
  }
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length, offset;
    void *data;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return 0;
    if (type != napi_uint8_array) return 0;
    h->base = data;
    h->bytes = length;
    return 1;
  }
  return 0;
}

static inline int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  return argc >= want;
}

// A non-negative whole number below 2^53, or -1 (which every caller rejects): NaN, infinities,
// fractions and non-numbers must not turn into offset 0.
static inline int64_t num(napi_env env, napi_value v) {
  double x;
  if (napi_get_value_double(env, v, &x) != napi_ok) return -1;
  if (!isfinite(x) || x < 0 || x > 9007199254740991.0 || floor(x) != x) return -1;
  return (int64_t)x;
}

// (batch - 1) * stride + tail floats, or -1 if it overflows.
static inline int64_t span(int64_t batch, int64_t stride, int64_t tail) {
  int64_t prod, sum;
  if (batch <= 0) return tail;
  if (__builtin_mul_overflow(batch - 1, stride, &prod) || __builtin_add_overflow(prod, tail, &sum)) return -1;
  return sum;
}

static inline double dbl(napi_env env, napi_value v) {
  double x = NAN;
  napi_get_value_double(env, v, &x);
  return x;
}

static inline int bool_arg(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

// A float32 range of n elements at byte offset off must be aligned and inside the heap.
static inline float *floats(const heap_t *h, int64_t off, int64_t n) {
  if (off < 0 || n < 0 || (off & 3) != 0) return NULL;
  if ((uint64_t)n > h->bytes / 4u || (uint64_t)off > h->bytes - (uint64_t)n * 4u) return NULL;
  return (float *)(h->base + off);
}

// Two ranges of n floats share no element (the update loops declare their operands restrict).
static inline int disjoint(const float *a, const float *b, int64_t n) {
  return n == 0 || a + n <= b || b + n <= a;
}

// Ranges of na and nb floats share no element.
static inline int apart(const float *a, int64_t na, const float *b, int64_t nb) {
  return na == 0 || nb == 0 || a + na <= b || b + nb <= a;
}

// Elementwise functions written to vectorise (glibc's tanhf is scalar, ~22 ns/element, as slow as
// wasm's). Cephes-style polynomials, within about 2 ulp of the correctly rounded result; NaN and
// infinities come out as libm's do.

static inline float exp_f(float x) {
  x = x > 89.0f ? 89.0f : x;
  x = x < -104.0f ? -104.0f : x;
  // Round to nearest by adding and removing 1.5 * 2^23: unlike floorf, this vectorises everywhere.
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n in two factors, so that results in the subnormal range come out right too.
  const int32_t ni = (int32_t)n, n1 = ni >> 1, n2 = ni - n1;
  union { int32_t i; float f; } s1 = {.i = (n1 + 127) << 23}, s2 = {.i = (n2 + 127) << 23};
  return p * s1.f * s2.f;
}

static inline float tanh_f(float x) {
  const float ax = __builtin_fabsf(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float big = 1.0f - 2.0f / (exp_f(ax + ax) + 1.0f);
  const float signed_big = x < 0 ? -big : big;
  return ax < 0.625f ? small : (x != x ? x : signed_big);
}

static inline float log_f(float x) {
  // x > 0 and finite here; the caller handles the rest.
  union { float f; int32_t i; } u = {.f = x};
  int32_t e = ((u.i >> 23) & 0xff) - 126;
  u.i = (u.i & 0x807fffff) | 0x3f000000; // mantissa in [0.5, 1)
  float m = u.f;
  const int lo = m < 0.707106781186547524f;
  e -= lo;
  const float m2 = m + m; // both arms computed: a conditional FP op blocks vectorisation
  m = (lo ? m2 : m) - 1.0f;
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  const float ef = (float)e;
  y += -2.12194440e-4f * ef;
  y += -0.5f * z;
  return m + y + 0.693359375f * ef;
}

static inline float log1p_f(float x) {
  const float u = 1.0f + x;
  // Goldberg's correction: log(u) * x / (u - 1) is exact to rounding even when 1 + x rounds.
  const float d = u - 1.0f;
  const float safe_u = (u > 0.0f && u < __builtin_inff() && u >= 1.17549435e-38f) ? u : 1.0f;
  const float l = log_f(safe_u);
  const float r = d == 0.0f ? x : l * (x / d);
  if (u > 0.0f && u < __builtin_inff() && u >= 1.17549435e-38f) return r;
  return u == 0.0f ? -__builtin_inff() : (u == __builtin_inff() ? u : (u > 0.0f ? r : __builtin_nanf("")));
}

#endif
