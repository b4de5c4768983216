// Batch assembly for pixels.ts: gathering grey image rows (bytes) into a float batch. V8 runs the
// per-pixel table lookup at about 1.5 ns per pixel (bounds checks on three arrays); this loop
// converts 16 pixels per instruction. Works on ordinary typed arrays, not the wasm heap.
#include "addon.h"

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length) {
  bool is;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, length, data, &ab, &offset) != napi_ok) return 0;
  return type == want;
}

// x / 255 for every byte value (constant expressions, so no thread initialises it at run time).
#define G(i) (float)((i) / 255.0)
#define G4(i) G(i), G(i + 1), G(i + 2), G(i + 3)
#define G16(i) G4(i), G4(i + 4), G4(i + 8), G4(i + 12)
static const float lut[256] = {G16(0),   G16(16),  G16(32),  G16(48),  G16(64),  G16(80),  G16(96),  G16(112),
                               G16(128), G16(144), G16(160), G16(176), G16(192), G16(208), G16(224), G16(240)};

CLONES static void grey_row(const uint8_t *restrict src, float *restrict dst, int64_t n, const float *restrict table) {
  for (int64_t j = 0; j < n; j++) dst[j] = table[src[j]];
}

// greyRows(images: Uint8Array, indices: Uint32Array, start, rows, rowLength, out: Float32Array):
// out[r] = images[indices[start + r]] / 255 for r < rows, each value rounded to float32 from the
// double quotient, exactly as JavaScript stores x / 255 into a Float32Array.
static napi_value grey_rows(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!get_args(env, info, 6, argv)) return throw_error(env, "greyRows: expected 6 arguments");
  void *images, *indices, *out;
  size_t nImages, nIndices, nOut;
  if (!typed(env, argv[0], napi_uint8_array, &images, &nImages) ||
      !typed(env, argv[1], napi_uint32_array, &indices, &nIndices) ||
      !typed(env, argv[5], napi_float32_array, &out, &nOut))
    return throw_error(env, "greyRows: expected a Uint8Array, a Uint32Array and a Float32Array");
  int64_t start = num(env, argv[2]), rows = num(env, argv[3]), len = num(env, argv[4]);
  if (start < 0 || rows < 0 || len < 0 || (uint64_t)(start + rows) > nIndices ||
      (uint64_t)rows > (len ? nOut / (uint64_t)len : UINT64_MAX))
    return throw_error(env, "greyRows: rows outside the indices or the output");
  const uint32_t *idx = indices;
  for (int64_t r = 0; r < rows; r++) {
    const uint64_t row = idx[start + r];
    // Shuffled rows come from memory one by one: ask for the one after next while this converts.
    if (r + 2 < rows && len && idx[start + r + 2] < nImages / (uint64_t)len)
      for (int64_t b = 0; b < len; b += 64) __builtin_prefetch((const uint8_t *)images + idx[start + r + 2] * len + b);
    if (len && row >= nImages / (uint64_t)len) return throw_error(env, "greyRows: an index past the last image");
    grey_row((const uint8_t *)images + row * len, (float *)out + r * len, len, lut);
  }
  return NULL;
}

napi_status register_pixel_kernels(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"greyRows", NULL, grey_rows, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
