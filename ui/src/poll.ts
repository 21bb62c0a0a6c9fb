// Polling a daemon resource from a component: the latest value, the latest error, and a refresh.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

/** Calls load every periodMs while mounted (and on refresh()); keeps the last value and error. */
export function usePoll<T>(load: () => Promise<T>, periodMs: number, deps: unknown[] = []): { value: T | null; error: Error | null; refresh: () => void } {
  const [value, setValue] = useState<T | null>(null)
  const [error, setError] = useState<Error | null>(null)
  const alive = useRef(true)
  const refresh = useCallback(() => {
    load().then((v) => { if (alive.current) { setValue(v); setError(null) } }, (e: Error) => { if (alive.current) setError(e) })
  }, deps)
  useEffect(() => {
    alive.current = true
    refresh()
    const t = setInterval(refresh, periodMs)
    return () => { alive.current = false; clearInterval(t) }
  }, [refresh, periodMs])
  return { value, error, refresh }
}
