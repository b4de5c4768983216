// Adam and Adagrad updates in one native pass per variable, in place in the wasm heap. The stock
// tfjs optimisers run about ten elementwise kernels per variable, each allocating a fresh tensor,
// which is about a third of a step once matMul is native (design.md §2).
import * as tf from '@tensorflow/tfjs-core'
import type { BlasAddon } from './blasKernels'
import { threadStep } from './threadPlan'
import { heapRange, wasmInternals, type WasmBackendInternals } from './wasmHeap'

// tfjs-core's index does not re-export NamedTensor; getWeights' return type is the same shape.
type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number]

export type FusedOptimizerKind = 'adam' | 'adagrad'

export interface FusedOptimizerConfig {
  kind: FusedOptimizerKind
  learningRate: number
  /** Adam only; tfjs's defaults. */
  beta1?: number
  beta2?: number
  /** Adam's epsilon; tfjs uses the backend's (1e-7 for float32) when it is not given. */
  epsilon?: number
  /** Adagrad's starting accumulator (tfjs default 0.1; the paper's is 0). */
  initialAccumulatorValue?: number
}

interface SlotVariable {
  originalName: string
  variable: tf.Variable
}

/**
 * Updating a tensor's memory in place is only safe while no other tensor shares its dataId
 * (tf.variable(t), reshape and clone all share). Gives the variable a private copy if needed.
 */
function ensureExclusive(backend: WasmBackendInternals, v: tf.Variable): void {
  if (backend.refCount(v.dataId) <= 1) return
  const copy = tf.tidy(() => tf.add(v, tf.scalar(0)))
  v.assign(copy)
  copy.dispose()
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i])

function slot(value: tf.Tensor, fill: number, name: string): SlotVariable {
  // tidy disposes the filled tensor, so the variable is the only owner of its data.
  return { originalName: name, variable: tf.tidy(() => tf.fill(value.shape, fill).variable(false)) }
}

/**
 * A tf.Optimizer whose applyGradients calls the add-on. Gradients come from tfjs
 * (Optimizer.minimize -> variableGrads), so any model works; getWeights/setWeights use the same
 * names, order and iteration count as tf.train.adam/adagrad, so checkpoints are interchangeable.
 */
