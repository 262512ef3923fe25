import {describe, expect, it} from 'vitest'
import {cachedCredentials} from './credentials.js'

describe('cachedCredentials', () => {
  it('shares one refresh between concurrent callers and caches until expiry minus the margin', async () => {
    let clock = 1_000_000
    let fetches = 0
    const provider = cachedCredentials('exec', async () => {
      fetches++
      await new Promise((resolve) => setTimeout(resolve, 20))
      return {credentials: {authorization: `Bearer t${fetches}`}, expiresAt: clock + 60_000}
    }, {now: () => clock, marginMs: 10_000})
    const all = await Promise.all(Array.from({length: 50}, () => provider.get()))
    expect(fetches).toBe(1)
    expect(new Set(all.map((c) => c.authorization))).toEqual(new Set(['Bearer t1']))
    clock += 49_000
    expect((await provider.get()).authorization).toBe('Bearer t1')
    clock += 2_000 // inside the margin: refresh
    expect((await provider.get()).authorization).toBe('Bearer t2')
    provider.invalidate()
    expect((await provider.get()).authorization).toBe('Bearer t3')
  })

  it('does not cache a failure', async () => {
    let calls = 0
    const provider = cachedCredentials('exec', async () => {
      calls++
      if (calls === 1) throw new Error('plugin failed')
      return {credentials: {authorization: 'Bearer ok'}}
    })
    await expect(provider.get()).rejects.toThrow('plugin failed')
    expect((await provider.get()).authorization).toBe('Bearer ok')
    expect((await provider.get()).authorization).toBe('Bearer ok')
    expect(calls).toBe(2)
  })
})
