// Child-process entry of findAdapterIsolated: prints what Dawn finds as one JSON line on stdout.
import { findAdapter } from './webgpuDawn'

findAdapter().then(
  (r) => process.stdout.write(JSON.stringify(r) + '\n'),
  (e: unknown) => process.stdout.write(JSON.stringify({ ok: false, reason: String(e) }) + '\n')
)
