// Native im2col / col2im for the conv VAE on wasm-blas (native/blas/src/conv_kernels.c). They run
// in place on the tensors' memory in the wasm heap, as the add-on's sgemm does; tfjs's own slices,
// pads and gathers (conv.ts's stockIm2Col) copy element by element there and made a conv training
// step about 25x slower than the GEMMs alone.
import * as tf from '@tensorflow/tfjs-core'
import type { Im2Col, PatchGeometry } from '../model/conv'
import { heapOffset, type BlasAddon, type WasmBackendInternals } from './blasKernels'

/** The add-on's patch kernels (absent from builds older than the conv VAE). */
interface ConvAddon {
  im2col(heap: Uint8Array, ...geometryAndOffsets: number[]): void
  col2im(heap: Uint8Array, ...geometryAndOffsets: number[]): void
}

const IM2COL = 'VaeLabIm2Col'
const COL2IM = 'VaeLabCol2Im'

const geometryArgs = (g: PatchGeometry) => [
  g.batch,
  g.height,
  g.width,
  g.channels,
  g.k,
  g.stride,
  g.pad,
  g.outHeight,
  g.outWidth
]

function register(addon: ConvAddon): void {
  if (tf.getKernel(IM2COL, 'wasm')) return
  const kernel =
    (which: 'im2col' | 'col2im'): tf.KernelFunc =>
    (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo }
      const g = args.attrs as unknown as PatchGeometry
      const backend = args.backend as unknown as WasmBackendInternals
      const outShape =
        which === 'im2col'
          ? [g.batch * g.outHeight * g.outWidth, g.k * g.k * g.channels]
          : [g.batch, g.height, g.width, g.channels]
      const out = backend.makeOutput(outShape, 'float32')
      // Offsets and the heap are read after makeOutput, whose malloc may grow (replace) the heap.
      const [image, cols] = which === 'im2col' ? [x, out] : [out, x]
      addon[which](
        backend.wasm.HEAPU8,
        ...geometryArgs(g),
        heapOffset(backend, image),
        heapOffset(backend, cols)
      )
      return out
    }
  tf.registerKernel({ kernelName: IM2COL, backendName: 'wasm', kernelFunc: kernel('im2col') })
  tf.registerKernel({ kernelName: COL2IM, backendName: 'wasm', kernelFunc: kernel('col2im') })
}

const run = (name: string, x: tf.Tensor, g: PatchGeometry) =>
  tf.engine().runKernel(name, { x }, g as unknown as tf.NamedAttrMap) as tf.Tensor

/**
 * The add-on's patch kernels when it has them (wasm-blas), each the other's gradient; null means
 * conv.ts's stock version.
 */
export function nativeIm2Col(blas: BlasAddon | null): Im2Col | null {
  const addon = blas as unknown as Partial<ConvAddon> | null
  if (typeof addon?.im2col !== 'function' || typeof addon.col2im !== 'function') return null
  if (tf.getBackend() !== 'wasm') return null
  register(addon as ConvAddon)
  return {
    im2col: (x, g) =>
      tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
        value: run(IM2COL, args[0] as tf.Tensor, g),
        gradFunc: (dy: tf.Tensor) => [run(COL2IM, dy, g)]
      }))(x) as tf.Tensor2D,
    col2im: (cols, g) =>
      tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
        value: run(COL2IM, args[0] as tf.Tensor, g),
        gradFunc: (dy: tf.Tensor) => [run(IM2COL, dy, g)]
      }))(cols) as tf.Tensor4D
  }
}
