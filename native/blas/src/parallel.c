// Deterministic multi-core GEMM and optimiser updates for one training run on idle cores (issue 14).
// OpenBLAS's own threads change sgemm's results with the thread count (it splits the work
// differently), so a run's numbers would depend on the machine's load. Here OpenBLAS always runs
// one thread per call, and a large GEMM is cut into column panels of C, one per thread: each
// element is still computed by the same single-threaded kernel over the same K order, so the result
// is bit-equal whatever the thread count (tests check it). Elementwise updates split into ranges.
#include <pthread.h>
#include <stdlib.h>
#include "addon.h"
#include "parallel.h"

#define MAX_THREADS 64
// Below this many multiply-adds per panel, OpenBLAS may take its small-matrix path, whose rounding
// differs from the blocked one (seen at 100 x 20 x 500), and threads would not pay for themselves.
#define MIN_PANEL_MNK (4 << 20)
#define MIN_RANGE 65536

typedef void (*part_fn)(void *arg, int part, int parts);

static struct {
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  pthread_mutex_t busy; // one caller at a time; others compute inline (the same result)
  int threads;          // parts per parallel call, the caller included
  int started;          // helper threads created
  unsigned generation;
  part_fn fn;
  void *arg;
  int parts, pending;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_MUTEX_INITIALIZER, 1, 0, 0, NULL, NULL, 0, 0};

static void *helper(void *p) {
  const int part = (int)(intptr_t)p; // 1 .. MAX_THREADS - 1
  unsigned seen = 0;
  pthread_mutex_lock(&pool.mu);
  for (;;) {
    while (pool.generation == seen) pthread_cond_wait(&pool.work, &pool.mu);
    seen = pool.generation;
    if (part >= pool.parts) continue;
    part_fn fn = pool.fn;
    void *arg = pool.arg;
    const int parts = pool.parts;
    pthread_mutex_unlock(&pool.mu);
    fn(arg, part, parts);
    pthread_mutex_lock(&pool.mu);
    if (--pool.pending == 0) pthread_cond_signal(&pool.done);
  }
  return NULL;
}

int parallel_threads(void) {
  pthread_mutex_lock(&pool.mu);
  const int t = pool.threads;
  pthread_mutex_unlock(&pool.mu);
  return t;
}

int parallel_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pthread_mutex_lock(&pool.mu);
  while (pool.started < n - 1) {
    pthread_t tid;
    if (pthread_create(&tid, NULL, helper, (void *)(intptr_t)(pool.started + 1)) != 0) break;
    pthread_detach(tid);
    pool.started++;
  }
  pool.threads = pool.started + 1 < n ? pool.started + 1 : n;
  n = pool.threads;
  pthread_mutex_unlock(&pool.mu);
  if (n > 1) parallel_gemm_exact(); // here, not inside the first GEMM that would use the threads
  return n;
}

// Runs fn(arg, part, parts) for part < parts on the pool (part 0 on the caller); inline when the
// pool is in use by another caller or has one thread.
static void run_parts(part_fn fn, void *arg, int parts) {
  if (parts > 1 && pthread_mutex_trylock(&pool.busy) == 0) {
    pthread_mutex_lock(&pool.mu);
    // Helpers take parts 1 .. shared - 1; the caller part 0 and any beyond the pool's size.
    const int shared = parts < pool.threads ? parts : pool.threads;
    pool.fn = fn;
    pool.arg = arg;
    pool.parts = shared;
    pool.pending = shared - 1;
    pool.generation++;
    pthread_cond_broadcast(&pool.work);
    pthread_mutex_unlock(&pool.mu);
    fn(arg, 0, parts);
    for (int p = shared; p < parts; p++) fn(arg, p, parts);
    pthread_mutex_lock(&pool.mu);
    while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    pthread_mutex_unlock(&pool.busy);
    return;
  }
  for (int p = 0; p < parts; p++) fn(arg, p, parts);
}

typedef struct {
  int ta, tb, M, N, K, lda, ldb, ldc, width;
  const float *A, *B;
  float *C;
  epilogue_fn epilogue;
  void *ctx;
} gemm_job;

static void gemm_part(void *p, int part, int parts) {
  (void)parts;
  const gemm_job *j = p;
  const int n0 = part * j->width;
  const int n = j->N - n0 < j->width ? j->N - n0 : j->width;
  if (n <= 0) return;
  const float *B = j->tb ? j->B + (int64_t)n0 * j->ldb : j->B + n0;
  cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, j->M, n, j->K,
              1.0f, j->A, j->lda, B, j->ldb, 0.0f, j->C + n0, j->ldc);
  if (j->epilogue) j->epilogue(j->ctx, n0, n); // while the panel is still in this core's cache
}

