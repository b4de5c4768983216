// Starting this process's training workers early, for the adapters (which import the api only):
// kept apart from runtime.ts and the service so that the CLI can call it before they load.
import { builtinMnistInfo } from '../core/data/dataset'
import { trainingPool } from '../core/train/trainingPool'

/**
 * Starts up to `n` training workers (tfjs loading on another thread); with `preloadMnist` the
 * first also decodes the built-in MNIST as it waits. A no-op with VAE_LAB_POOL=0.
 */
export function warmTrainingPool(n: number, o: { preloadMnist?: boolean } = {}): void {
  trainingPool().warm(n, o.preloadMnist ? builtinMnistInfo() : undefined)
}
