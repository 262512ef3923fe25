import {describe, expect, it} from 'vitest'
import {describeNetworkError} from './client.js'

const error = (code: string, message = code): NodeJS.ErrnoException => Object.assign(new Error(message), {code})

describe('describeNetworkError', () => {
  it('says in kubectl words what went wrong, naming the host where it helps', () => {
    expect(describeNetworkError(error('ECONNREFUSED'), 'k.example')).toBe('connection refused')
    expect(describeNetworkError(error('ENOTFOUND'), 'k.example')).toBe('no such host k.example')
    expect(describeNetworkError(error('EAI_AGAIN'), 'k.example')).toBe('no such host k.example')
    expect(describeNetworkError(error('ETIMEDOUT'), 'k.example')).toBe('connection timed out')
    expect(describeNetworkError(error('ERR_TLS_CERT_ALTNAME_INVALID'), 'k.example')).toBe('tls: the server certificate is not valid for k.example')
    expect(describeNetworkError(error('CERT_HAS_EXPIRED'), 'k.example')).toBe('tls: the server certificate has expired')
    expect(describeNetworkError(error('SELF_SIGNED_CERT_IN_CHAIN'), 'k.example')).toMatch(/^tls: certificate signed by unknown authority/)
    expect(describeNetworkError(error('ERR_SSL_WRONG_VERSION_NUMBER'), 'k.example')).toBe('tls handshake failed (is the address an HTTPS API server?)')
    expect(describeNetworkError(Object.assign(new Error('socket hang up'), {code: undefined}), 'k')).toBe('connection closed by the server')
    expect(describeNetworkError(error('EWEIRD', 'weird thing\n  at stack'), 'k')).toBe('EWEIRD: weird thing')
  })
})
