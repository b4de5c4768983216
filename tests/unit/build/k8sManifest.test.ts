import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildProgram } from '../../../src-main/adapters/cli/main'

const manifest = path.resolve(__dirname, '../../../build/k8s/vae-lab-workers.yaml')

interface Container {
  command: string[]
  args: string[]
  env: {
    name: string
    value?: string
    valueFrom?: { secretKeyRef?: { name: string; key: string } }
  }[]
}

describe('the Kubernetes Indexed Job example (build/k8s/vae-lab-workers.yaml)', () => {
  const job = parse(fs.readFileSync(manifest, 'utf8'))
  const pod = job.spec.template.spec
  const worker: Container = pod.containers[0]

  it('is an Indexed Job of workers that are never restarted in place', () => {
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job' })
    expect(job.spec).toMatchObject({ completionMode: 'Indexed' })
    expect(job.spec.parallelism).toBeGreaterThan(0)
    expect(job.spec.completions).toBeGreaterThanOrEqual(job.spec.parallelism)
    expect(pod.restartPolicy).toBe('Never')
    expect(pod.containers).toHaveLength(1)
  })

  it('runs `vae-lab worker` with options the CLI accepts', () => {
    expect(worker.command.slice(-2)).toEqual(['bin/vae-lab.js', 'worker'])
    const sweep = worker.env.find((e) => e.name === 'SWEEP')?.value as string
    const args = worker.args.map((a) => a.replace('$(SWEEP)', sweep))
    const io = { stdout: process.stdout, stderr: process.stderr, setExit: () => {} }
    const command = buildProgram(io).commands.find((c) => c.name() === 'worker')
    expect(command).toBeDefined()
    const known = new Set(command!.options.map((o) => o.long))
    for (const flag of args.filter((a) => a.startsWith('--'))) expect(known, flag).toContain(flag)
    const value = (flag: string) => Number(args[args.indexOf(flag) + 1])
    expect(value('--lease')).toBeGreaterThan(0)
    // The pod may finish its epoch and give its run back before Kubernetes kills it.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(value('--finish-epoch-within') + 10)
  })

  it('takes the store from a Secret, never a password in the manifest', () => {
    const store = worker.env.find((e) => e.name === 'VAE_LAB_DB')
    expect(store?.value).toBeUndefined()
    expect(store?.valueFrom?.secretKeyRef).toMatchObject({ name: expect.any(String), key: 'uri' })
    const outsideComments = fs
      .readFileSync(manifest, 'utf8')
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n')
    expect(outsideComments).not.toMatch(/postgres(ql)?:\/\//)
  })
})
