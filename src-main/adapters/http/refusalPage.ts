// What a person sees when the browser opens the workbench without the running server's token: a
// short page saying what happened and what to do, not the api's JSON (issue 13, item 1). It has
// no script and loads nothing, so its own CSP can be `default-src 'none'`.

export const REFUSAL_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

const TEXT = {
  'stale-token': {
    title: 'This link is from an earlier session',
    body: 'VAE Lab was restarted since this link (or this tab) was opened, and each start makes a new token. Use the URL <code>vae-lab</code> printed when it started: the line <code>VAE Lab is at http://127.0.0.1:PORT/?token=…</code> in the terminal where <code>npm start</code> or <code>vae-lab serve</code> runs.'
  },
  'no-token': {
    title: 'This address needs its token',
    body: 'The workbench answers only the link with the token of this start. Open the full URL <code>vae-lab</code> printed: the line <code>VAE Lab is at http://127.0.0.1:PORT/?token=…</code> in the terminal where <code>npm start</code> or <code>vae-lab serve</code> runs.'
  },
  'foreign-origin': {
    title: 'Refused: this request came from another page',
    body: 'The workbench answers only its own page. Open the URL <code>vae-lab</code> printed in its terminal.'
  }
} as const

export type RefusalReason = keyof typeof TEXT

/** The page for `reason`; `port` is the running server's, so the line to look for is exact. */
export function refusalPage(reason: RefusalReason, port: number): string {
  const t = TEXT[reason]
  const body = t.body.replace('PORT', String(port))
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>VAE Lab: ${t.title}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.4rem; } code { background: #f0f1f3; padding: 0 .25em; border-radius: 3px; }
@media (prefers-color-scheme: dark) { body { background: #16181c; color: #e6e6e6; } code { background: #2a2d33; } }
</style></head>
<body><h1>${t.title}</h1><p>${body}</p></body></html>
`
}
