// The tfjs wasm backend's memory as the native add-on sees it: tensors are byte ranges of one
// heap, found through the backend's data map (internals of tfjs-backend-wasm, checked at use).
import * as tf from '@tensorflow/tfjs-core'

/** The parts of tfjs-backend-wasm's BackendWasm this module relies on (not in its public types). */
export interface WasmBackendInternals {
  dataIdMap: {
    get(
      dataId: object
    ): { memoryOffset: number; refCount: number; shape?: number[]; dtype?: string } | undefined
  }
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
  refCount(dataId: object): number
  incRef(dataId: object): void
  wasm: { HEAPU8: Uint8Array }
}

/** The active backend, if it is wasm with the internals above (they are checked, not assumed). */
export function wasmInternals(): WasmBackendInternals {
  if (tf.getBackend() !== 'wasm')
    throw new Error(`the BLAS kernels need the wasm backend, not ${tf.getBackend()}`)
  const b = tf.backend() as unknown as Partial<WasmBackendInternals>
  if (
    typeof b.makeOutput !== 'function' ||
    typeof b.dataIdMap?.get !== 'function' ||
    !(b.wasm?.HEAPU8 instanceof Uint8Array)
  ) {
    throw new Error(
      'this version of @tensorflow/tfjs-backend-wasm has no dataIdMap/makeOutput/HEAPU8; the BLAS kernels cannot run on it'
    )
  }
  return b as WasmBackendInternals
}

/** Byte offset of a float32 tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackendInternals, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId)
  if (!data || data.memoryOffset == null)
    throw new Error('tensor data is not in the wasm heap (disposed?)')
  return data.memoryOffset
}

const elementsOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1)

/**
 * Byte offset of `elements` float32 values of `t`, checked against that tensor's own allocation
 * (its shape in the backend's data map), not just against the heap as the add-on can: a range
 * past its end would overwrite whatever tensors lie beyond it, silently (issue 12, finding 4).
 */
export function heapRange(
  backend: WasmBackendInternals,
  t: tf.TensorInfo,
  elements: number
): number {
  const data = backend.dataIdMap.get(t.dataId)
  if (!data || data.memoryOffset == null)
    throw new Error('tensor data is not in the wasm heap (disposed?)')
  const allocated = elementsOf(data.shape ?? t.shape)
  const dtype = data.dtype ?? t.dtype
  if (dtype !== 'float32' || !(elements <= allocated))
    throw new Error(
      `a native kernel would touch ${elements} float32 values of a ${dtype} tensor of ${allocated}`
    )
  return data.memoryOffset
}
