// Starting this process's training workers early, for the adapters (which import the api only):
// kept apart from runtime.ts and the service so that the CLI can call it before they load.
import { trainingPool } from '../core/train/trainingPool'

/** Starts up to `n` training workers (tfjs loading on another thread); a no-op with VAE_LAB_POOL=0. */
export function warmTrainingPool(n: number): void {
  trainingPool().warm(n)
}