static int panel_width(int N, int parts) { return ((N + parts - 1) / parts + 15) / 16 * 16; }

// Whether column panels give the whole GEMM's results bit for bit with this BLAS on this CPU.
// OpenBLAS 0.3.21's Zen (Haswell) kernels round a transposed-A GEMM differently in a panel than in
// the whole (AMD EPYC), where its SkylakeX kernels do not; so it is measured once, on the training
// step's shapes, each transpose and 2 and 3 panels, on first use (info(), or a second thread). Where it
// fails, GEMMs stay on one thread (the optimiser's ranges still split: they are exact anywhere).
static pthread_once_t panels_checked = PTHREAD_ONCE_INIT;
static int panels_exact = 0;

static void check_panels(void) {
  static const int shapes[][3] = {{100, 784, 500}, {784, 100, 500}, {500, 100, 784}, {300, 257, 333}};
  const int64_t most = 784 * 784;
  float *A = malloc(most * sizeof(float)), *B = malloc(most * sizeof(float));
  float *whole = malloc(most * sizeof(float)), *cut = malloc(most * sizeof(float));
  int exact = A && B && whole && cut;
  uint32_t x = 12345;
  for (int64_t i = 0; exact && i < most; i++) {
    x = x * 1664525u + 1013904223u;
    A[i] = (float)(x >> 8) / 16777216.0f - 0.5f;
    x = x * 1664525u + 1013904223u;
    B[i] = (float)(x >> 8) / 16777216.0f - 0.5f;
  }
  for (int s = 0; exact && s < 4; s++)
    for (int t = 0; exact && t < 4; t++) {
      const int M = shapes[s][0], K = shapes[s][1], N = shapes[s][2], ta = t & 1, tb = t >> 1;
      const int lda = ta ? M : K, ldb = tb ? K : N;
      const CBLAS_TRANSPOSE oa = ta ? CblasTrans : CblasNoTrans, ob = tb ? CblasTrans : CblasNoTrans;
      cblas_sgemm(CblasRowMajor, oa, ob, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, whole, N);
      for (int parts = 2; exact && parts <= 3; parts++) {
        const int width = panel_width(N, parts);
        for (int n0 = 0; n0 < N; n0 += width) {
          const int n = N - n0 < width ? N - n0 : width;
          cblas_sgemm(CblasRowMajor, oa, ob, M, n, K, 1.0f, A, lda, tb ? B + (int64_t)n0 * ldb : B + n0, ldb,
                      0.0f, cut + n0, N);
        }
        exact = memcmp(whole, cut, (size_t)M * N * sizeof(float)) == 0;
      }
    }
  free(A);
  free(B);
  free(whole);
  free(cut);
  panels_exact = exact;
}

int parallel_gemm_exact(void) {
  pthread_once(&panels_checked, check_panels);
  return panels_exact;
}

void parallel_sgemm(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
                    int ldc, epilogue_fn epilogue, void *ctx) {
  int parts = parallel_threads();
  if (parts > 1 && !parallel_gemm_exact()) parts = 1;
  // Panels of whole 16-column groups (the kernels' width), each large enough for the blocked path.
  while (parts > 1 && ((double)M * K * (N / parts) < MIN_PANEL_MNK || N / parts < 64)) parts--;
  if (parts <= 1) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda,
                B, ldb, 0.0f, C, ldc);
    if (epilogue) epilogue(ctx, 0, N);
    return;
  }
  gemm_job j = {ta, tb, M, N, K, lda, ldb, ldc, panel_width(N, parts), A, B, C, epilogue, ctx};
  run_parts(gemm_part, &j, parts);
}

typedef struct {
  range_fn fn;
  void *arg;
  int64_t n, width;
} range_job;

static void range_part(void *p, int part, int parts) {
  (void)parts;
  const range_job *j = p;
  const int64_t lo = part * j->width;
  const int64_t hi = lo + j->width < j->n ? lo + j->width : j->n;
  if (lo < hi) j->fn(j->arg, lo, hi);
}

void parallel_range(range_fn fn, void *arg, int64_t n) {
  int parts = parallel_threads();
  while (parts > 1 && n / parts < MIN_RANGE) parts--;
  if (parts <= 1) {
    fn(arg, 0, n);
    return;
  }
  range_job j = {fn, arg, n, ((n + parts - 1) / parts + 15) / 16 * 16};
  run_parts(range_part, &j, parts);
}
