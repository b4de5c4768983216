// Fused kernels for the VAE's hot paths (issue 14): a dense layer with its bias and activation in
// the GEMM's output pass, and the Bernoulli reconstruction term, the Gaussian KL term and the
// reparameterisation each in one pass, forward and backward. Each replaces 4-20 tfjs kernels
// (and as many tensors and tape entries) with one call. The maths matches the stock ops'
// formulas term by term; the JS side (fusedKernels.ts) is tested against them.
#include "addon.h"
#include "parallel.h"

enum { ACT_LINEAR = 0, ACT_TANH = 1 };

static int act_arg(int64_t act) { return act == ACT_LINEAR || act == ACT_TANH; }

// y[i, :n] = act(y[i, :n] + b) for rows of stride ld: the epilogue, run on each panel of the GEMM's
// output while it is still in cache.
CLONES static void bias_act_rows(float *restrict y, const float *restrict b, int64_t rows, int64_t n,
                                 int64_t ld, int act) {
  for (int64_t i = 0; i < rows; i++) {
    float *restrict r = y + i * ld;
    if (act == ACT_TANH) {
      for (int64_t j = 0; j < n; j++) r[j] = tanh_f(r[j] + b[j]);
    } else {
      for (int64_t j = 0; j < n; j++) r[j] = r[j] + b[j];
    }
  }
}

typedef struct {
  float *y;
  const float *b;
  int64_t M, N;
  int act;
} dense_epilogue;

static void bias_act(void *p, int n0, int n) {
  const dense_epilogue *e = p;
  bias_act_rows(e->y + n0, e->b + n0, e->M, n, e->N, e->act);
}

// dense(heap, M, N, K, xOff, wOff, bOff, yOff, act): y = act(x w + b), x [M, K], w [K, N], b [N],
// y [M, N], row-major; act 0 = linear, 1 = tanh.
static napi_value dense(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 9, argv)) return throw_error(env, "dense: expected 9 arguments");
  if (!get_heap(env, argv[0], &h)) return throw_error(env, "dense: heap must be an ArrayBuffer or Uint8Array");
  int64_t M = num(env, argv[1]), N = num(env, argv[2]), K = num(env, argv[3]), act = num(env, argv[8]);
  if (M < 0 || N < 0 || K < 0 || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX)
    return throw_error(env, "dense: dimensions must be whole numbers from 0 to 2^31-1");
  if (!act_arg(act)) return throw_error(env, "dense: unknown activation");
  float *x = floats(&h, num(env, argv[4]), M * K), *w = floats(&h, num(env, argv[5]), K * N);
  float *b = floats(&h, num(env, argv[6]), N), *y = floats(&h, num(env, argv[7]), M * N);
  if (!x || !w || !b || !y) return throw_error(env, "dense: operand outside the wasm heap");
  if (!apart(y, M * N, x, M * K) || !apart(y, M * N, w, K * N) || !apart(y, M * N, b, N))
    return throw_error(env, "dense: output overlaps an input");
  if (M == 0 || N == 0) return NULL;
  dense_epilogue e = {y, b, M, N, (int)act};
  if (K == 0) {
    memset(y, 0, (size_t)(M * N) * 4);
    bias_act(&e, 0, (int)N);
  } else {
    parallel_sgemm(0, 0, (int)M, (int)N, (int)K, x, (int)K, w, (int)N, y, (int)N, bias_act, &e);
  }
  return NULL;
}

// db[j] = sum_i d[i, j], row by row in float as the stock Sum reduces (same order, same result).
CLONES static void column_sums(const float *restrict d, float *restrict db, int64_t M, int64_t N) {
  for (int64_t j = 0; j < N; j++) db[j] = 0.0f;
  for (int64_t i = 0; i < M; i++) {
    const float *restrict r = d + i * N;
    for (int64_t j = 0; j < N; j++) db[j] += r[j];
  }
}

