// TensorFlow.js wasm-backend kernels on the system BLAS. The JS side passes the wasm heap (an
// ArrayBuffer or a view of it) and byte offsets from the backend's data map; every call checks that
// the ranges it touches lie inside the heap, so a wrong offset throws instead of corrupting memory.
#include <stdio.h>
#include "addon.h"
#include "parallel.h"

napi_status register_fused_kernels(napi_env env, napi_value exports); // fused_kernels.c
napi_status register_pixel_kernels(napi_env env, napi_value exports); // pixel_kernels.c

// Hyper-parameters are checked here as well as in the schema: a NaN learning rate or a power of 1
// (1 - beta^t = 0) would silently turn every weight into NaN or infinity (issue 12, finding 4).
static const char *check_adam(double lr, double b1, double b2, double eps, double p1, double p2) {
  if (!(isfinite(lr) && lr > 0)) return "adam: learning rate must be a positive, finite number";
  if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) return "adam: beta1 and beta2 must be in [0, 1)";
  if (!(isfinite(eps) && eps > 0)) return "adam: epsilon must be a positive, finite number";
  if (!(p1 >= 0 && p1 < 1) || !(p2 >= 0 && p2 < 1)) return "adam: beta powers must be in [0, 1)";
  return NULL;
}

// sgemm(heap, transA, transB, M, N, K, batch, aOff, aStride, bOff, bStride, cOff):
// C[i] = op(A[i]) op(B[i]) for i < batch, row-major. Offsets in bytes, batch strides in floats
// (0 broadcasts one matrix over the batch); C is packed.
static napi_value sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 12, argv)) return throw_error(env, "sgemm: expected 12 arguments");
  if (!get_heap(env, argv[0], &h)) return throw_error(env, "sgemm: heap must be an ArrayBuffer or Uint8Array");
  int ta = bool_arg(env, argv[1]), tb = bool_arg(env, argv[2]);
  int64_t M = num(env, argv[3]), N = num(env, argv[4]), K = num(env, argv[5]), batch = num(env, argv[6]);
  int64_t aOff = num(env, argv[7]), aStride = num(env, argv[8]);
  int64_t bOff = num(env, argv[9]), bStride = num(env, argv[10]), cOff = num(env, argv[11]);
  if (M < 0 || N < 0 || K < 0 || batch < 0 || aStride < 0 || bStride < 0 || M > INT32_MAX ||
      N > INT32_MAX || K > INT32_MAX || batch > INT32_MAX)
    return throw_error(env, "sgemm: dimensions must be whole numbers from 0 to 2^31-1");
  // M, N, K < 2^31, so each single product fits in int64; batch products are checked.
  int64_t mn, cCount;
  if (__builtin_mul_overflow(M, N, &mn) || __builtin_mul_overflow(batch, mn, &cCount))
    return throw_error(env, "sgemm: output size overflows");
  int64_t aCount = span(batch, aStride, M * K), bCount = span(batch, bStride, K * N);
  if (aCount < 0 || bCount < 0) return throw_error(env, "sgemm: operand size overflows");
  float *A = floats(&h, aOff, aCount);
  float *B = floats(&h, bOff, bCount);
  float *C = floats(&h, cOff, cCount);
  if (!A || !B || !C) return throw_error(env, "sgemm: operand outside the wasm heap");
  // BLAS reads A and B while it writes C: an output over an input is undefined behaviour.
  if (!apart(C, cCount, A, aCount) || !apart(C, cCount, B, bCount))
    return throw_error(env, "sgemm: the output overlaps an input");
  if (M == 0 || N == 0 || batch == 0) return NULL;
  if (K == 0) {
    memset(C, 0, (size_t)(batch * M * N) * 4);
    return NULL;
  }
  int lda = ta ? (int)M : (int)K, ldb = tb ? (int)K : (int)N;
  for (int64_t i = 0; i < batch; i++)
    parallel_sgemm(ta, tb, (int)M, (int)N, (int)K, A + i * aStride, lda, B + i * bStride, ldb, C + i * M * N, (int)N,
                   NULL, NULL);
  return NULL;
}

