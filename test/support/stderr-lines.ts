import type { ChildProcess } from 'node:child_process'

/** Keeps a child's stderr lines; waitFor resolves at the first line matching (seen before or after the call), and rejects if the child exits first. */
export function stderrLines(c: ChildProcess, what = 'process'): { lines: string[]; waitFor: (re: RegExp) => Promise<string> } {
  const lines: string[] = []
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = []
  let buf = ''
  c.stderr!.on('data', (d: Buffer) => {
    buf += d.toString()
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i); buf = buf.slice(i + 1)
      lines.push(l)
      for (const w of waiters.filter((x) => x.re.test(l))) { waiters.splice(waiters.indexOf(w), 1); w.resolve(l) }
    }
  })
  const waitFor = (re: RegExp) => new Promise<string>((resolve, reject) => {
    const hit = lines.find((l) => re.test(l))
    if (hit) { resolve(hit); return }
    waiters.push({ re, resolve })
    c.once('exit', (code, sig) => reject(new Error(`${what} exited (${code ?? sig}) before ${re}: ${lines.join('\n')}`)))
  })
  return { lines, waitFor }
}
