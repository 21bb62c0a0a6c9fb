// The page header: where to go, and the bearer token (needed for pause, resume and cancel when the
// daemon has tokens), entered once and kept in this browser.
import { useState } from 'preact/hooks'
import { getToken, setToken } from './api.ts'

export function TokenBar(p: { onChange: () => void }) {
  const [editing, setEditing] = useState(false)
  const [draft, setDraft] = useState('')
  const has = getToken() !== ''
  const save = (t: string) => { setToken(t.trim()); setEditing(false); setDraft(''); p.onChange() }
  return (
    <header class="top">
      <a class="brand" href="#/">eqprop-hil</a>
      <nav><a href="#/">Devices &amp; runs</a> <a href="#/compare">Compare</a> <a href="/docs">API</a></nav>
      <span class="token">
        {editing ? (
          <form onSubmit={(e) => { e.preventDefault(); save(draft) }}>
            <input type="password" placeholder="bearer token" value={draft} data-testid="token-input"
              onInput={(e) => setDraft((e.target as HTMLInputElement).value)} autoFocus />
            <button type="submit" data-testid="token-save">Save</button>
            <button type="button" onClick={() => setEditing(false)}>Cancel</button>
          </form>
        ) : (
          <>
            <span data-testid="token-state">{has ? 'token set' : 'no token'}</span>{' '}
            <button type="button" data-testid="token-edit" onClick={() => setEditing(true)}>{has ? 'Change token' : 'Enter token'}</button>
            {has && <button type="button" onClick={() => save('')}>Forget</button>}
          </>
        )}
      </span>
    </header>
  )
}