CLONES static void adam_n(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                          int64_t n, float lr, float b1, float b2, float eps, float c1, float c2, float omb1,
                          float omb2) {
  // (m / c1) / (sqrt(v / c2) + eps) * -lr with the constants folded: one division per element
  // instead of three. The loop was compute-bound (0.71 ms against 0.51 ms for the memory traffic
  // alone, per pass over the VAE's 826k weights); the result stays within a few ulp of tfjs's.
  const float s1 = -lr / c1, s2 = 1.0f / sqrtf(c2);
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * omb1;
    const float vi = v[i] * b2 + gi * gi * omb2;
    m[i] = mi;
    v[i] = vi;
    w[i] += mi * s1 / (sqrtf(vi) * s2 + eps);
  }
}

CLONES static void adagrad_n(float *restrict w, const float *restrict g, float *restrict acc, int64_t n, float lr,
                             float eps) {
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float a = acc[i] + gi * gi;
    acc[i] = a;
    w[i] += gi / sqrtf(a + eps) * -lr;
  }
}

typedef struct {
  float *w;
  const float *g;
  float *m, *v;
  float lr, b1, b2, eps, c1, c2, omb1, omb2;
} adam_job;

static void adam_range(void *p, int64_t lo, int64_t hi) {
  const adam_job *j = p;
  adam_n(j->w + lo, j->g + lo, j->m + lo, j->v + lo, hi - lo, j->lr, j->b1, j->b2, j->eps, j->c1, j->c2, j->omb1,
         j->omb2);
}

// adam(heap, n, wOff, gOff, mOff, vOff, lr, beta1, beta2, eps, beta1Power, beta2Power): one
// in-place step with tfjs's formula, w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
static napi_value adam(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 12, argv)) return throw_error(env, "adam: expected 12 arguments");
  if (!get_heap(env, argv[0], &h)) return throw_error(env, "adam: heap must be an ArrayBuffer or Uint8Array");
  int64_t n = num(env, argv[1]);
  float *w = floats(&h, num(env, argv[2]), n), *g = floats(&h, num(env, argv[3]), n);
  float *m = floats(&h, num(env, argv[4]), n), *v = floats(&h, num(env, argv[5]), n);
  if (!w || !g || !m || !v) return throw_error(env, "adam: operand outside the wasm heap");
  if (!disjoint(w, g, n) || !disjoint(w, m, n) || !disjoint(w, v, n) || !disjoint(g, m, n) || !disjoint(g, v, n) ||
      !disjoint(m, v, n))
    return throw_error(env, "adam: operands overlap");
  const char *bad = check_adam(dbl(env, argv[6]), dbl(env, argv[7]), dbl(env, argv[8]), dbl(env, argv[9]),
                               dbl(env, argv[10]), dbl(env, argv[11]));
  if (bad) return throw_error(env, bad);
  const float lr = (float)dbl(env, argv[6]), b1 = (float)dbl(env, argv[7]), b2 = (float)dbl(env, argv[8]);
  const float eps = (float)dbl(env, argv[9]);
  const float c1 = 1.0f - (float)dbl(env, argv[10]), c2 = 1.0f - (float)dbl(env, argv[11]);
  const float omb1 = (float)(1.0 - dbl(env, argv[7])), omb2 = (float)(1.0 - dbl(env, argv[8]));
  adam_job j = {w, g, m, v, lr, b1, b2, eps, c1, c2, omb1, omb2};
  parallel_range(adam_range, &j, n);
  return NULL;
}

typedef struct {
  float *w;
  const float *g;
  float *acc;
  float lr, eps;
} adagrad_job;

static void adagrad_range(void *p, int64_t lo, int64_t hi) {
  const adagrad_job *j = p;
  adagrad_n(j->w + lo, j->g + lo, j->acc + lo, hi - lo, j->lr, j->eps);
}

// adagrad(heap, n, wOff, gOff, accOff, lr, eps): acc += g^2; w -= lr * g / sqrt(acc + eps).
static napi_value adagrad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 7, argv)) return throw_error(env, "adagrad: expected 7 arguments");
  if (!get_heap(env, argv[0], &h)) return throw_error(env, "adagrad: heap must be an ArrayBuffer or Uint8Array");
  int64_t n = num(env, argv[1]);
  float *w = floats(&h, num(env, argv[2]), n), *g = floats(&h, num(env, argv[3]), n);
  float *acc = floats(&h, num(env, argv[4]), n);
  if (!w || !g || !acc) return throw_error(env, "adagrad: operand outside the wasm heap");
  if (!disjoint(w, g, n) || !disjoint(w, acc, n) || !disjoint(g, acc, n)) return throw_error(env, "adagrad: operands overlap");
  const double lr_d = dbl(env, argv[5]), eps_d = dbl(env, argv[6]);
  if (!(isfinite(lr_d) && lr_d > 0)) return throw_error(env, "adagrad: learning rate must be a positive, finite number");
  if (!(isfinite(eps_d) && eps_d > 0)) return throw_error(env, "adagrad: epsilon must be a positive, finite number");
  const float lr = (float)lr_d, eps = (float)eps_d;
  adagrad_job j = {w, g, acc, lr, eps};
  parallel_range(adagrad_range, &j, n);
  return NULL;
}