// dpre = (1 - y^2) dy, the tanh gradient in tfjs's form, and its column sums in the same pass.
CLONES static void tanh_bias_grad(const float *restrict dy, const float *restrict y, float *restrict dpre,
                                  float *restrict db, int64_t M, int64_t N) {
  for (int64_t j = 0; j < N; j++) db[j] = 0.0f;
  for (int64_t i = 0; i < M; i++) {
    const float *restrict dr = dy + i * N, *restrict yr = y + i * N;
    float *restrict pr = dpre + i * N;
    for (int64_t j = 0; j < N; j++) {
      const float d = (1.0f - yr[j] * yr[j]) * dr[j];
      pr[j] = d;
      db[j] += d;
    }
  }
}

// denseGrad(heap, act, M, N, dyOff, yOff, dpreOff, dbOff): the gradient through act and the bias.
// tanh: dpre = (1 - y^2) dy and db = sum_rows dpre. linear: db = sum_rows dy; y and dpre are unused
// (dpre is dy itself). The weight and input gradients are two sgemm calls on dpre.
static napi_value dense_grad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 8, argv)) return throw_error(env, "denseGrad: expected 8 arguments");
  if (!get_heap(env, argv[0], &h)) return throw_error(env, "denseGrad: heap must be an ArrayBuffer or Uint8Array");
  int64_t act = num(env, argv[1]), M = num(env, argv[2]), N = num(env, argv[3]);
  if (!act_arg(act)) return throw_error(env, "denseGrad: unknown activation");
  if (M < 0 || N < 0 || M > INT32_MAX || N > INT32_MAX)
    return throw_error(env, "denseGrad: dimensions must be whole numbers from 0 to 2^31-1");
  float *dy = floats(&h, num(env, argv[4]), M * N), *db = floats(&h, num(env, argv[7]), N);
  if (!dy || !db) return throw_error(env, "denseGrad: operand outside the wasm heap");
  if (act == ACT_LINEAR) {
    if (!apart(db, N, dy, M * N)) return throw_error(env, "denseGrad: output overlaps an input");
    column_sums(dy, db, M, N);
    return NULL;
  }
  float *y = floats(&h, num(env, argv[5]), M * N), *dpre = floats(&h, num(env, argv[6]), M * N);
  if (!y || !dpre) return throw_error(env, "denseGrad: operand outside the wasm heap");
  if (!disjoint(dpre, dy, M * N) || !disjoint(dpre, y, M * N) || !apart(db, N, dy, M * N) ||
      !apart(db, N, y, M * N) || !apart(db, N, dpre, M * N))
    return throw_error(env, "denseGrad: output overlaps an input");
  tanh_bias_grad(dy, y, dpre, db, M, N);
  return NULL;
}

// The Bernoulli term per pixel in its stable form, max(l, 0) - l x + log(1 + exp(-|l|)).
// log1p(e) for e = exp(-|l|) in (0, 1]: log(u) for u = 1 + e, plus the rounding error of u over u,
// e - (u - 1) = c with |c| <= 2^-24 u. 1/u is taken as 1.5 - u/2 (within 9% on [1, 2], so within
// 6e-9 of c/u): no division, which made this loop 2x slower than the exp and log inside it.
static inline float bce_f(float l, float x) {
  const float e = exp_f(-__builtin_fabsf(l));
  const float u = 1.0f + e;
  const float lp = log_f(u) + (e - (u - 1.0f)) * (1.5f - 0.5f * u);
  return ((l > 0.0f ? l : 0.0f) - l * x) + lp;
}

#define CHUNK 256

