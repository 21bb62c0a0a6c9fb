// The dashboard's entry: a hash router over three pages (overview, one run, compare) under the token bar.
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import 'uplot/dist/uPlot.min.css'
import './style.css'
import { ComparePage } from './compare-page.tsx'
import { Overview } from './overview.tsx'
import { RunPage } from './run-page.tsx'
import { TokenBar } from './token-bar.tsx'

/** The page a location hash names: #/, #/runs/<id>, #/compare[/<a>/<b>]. */
export function route(hash: string): { page: 'overview' } | { page: 'run'; id: string } | { page: 'compare'; a: string; b: string } {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  if (parts[0] === 'runs' && parts[1]) return { page: 'run', id: parts[1] }
  if (parts[0] === 'compare') return { page: 'compare', a: parts[1] ?? '', b: parts[2] ?? '' }
  return { page: 'overview' }
}

function App() {
  const [hash, setHash] = useState(location.hash)
  // a new token re-mounts the pages so every request and stream starts again with it
  const [tokenEpoch, setTokenEpoch] = useState(0)
  useEffect(() => {
    const on = () => setHash(location.hash)
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  const r = route(hash)
  return (
    <>
      <TokenBar onChange={() => setTokenEpoch((n) => n + 1)} />
      <div key={tokenEpoch}>
        {r.page === 'overview' && <Overview />}
        {r.page === 'run' && <RunPage id={r.id} />}
        {r.page === 'compare' && <ComparePage a={r.a} b={r.b} />}
      </div>
    </>
  )
}

render(<App />, document.getElementById('app')!)