CLONES static void tanh_n(float *restrict y, const float *restrict x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = tanh_f(x[i]);
}
CLONES static void exp_n(float *restrict y, const float *restrict x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = exp_f(x[i]);
}
CLONES static void log1p_n(float *restrict y, const float *restrict x, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float u = 1.0f + x[i];
    const float d = u - 1.0f;
    const int ok = (u >= 1.17549435e-38f) & (u < __builtin_inff());
    const float l = log_f(ok ? u : 1.0f);
    // The division runs unconditionally (a conditional one would block vectorisation).
    const float q = x[i] / (d == 0.0f ? 1.0f : d);
    const float lq = l * q;
    y[i] = d == 0.0f ? x[i] : lq;
  }
  // Rare inputs (x <= -1 + 2^-126, +inf, NaN) take the slow exact path.
  for (int64_t i = 0; i < n; i++) {
    const float u = 1.0f + x[i];
    if (!(u >= 1.17549435e-38f && u < __builtin_inff())) y[i] = log1p_f(x[i]);
  }
}

enum { OP_TANH = 0, OP_EXP = 1, OP_LOG1P = 2 };

// unary(heap, op, n, xOff, yOff) into a separate output range.
static napi_value unary(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 5, argv)) return throw_error(env, "unary: expected 5 arguments");
  if (!get_heap(env, argv[0], &h)) return throw_error(env, "unary: heap must be an ArrayBuffer or Uint8Array");
  int64_t op = num(env, argv[1]), n = num(env, argv[2]);
  float *x = floats(&h, num(env, argv[3]), n), *y = floats(&h, num(env, argv[4]), n);
  if (!x || !y) return throw_error(env, "unary: operand outside the wasm heap");
  if (n > 0 && x < y + n && y < x + n) return throw_error(env, "unary: operands overlap");
  switch (op) {
    case OP_TANH: tanh_n(y, x, n); break;
    case OP_EXP: exp_n(y, x, n); break;
    case OP_LOG1P: log1p_n(y, x, n); break;
    default: return throw_error(env, "unary: unknown op");
  }
  return NULL;
}

// Binary elementwise ops on [M, N] with the broadcasts training and evaluation use. Each operand
// is a full [M, N] array, a row vector [N] (broadcast down the rows), a column [M] (broadcast
// along each row) or a scalar. The stock wasm kernels take any broadcast through per-element
// index arithmetic, about 300 ns per element; these are plain IEEE loops, bit-equal to them.
enum { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2, BIN_DIV = 3 };
enum { ARG_FULL = 0, ARG_ROW = 1, ARG_COL = 2, ARG_SCALAR = 3 };

#define BINARY_LOOP(NAME, EXPR)                                                                      \
  CLONES static void NAME(const float *restrict a, int64_t sa, const float *restrict b, int64_t sb,   \
                          float *restrict out, int64_t n) {                                          \
    if (sa && sb)                                                                                   \
      for (int64_t j = 0; j < n; j++) out[j] = EXPR(a[j], b[j]);                                    \
    else if (sa)                                                                                    \
      for (int64_t j = 0; j < n; j++) out[j] = EXPR(a[j], b[0]);                                    \
    else if (sb)                                                                                    \
      for (int64_t j = 0; j < n; j++) out[j] = EXPR(a[0], b[j]);                                    \
    else                                                                                            \
      for (int64_t j = 0; j < n; j++) out[j] = EXPR(a[0], b[0]);                                    \
  }
#define ADD_(x, y) ((x) + (y))
#define SUB_(x, y) ((x) - (y))
#define MUL_(x, y) ((x) * (y))
#define DIV_(x, y) ((x) / (y))
BINARY_LOOP(add_row, ADD_)
BINARY_LOOP(sub_row, SUB_)
BINARY_LOOP(mul_row, MUL_)
BINARY_LOOP(div_row, DIV_)