// out[i] = sum_j bce(l[i, j], x[i, j]). Terms are computed a chunk at a time (vectorised), then
// summed in 16 lanes: a different order from a sequential sum, within float rounding of it.
CLONES static void bernoulli_rows(const float *restrict l, const float *restrict x, float *restrict out,
                                  int64_t M, int64_t N) {
  float t[CHUNK];
  for (int64_t i = 0; i < M; i++) {
    const float *restrict lr = l + i * N, *restrict xr = x + i * N;
    float lane[16] = {0};
    for (int64_t j0 = 0; j0 < N; j0 += CHUNK) {
      const int64_t n = N - j0 < CHUNK ? N - j0 : CHUNK;
      // 4 kB ahead: with the reduction in the loop, the hardware prefetcher alone left rows
      // from memory (IWAE's 4,000 x 784 logits) 20% slower than rows in cache.
      for (int64_t j = 0; j < n; j += 16) {
        __builtin_prefetch(lr + j0 + j + 1024);
        __builtin_prefetch(xr + j0 + j + 1024);
      }
      for (int64_t j = 0; j < n; j++) t[j] = bce_f(lr[j0 + j], xr[j0 + j]);
      int64_t j = 0;
      for (; j + 16 <= n; j += 16)
        for (int k = 0; k < 16; k++) lane[k] += t[j + k];
      for (; j < n; j++) lane[j & 15] += t[j];
    }
    float s = 0.0f;
    for (int k = 0; k < 16; k++) s += lane[k];
    out[i] = s;
  }
}

// d/dl of the term above: sigmoid(l) - x, times the row's upstream gradient.
CLONES static void bernoulli_grad_rows(const float *restrict l, const float *restrict x, const float *restrict dy,
                                       float *restrict dl, int64_t M, int64_t N) {
  for (int64_t i = 0; i < M; i++) {
    const float *restrict lr = l + i * N, *restrict xr = x + i * N;
    float *restrict gr = dl + i * N;
    const float g = dy[i];
    for (int64_t j = 0; j < N; j++) {
      const float e = exp_f(-__builtin_fabsf(lr[j]));
      const float r = 1.0f / (1.0f + e);
      const float sig = lr[j] >= 0.0f ? r : e * r;
      gr[j] = (sig - xr[j]) * g;
    }
  }
}

// bernoulli(heap, M, N, lOff, xOff, outOff): out [M] = -log p(x|z) per row, for logits l [M, N].
static napi_value bernoulli(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 6, argv)) return throw_error(env, "bernoulli: expected 6 arguments");
  if (!get_heap(env, argv[0], &h)) return throw_error(env, "bernoulli: heap must be an ArrayBuffer or Uint8Array");
  int64_t M = num(env, argv[1]), N = num(env, argv[2]), MN;
  if (M < 0 || N < 0 || __builtin_mul_overflow(M, N, &MN)) return throw_error(env, "bernoulli: bad dimensions");
  float *l = floats(&h, num(env, argv[3]), MN), *x = floats(&h, num(env, argv[4]), MN);
  float *out = floats(&h, num(env, argv[5]), M);
  if (!l || !x || !out) return throw_error(env, "bernoulli: operand outside the wasm heap");
  if (!apart(out, M, l, MN) || !apart(out, M, x, MN))
    return throw_error(env, "bernoulli: output overlaps an input");
  bernoulli_rows(l, x, out, M, N);
  return NULL;
}

// bernoulliGrad(heap, M, N, lOff, xOff, dyOff, dlOff): dl [M, N] = dy[i] (sigmoid(l) - x).
static napi_value bernoulli_grad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 7, argv)) return throw_error(env, "bernoulliGrad: expected 7 arguments");
  if (!get_heap(env, argv[0], &h))
    return throw_error(env, "bernoulliGrad: heap must be an ArrayBuffer or Uint8Array");
  int64_t M = num(env, argv[1]), N = num(env, argv[2]), MN;
  if (M < 0 || N < 0 || __builtin_mul_overflow(M, N, &MN)) return throw_error(env, "bernoulliGrad: bad dimensions");
  float *l = floats(&h, num(env, argv[3]), MN), *x = floats(&h, num(env, argv[4]), MN);
  float *dy = floats(&h, num(env, argv[5]), M), *dl = floats(&h, num(env, argv[6]), MN);
  if (!l || !x || !dy || !dl) return throw_error(env, "bernoulliGrad: operand outside the wasm heap");
  if (!disjoint(dl, l, MN) || !disjoint(dl, x, MN) || !apart(dl, MN, dy, M))
    return throw_error(env, "bernoulliGrad: output overlaps an input");
  bernoulli_grad_rows(l, x, dy, dl, M, N);
  return NULL;
}

