// im2col and col2im for the conv VAE on the wasm-blas backend (src-main/core/backend/convKernels.ts):
// patch extraction and its adjoint, in place on NHWC float32 tensors inside the wasm heap. The
// convolutions' GEMMs go through the add-on's sgemm (tfjs's BatchMatMul kernel); these loops are
// the part tfjs's own ops did 10-50x slower (slices, pads and gathers copied element by element).
//
// The argument checks mirror blas_kernels.c's; they are repeated here (static) so the two files
// stay independent while both change.
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define CONV_ARGS 12

static napi_value conv_error(napi_env env, const char *msg) {
  napi_throw_error(env, "VAE_LAB_CONV", msg);
  return NULL;
}

static int conv_heap(napi_env env, napi_value v, uint8_t **base, size_t *bytes) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *base = data;
  *bytes = length;
  return 1;
}

// A whole number in [0, max], or -1 (rejected by every caller). Byte offsets reach 4 GB (the wasm
// heap's limit); geometry stays below 2^31, so products of four of them fit in 64 bits.
static int64_t conv_num(napi_env env, napi_value v, double max) {
  double x;
  if (napi_get_value_double(env, v, &x) != napi_ok) return -1;
  if (!isfinite(x) || x < 0 || x > max || floor(x) != x) return -1;
  return (int64_t)x;
}
#define GEOMETRY_MAX 2147483647.0
#define OFFSET_MAX 9007199254740991.0

// n floats at byte offset off, aligned and inside the heap; NULL otherwise.
static float *conv_floats(uint8_t *base, size_t bytes, int64_t off, int64_t n) {
  if (off < 0 || n < 0 || (off & 3) != 0) return NULL;
  if ((uint64_t)n > bytes / 4u || (uint64_t)off > bytes - (uint64_t)n * 4u) return NULL;
  return (float *)(base + off);
}

typedef struct {
  int64_t batch, height, width, channels, k, stride, pad, out_h, out_w;
} geometry_t;

// (heap, batch, height, width, channels, k, stride, pad, outHeight, outWidth, imageOff, colsOff)
static int read_call(napi_env env, napi_callback_info info, geometry_t *g, float **image, float **cols,
                     const char **why) {
  size_t argc = CONV_ARGS;
  napi_value argv[CONV_ARGS];
  uint8_t *base;
  size_t bytes;
  *why = "expected 12 arguments";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < CONV_ARGS) return 0;
  *why = "heap must be a Uint8Array";
  if (!conv_heap(env, argv[0], &base, &bytes)) return 0;
  int64_t *fields[] = {&g->batch, &g->height, &g->width, &g->channels, &g->k,
                       &g->stride, &g->pad, &g->out_h, &g->out_w};
  for (int i = 0; i < 9; i++) *fields[i] = conv_num(env, argv[1 + i], GEOMETRY_MAX);
  *why = "geometry must be whole numbers (kernel and stride at least 1)";
  for (int i = 0; i < 9; i++)
    if (*fields[i] < 0) return 0;
  if (g->k < 1 || g->stride < 1) return 0;
  int64_t image_n = g->batch * g->height * g->width * g->channels;
  int64_t cols_n = g->batch * g->out_h * g->out_w * g->k * g->k * g->channels;
  *image = conv_floats(base, bytes, conv_num(env, argv[10], OFFSET_MAX), image_n);
  *cols = conv_floats(base, bytes, conv_num(env, argv[11], OFFSET_MAX), cols_n);
  *why = "operand outside the wasm heap";
  if (!*image || !*cols) return 0;
  *why = "operands overlap";
  if (image_n > 0 && cols_n > 0 && *image < *cols + cols_n && *cols < *image + image_n) return 0;
  return 1;
}

// cols[(b, oh, ow), (i, j, c)] = image[b, oh*stride + i - pad, ow*stride + j - pad, c], 0 outside.
static napi_value im2col(napi_env env, napi_callback_info info) {
  geometry_t g;
  float *image, *cols;
  const char *why;
  if (!read_call(env, info, &g, &image, &cols, &why)) return conv_error(env, why);
  const int64_t C = g.channels, row = g.k * g.k * C;
  float *out = cols;
  for (int64_t b = 0; b < g.batch; b++)
    for (int64_t oh = 0; oh < g.out_h; oh++)
      for (int64_t ow = 0; ow < g.out_w; ow++, out += row)
        for (int64_t i = 0; i < g.k; i++) {
          const int64_t y = oh * g.stride + i - g.pad;
          float *dst = out + i * g.k * C;
          if (y < 0 || y >= g.height) {
            memset(dst, 0, sizeof(float) * (size_t)(g.k * C));
            continue;
          }
          const float *src_row = image + ((b * g.height + y) * g.width) * C;
          for (int64_t j = 0; j < g.k; j++, dst += C) {
            const int64_t x = ow * g.stride + j - g.pad;
            if (x < 0 || x >= g.width)
              memset(dst, 0, sizeof(float) * (size_t)C);
            else
              memcpy(dst, src_row + x * C, sizeof(float) * (size_t)C);
          }
        }
  return NULL;
}

// The adjoint: image = 0, then image[b, oh*stride + i - pad, ow*stride + j - pad, c] += cols[...].
static napi_value col2im(napi_env env, napi_callback_info info) {
  geometry_t g;
  float *image, *cols;
  const char *why;
  if (!read_call(env, info, &g, &image, &cols, &why)) return conv_error(env, why);
  const int64_t C = g.channels, row = g.k * g.k * C;
  memset(image, 0, sizeof(float) * (size_t)(g.batch * g.height * g.width * C));
  const float *in = cols;
  for (int64_t b = 0; b < g.batch; b++)
    for (int64_t oh = 0; oh < g.out_h; oh++)
      for (int64_t ow = 0; ow < g.out_w; ow++, in += row)
        for (int64_t i = 0; i < g.k; i++) {
          const int64_t y = oh * g.stride + i - g.pad;
          if (y < 0 || y >= g.height) continue;
          float *dst_row = image + ((b * g.height + y) * g.width) * C;
          const float *src = in + i * g.k * C;
          for (int64_t j = 0; j < g.k; j++, src += C) {
            const int64_t x = ow * g.stride + j - g.pad;
            if (x < 0 || x >= g.width) continue;
            float *dst = dst_row + x * C;
            for (int64_t c = 0; c < C; c++) dst[c] += src[c];
          }
        }
  return NULL;
}

// Called from the add-on's init (blas_kernels.c).
void vae_lab_define_conv_kernels(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"im2col", NULL, im2col, NULL, NULL, NULL, napi_enumerable, NULL},
    {"col2im", NULL, col2im, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
