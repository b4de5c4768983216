// parallel.c: the add-on's deterministic thread pool for one run's large GEMMs and updates.
#ifndef VAE_LAB_PARALLEL_H
#define VAE_LAB_PARALLEL_H
#include <stdint.h>

/** Parts a parallel call is cut into (1 = everything on the caller's thread). */
int parallel_threads(void);
/** Sets it (creating helper threads as needed); returns the count now in effect. */
int parallel_set_threads(int n);
/** Called on columns [n0, n0 + n) of C right after they are computed (NULL for none). */
typedef void (*epilogue_fn)(void *ctx, int n0, int n);
/** Row-major C = op(A) op(B) (alpha 1, beta 0), in column panels of C when it is large. */
void parallel_sgemm(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
                    int ldc, epilogue_fn epilogue, void *ctx);

/** Whether GEMMs may use the threads: column panels are bit-equal to the whole GEMM here (checked once). */
int parallel_gemm_exact(void);

typedef void (*range_fn)(void *arg, int64_t lo, int64_t hi);
/** fn(arg, lo, hi) over [0, n) in ranges of whole 16-element groups, one per thread. */
void parallel_range(range_fn fn, void *arg, int64_t n);
#endif