// out[i] = -1/2 sum_j ((1 + lv) - mu^2 - exp(lv)), in the stock formula's order.
CLONES static void kl_rows(const float *restrict mu, const float *restrict lv, float *restrict out, int64_t M,
                           int64_t N) {
  for (int64_t i = 0; i < M; i++) {
    const float *restrict m = mu + i * N, *restrict v = lv + i * N;
    float s = 0.0f;
    for (int64_t j = 0; j < N; j++) s += ((v[j] + 1.0f) - m[j] * m[j]) - exp_f(v[j]);
    out[i] = s * -0.5f;
  }
}

// dmu = dy mu; dlv = dy (exp(lv) - 1) / 2.
CLONES static void kl_grad_rows(const float *restrict mu, const float *restrict lv, const float *restrict dy,
                                float *restrict dmu, float *restrict dlv, int64_t M, int64_t N) {
  for (int64_t i = 0; i < M; i++) {
    const float g = dy[i];
    for (int64_t j = 0; j < N; j++) {
      const int64_t k = i * N + j;
      dmu[k] = g * mu[k];
      dlv[k] = (exp_f(lv[k]) - 1.0f) * (0.5f * g);
    }
  }
}

// gaussianKl(heap, M, N, muOff, lvOff, outOff): KL(q(z|x) || N(0, I)) per row [M].
static napi_value gaussian_kl(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 6, argv)) return throw_error(env, "gaussianKl: expected 6 arguments");
  if (!get_heap(env, argv[0], &h)) return throw_error(env, "gaussianKl: heap must be an ArrayBuffer or Uint8Array");
  int64_t M = num(env, argv[1]), N = num(env, argv[2]), MN;
  if (M < 0 || N < 0 || __builtin_mul_overflow(M, N, &MN)) return throw_error(env, "gaussianKl: bad dimensions");
  float *mu = floats(&h, num(env, argv[3]), MN), *lv = floats(&h, num(env, argv[4]), MN);
  float *out = floats(&h, num(env, argv[5]), M);
  if (!mu || !lv || !out) return throw_error(env, "gaussianKl: operand outside the wasm heap");
  if (!apart(out, M, mu, MN) || !apart(out, M, lv, MN))
    return throw_error(env, "gaussianKl: output overlaps an input");
  kl_rows(mu, lv, out, M, N);
  return NULL;
}

// gaussianKlGrad(heap, M, N, muOff, lvOff, dyOff, dmuOff, dlvOff).
static napi_value gaussian_kl_grad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 8, argv)) return throw_error(env, "gaussianKlGrad: expected 8 arguments");
  if (!get_heap(env, argv[0], &h))
    return throw_error(env, "gaussianKlGrad: heap must be an ArrayBuffer or Uint8Array");
  int64_t M = num(env, argv[1]), N = num(env, argv[2]), MN;
  if (M < 0 || N < 0 || __builtin_mul_overflow(M, N, &MN)) return throw_error(env, "gaussianKlGrad: bad dimensions");
  float *mu = floats(&h, num(env, argv[3]), MN), *lv = floats(&h, num(env, argv[4]), MN);
  float *dy = floats(&h, num(env, argv[5]), M);
  float *dmu = floats(&h, num(env, argv[6]), MN), *dlv = floats(&h, num(env, argv[7]), MN);
  if (!mu || !lv || !dy || !dmu || !dlv) return throw_error(env, "gaussianKlGrad: operand outside the wasm heap");
  if (!disjoint(dmu, mu, MN) || !disjoint(dmu, lv, MN) || !apart(dmu, MN, dy, M) || !disjoint(dlv, mu, MN) ||
      !disjoint(dlv, lv, MN) || !apart(dlv, MN, dy, M) || !disjoint(dmu, dlv, MN))
    return throw_error(env, "gaussianKlGrad: output overlaps an input");
  kl_grad_rows(mu, lv, dy, dmu, dlv, M, N);
  return NULL;
}