// Floats an operand of this kind spans, and where row i of it starts and whether it steps along j.
static int64_t kind_len(int64_t kind, int64_t M, int64_t N) {
  return kind == ARG_FULL ? M * N : kind == ARG_ROW ? N : kind == ARG_COL ? M : 1;
}
static int64_t kind_row(int64_t kind, int64_t i, int64_t N) {
  return kind == ARG_FULL ? i * N : kind == ARG_COL ? i : 0;
}

// binary(heap, op, M, N, aOff, aKind, bOff, bKind, outOff): out [M, N] = a op b.
static napi_value binary(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 9, argv)) return throw_error(env, "binary: expected 9 arguments");
  if (!get_heap(env, argv[0], &h)) return throw_error(env, "binary: heap must be an ArrayBuffer or Uint8Array");
  int64_t op = num(env, argv[1]), M = num(env, argv[2]), N = num(env, argv[3]), MN;
  int64_t ak = num(env, argv[5]), bk = num(env, argv[7]);
  if (M < 0 || N < 0 || __builtin_mul_overflow(M, N, &MN)) return throw_error(env, "binary: bad dimensions");
  if (op < BIN_ADD || op > BIN_DIV || ak < ARG_FULL || ak > ARG_SCALAR || bk < ARG_FULL || bk > ARG_SCALAR)
    return throw_error(env, "binary: unknown op or operand kind");
  const int64_t al = kind_len(ak, M, N), bl = kind_len(bk, M, N);
  float *a = floats(&h, num(env, argv[4]), al), *b = floats(&h, num(env, argv[6]), bl);
  float *out = floats(&h, num(env, argv[8]), MN);
  if (!a || !b || !out) return throw_error(env, "binary: operand outside the wasm heap");
  if (!apart(out, MN, a, al) || !apart(out, MN, b, bl)) return throw_error(env, "binary: output overlaps an input");
  if (MN == 0) return NULL;
  void (*row)(const float *, int64_t, const float *, int64_t, float *, int64_t) =
    op == BIN_ADD ? add_row : op == BIN_SUB ? sub_row : op == BIN_MUL ? mul_row : div_row;
  const int64_t sa = ak == ARG_FULL || ak == ARG_ROW, sb = bk == ARG_FULL || bk == ARG_ROW;
  if (ak != ARG_ROW && ak != ARG_COL && bk != ARG_ROW && bk != ARG_COL) {
    row(a, sa, b, sb, out, MN); // no row structure: one pass over all M * N
    return NULL;
  }
  for (int64_t i = 0; i < M; i++)
    row(a + kind_row(ak, i, N), sa, b + kind_row(bk, i, N), sb, out + i * N, N);
  return NULL;
}

// setThreads(n) -> the threads large GEMMs and Adam/Adagrad now use (parallel.c: panels, so the
// results do not depend on it). OpenBLAS itself stays on one thread per call, whose results do.
static napi_value set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], out;
  if (!get_args(env, info, 1, argv)) return throw_error(env, "setThreads: expected 1 argument");
  int64_t n = num(env, argv[0]);
  if (n < 1 || n > 1024) return throw_error(env, "setThreads: expected an integer from 1 to 1024");
#ifndef __APPLE__
  if (openblas_set_num_threads) openblas_set_num_threads(1);
#endif
  napi_create_int32(env, parallel_set_threads((int)n), &out);
  return out;
}

static napi_value blas_info(napi_env env, napi_callback_info info) {
  napi_value out;
  const char *name = BLAS_NAME;
#ifndef __APPLE__
  if (openblas_get_config) name = openblas_get_config();
#endif
  (void)info;
  char text[512];
  // So that `backends` and a run's backend detail tell why extra threads help only the optimiser.
  snprintf(text, sizeof text, "%s%s", name,
           parallel_gemm_exact() ? "" : "; GEMMs on one thread (column panels round differently here)");
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out);
  return out;
}

void vae_lab_define_conv_kernels(napi_env env, napi_value exports); // conv_kernels.c

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
    {"adam", NULL, adam, NULL, NULL, NULL, napi_enumerable, NULL},
    {"adagrad", NULL, adagrad, NULL, NULL, NULL, napi_enumerable, NULL},
    {"unary", NULL, unary, NULL, NULL, NULL, napi_enumerable, NULL},
    {"binary", NULL, binary, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"info", NULL, blas_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok ||
      register_fused_kernels(env, exports) != napi_ok || register_pixel_kernels(env, exports) != napi_ok)
    return NULL;
  vae_lab_define_conv_kernels(env, exports);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
