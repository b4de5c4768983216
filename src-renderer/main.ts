// Until the Vue workbench lands (issue 5) the window lists the runs through the preload bridge.
import type { RunSummary } from '../src-main/api/contract'

declare global {
  interface Window {
    vaeLab: { listRuns(): Promise<RunSummary[]> }
  }
}

const app = document.getElementById('app') as HTMLElement

function render(runs: RunSummary[]) {
  if (runs.length === 0) {
    app.textContent = 'No runs yet. Train the paper sweep with `npx vae-lab train --preset paper`.'
    return
  }
  const table = document.createElement('table')
  const head = ['id', 'latent', 'status', 'backend', 'epochs', 'test -ELBO']
  table.createTHead().insertRow().append(...head.map((h) => Object.assign(document.createElement('th'), { textContent: h })))
  const body = table.createTBody()
  for (const r of runs) {
    const cells = [r.id, r.latent, r.status, r.backend ?? '-', `${r.epochsDone}/${r.epochs}`, r.testNelbo?.toFixed(2) ?? '-']
    body.insertRow().append(...cells.map((c) => Object.assign(document.createElement('td'), { textContent: String(c) })))
  }
  app.replaceChildren(table)
}

window.vaeLab.listRuns().then(render, (e: Error) => (app.textContent = `Could not list runs: ${e.message}`))