// z = mu + exp(lv / 2) eps (stock order: exp(lv * 0.5), times eps, plus mu).
CLONES static void reparam_n(const float *restrict mu, const float *restrict lv, const float *restrict eps,
                             float *restrict z, int64_t n) {
  for (int64_t i = 0; i < n; i++) z[i] = mu[i] + exp_f(lv[i] * 0.5f) * eps[i];
}

// dlv = dz eps sigma / 2 and deps = dz sigma, sigma = exp(lv / 2); dmu is dz itself.
CLONES static void reparam_grad_n(const float *restrict lv, const float *restrict eps, const float *restrict dz,
                                  float *restrict dlv, float *restrict deps, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float sigma = exp_f(lv[i] * 0.5f);
    dlv[i] = ((dz[i] * eps[i]) * sigma) * 0.5f;
    deps[i] = dz[i] * sigma;
  }
}

// reparameterize(heap, n, muOff, lvOff, epsOff, zOff).
static napi_value reparameterize(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 6, argv)) return throw_error(env, "reparameterize: expected 6 arguments");
  if (!get_heap(env, argv[0], &h))
    return throw_error(env, "reparameterize: heap must be an ArrayBuffer or Uint8Array");
  int64_t n = num(env, argv[1]);
  float *mu = floats(&h, num(env, argv[2]), n), *lv = floats(&h, num(env, argv[3]), n);
  float *eps = floats(&h, num(env, argv[4]), n), *z = floats(&h, num(env, argv[5]), n);
  if (!mu || !lv || !eps || !z) return throw_error(env, "reparameterize: operand outside the wasm heap");
  if (!disjoint(z, mu, n) || !disjoint(z, lv, n) || !disjoint(z, eps, n))
    return throw_error(env, "reparameterize: output overlaps an input");
  reparam_n(mu, lv, eps, z, n);
  return NULL;
}

// reparameterizeGrad(heap, n, lvOff, epsOff, dzOff, dlvOff, depsOff).
static napi_value reparameterize_grad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  heap_t h;
  if (!get_args(env, info, 7, argv)) return throw_error(env, "reparameterizeGrad: expected 7 arguments");
  if (!get_heap(env, argv[0], &h))
    return throw_error(env, "reparameterizeGrad: heap must be an ArrayBuffer or Uint8Array");
  int64_t n = num(env, argv[1]);
  float *lv = floats(&h, num(env, argv[2]), n), *eps = floats(&h, num(env, argv[3]), n);
  float *dz = floats(&h, num(env, argv[4]), n);
  float *dlv = floats(&h, num(env, argv[5]), n), *deps = floats(&h, num(env, argv[6]), n);
  if (!lv || !eps || !dz || !dlv || !deps)
    return throw_error(env, "reparameterizeGrad: operand outside the wasm heap");
  if (!disjoint(dlv, lv, n) || !disjoint(dlv, eps, n) || !disjoint(dlv, dz, n) || !disjoint(deps, lv, n) ||
      !disjoint(deps, eps, n) || !disjoint(deps, dz, n) || !disjoint(dlv, deps, n))
    return throw_error(env, "reparameterizeGrad: output overlaps an input");
  reparam_grad_n(lv, eps, dz, dlv, deps, n);
  return NULL;
}

napi_status register_fused_kernels(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"dense", NULL, dense, NULL, NULL, NULL, napi_enumerable, NULL},
    {"denseGrad", NULL, dense_grad, NULL, NULL, NULL, napi_enumerable, NULL},
    {"bernoulli", NULL, bernoulli, NULL, NULL, NULL, napi_enumerable, NULL},
    {"bernoulliGrad", NULL, bernoulli_grad, NULL, NULL, NULL, napi_enumerable, NULL},
    {"gaussianKl", NULL, gaussian_kl, NULL, NULL, NULL, napi_enumerable, NULL},
    {"gaussianKlGrad", NULL, gaussian_kl_grad, NULL, NULL, NULL, napi_enumerable, NULL},
    {"reparameterize", NULL, reparameterize, NULL, NULL, NULL, napi_enumerable, NULL},
    {"reparameterizeGrad", NULL, reparameterize_grad, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