export class FusedOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'VaeLabFusedOptimizer'
  }

  private readonly lr: number
  private readonly beta1: number
  private readonly beta2: number
  private readonly epsilon: number
  private readonly initialAccumulator: number
  private first: SlotVariable[] = []
  private second: SlotVariable[] = []
  // tfjs keeps beta^t in float32 variables; float32 products keep the two implementations in step.
  private beta1Power: number
  private beta2Power: number

  constructor(
    private readonly addon: BlasAddon,
    readonly config: FusedOptimizerConfig
  ) {
    super()
    wasmInternals()
    this.lr = config.learningRate
    this.beta1 = config.beta1 ?? 0.9
    this.beta2 = config.beta2 ?? 0.999
    this.epsilon = config.epsilon ?? tf.backend().epsilon()
    this.initialAccumulator = config.initialAccumulatorValue ?? 0.1
    this.beta1Power = Math.fround(this.beta1)
    this.beta2Power = Math.fround(this.beta2)
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const backend = wasmInternals()
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }))
    const adam = this.config.kind === 'adam'
    list.forEach(({ name, tensor: grad }, i) => {
      const value = tf.engine().registeredVariables[name]
      if (!value) throw new Error(`no variable named ${name}`)
      if (!this.first[i])
        this.first[i] = slot(
          value,
          adam ? 0 : this.initialAccumulator,
          adam ? `${name}/m` : `${name}/accumulator`
        )
      if (adam && !this.second[i]) this.second[i] = slot(value, 0, `${name}/v`)
      if (grad == null) return
      if (value.dtype !== 'float32' || grad.dtype !== 'float32' || grad.size !== value.size) {
        throw new Error(
          `fused ${this.config.kind}: ${name} needs a float32 gradient of its own size`
        )
      }
      // A slot restored from a checkpoint must match its variable: the update writes value.size
      // elements into it (issue 12, finding 4).
      for (const s of adam ? [this.first[i], this.second[i]] : [this.first[i]]) {
        if (!sameShape(s.variable.shape, value.shape))
          throw new Error(
            `fused ${this.config.kind}: slot ${s.originalName} has shape [${s.variable.shape}], its variable ${name} [${value.shape}]`
          )
      }
      ensureExclusive(backend, value)
      ensureExclusive(backend, this.first[i].variable)
      if (adam) ensureExclusive(backend, this.second[i].variable)
      // Offsets after the copies above, which may have grown the heap.
      const w = heapRange(backend, value, value.size)
      const g = heapRange(backend, grad, value.size)
      const m = heapRange(backend, this.first[i].variable, value.size)
      const heap = backend.wasm.HEAPU8
      if (adam) {
        const v = heapRange(backend, this.second[i].variable, value.size)
        this.addon.adam(
          heap,
          value.size,
          w,
          g,
          m,
          v,
          this.lr,
          this.beta1,
          this.beta2,
          this.epsilon,
          this.beta1Power,
          this.beta2Power
        )
      } else {
        this.addon.adagrad(heap, value.size, w, g, m, this.lr, tf.backend().epsilon())
      }
    })
    if (adam) {
      this.beta1Power = Math.fround(this.beta1Power * Math.fround(this.beta1))
      this.beta2Power = Math.fround(this.beta2Power * Math.fround(this.beta2))
    }
    this.incrementIterations()
    threadStep() // once per training step: the thread tuner's clock
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.first, ...this.second]
    return [await this.saveIterations()].concat(
      slots.map((s) => ({ name: s.originalName, tensor: s.variable }))
    )
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues)
    const own = (w: NamedTensor): SlotVariable => ({
      originalName: w.name,
      // A private copy: the caller's tensor must not change when this optimiser updates in place.
      variable: tf.tidy(() => tf.add(w.tensor, tf.scalar(0)).variable(false))
    })
    this.disposeSlots()
    if (this.config.kind === 'adam') {
      const t = this.iterations + 1
      this.beta1Power = Math.fround(Math.pow(Math.fround(this.beta1), t))
      this.beta2Power = Math.fround(Math.pow(Math.fround(this.beta2), t))
      const half = rest.length / 2
      this.first = rest.slice(0, half).map(own)
      this.second = rest.slice(half).map(own)
    } else {
      this.first = rest.map(own)
    }
  }

  /** Adam's running beta1^t and beta2^t (float32 products, as tfjs keeps them). */
  get betaPowers(): [number, number] {
    return [this.beta1Power, this.beta2Power]
  }

  set betaPowers([p1, p2]: [number, number]) {
    this.beta1Power = Math.fround(p1)
    this.beta2Power = Math.fround(p2)
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.config }
  }

  private disposeSlots(): void {
    for (const s of [...this.first, ...this.second]) s.variable.dispose()
    this.first = []
    this.second = []
  }

  override dispose(): void {
    this.disposeSlots()
    super.dispose()
  }
}

/**
 * tf.Optimizer's static Symbol.hasInstance accepts any optimiser-shaped object, so `instanceof
 * FusedOptimizer` is true for tfjs's own Adam too: check the prototype chain instead.
 */
export function isFusedOptimizer(o: tf.Optimizer): o is FusedOptimizer {
  return Object.prototype.isPrototypeOf.call(FusedOptimizer.prototype, o)
}

/** Adam or Adagrad, configured as tf.train.adam(lr) / tf.train.adagrad(lr, initial) would be. */
export function createFusedOptimizer(
  addon: BlasAddon,
  config: FusedOptimizerConfig
): FusedOptimizer {
  return new FusedOptimizer(addon, config)
}
