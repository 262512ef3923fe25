import {describe, expect, it} from 'vitest'
import {apiErrorFor, describeError, KubeConnectionError, KubeExpiredError, KubeForbiddenError, KubeNotFoundError, KubeUnauthorizedError, KUBE_EXIT_CODES} from './errors.js'

describe('kube errors', () => {
  it('maps status codes to typed errors with distinct exit codes', () => {
    const request = {method: 'GET', path: '/api/v1/secrets'}
    expect(apiErrorFor(401, {}, request)).toBeInstanceOf(KubeUnauthorizedError)
    expect(apiErrorFor(403, {message: 'nope'}, request)).toBeInstanceOf(KubeForbiddenError)
    expect(apiErrorFor(404, {message: 'x'}, request)).toBeInstanceOf(KubeNotFoundError)
    expect(apiErrorFor(410, {message: 'x'}, request)).toBeInstanceOf(KubeExpiredError)
    expect(apiErrorFor(403, {message: 'nope'}, request).exitCode).toBe(KUBE_EXIT_CODES.forbidden)
    expect(apiErrorFor(500, {}, request).userMessage).toBe('GET /api/v1/secrets: HTTP 500')
    expect(new Set(Object.values(KUBE_EXIT_CODES)).size).toBe(Object.keys(KUBE_EXIT_CODES).length)
  })

  it('keeps a hostile server message on one line and free of terminal escapes', () => {
    const error = apiErrorFor(403, {message: 'denied\n\u001b]0;owned\u0007 fake line'}, {method: 'GET', path: '/'})
    expect(error.userMessage).toBe('denied \\x1b]0;owned\\x07 fake line')
    expect(describeError(error)).toEqual({message: 'denied \\x1b]0;owned\\x07 fake line', exitCode: KUBE_EXIT_CODES.forbidden})
  })

  it('describes any error without a stack', () => {
    expect(describeError(new KubeConnectionError('https://k:6443', 'connection refused'))).toEqual({message: 'cannot reach https://k:6443: connection refused', exitCode: KUBE_EXIT_CODES.unreachable})
    expect(describeError(new Error('boom\n    at x.js:1'))).toEqual({message: 'boom at x.js:1', exitCode: 1})
  })
})

describe('network hardening errors', () => {
  it('name the path and the limit in one line', async () => {
    const {KubeListError, KubeResponseTooLargeError, formatBytes, KUBE_EXIT_CODES} = await import('./errors.js')
    const big = new KubeResponseTooLargeError({method: 'GET', path: '/api/v1/namespaces'}, 256 * 1024 ** 2)
    expect(big.userMessage).toBe('GET /api/v1/namespaces: the response is larger than 256 MiB (--max-response-size); the connection was closed')
    expect(big.exitCode).toBe(KUBE_EXIT_CODES.api)
    const loop = new KubeListError('/api/v1/namespaces', 'page 2 repeats evil\u001b[31m\nname, already listed')
    expect(loop.userMessage).not.toMatch(/[\u001b\n]/)
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(100)).toBe('100 B')
  })
})
