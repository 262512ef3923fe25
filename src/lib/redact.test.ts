import {describe, expect, it} from 'vitest'
import {BENIGN, HOSTILE} from '../../test/hardening/redact-cases.js'
import {HIDDEN, redactArgv, redactRequestURI, redactSecrets} from './redact.js'

describe('redactSecrets', () => {
  for (const [input, expected] of HOSTILE) {
    it(`hides ${JSON.stringify(input)}`, () => {
      expect(redactSecrets(input)).toBe(expected)
      // Idempotent: output already redacted stays as is.
      expect(redactSecrets(expected)).toBe(expected)
    })
  }
  for (const input of BENIGN) it(`leaves ${JSON.stringify(input)}`, () => expect(redactSecrets(input)).toBe(input))
})

describe('redactArgv', () => {
  it('hides values that only argument boundaries show', () => {
    expect(redactArgv(['mysql', '-u', 'root', '-pS3cret'])).toEqual(['mysql', '-u', 'root', `-p${HIDDEN}`])
    expect(redactArgv(['/usr/bin/mysql', '-p', 'db'])).toEqual(['/usr/bin/mysql', '-p', 'db'])
    expect(redactArgv(['app', '--password', 'hunter 2', '-v'])).toEqual(['app', '--password', HIDDEN, '-v'])
    expect(redactArgv(['sshpass', '-p', 'hunter2', 'ssh', 'h'])).toEqual(['sshpass', '-p', HIDDEN, 'ssh', 'h'])
    expect(redactArgv(['curl', '-u', 'admin:pw', 'https://x'])).toEqual(['curl', '-u', `admin:${HIDDEN}`, 'https://x'])
    expect(redactArgv(['sh', '-c', 'PGPASSWORD=pw psql'])).toEqual(['sh', '-c', `PGPASSWORD=${HIDDEN} psql`])
  })
  it('leaves ordinary commands alone', () => {
    for (const argv of [['ls', '-la'], ['tar', 'cf', '-', '/data'], ['redis-cli', '-p', '6379'], ['app', '--password-file', '/p']]) expect(redactArgv(argv)).toEqual(argv)
  })
})

describe('redactRequestURI', () => {
  it('hides exec arguments and query credentials, keeping the URI shape', () => {
    const uri = '/api/v1/namespaces/db/pods/mysql-0/exec?command=mysql&command=-pS3cret&container=db&stdout=true'
    expect(redactRequestURI(uri)).toBe(`/api/v1/namespaces/db/pods/mysql-0/exec?command=mysql&command=${encodeURIComponent(`-p${HIDDEN}`)}&container=db&stdout=true`)
    const sh = '/api/v1/namespaces/a/pods/b/exec?command=sh&command=-c&command=PGPASSWORD%3Dpw%20psql'
    expect(decodeURIComponent(redactRequestURI(sh))).toBe(`/api/v1/namespaces/a/pods/b/exec?command=sh&command=-c&command=PGPASSWORD=${HIDDEN} psql`)
    expect(redactRequestURI('/x?access_token=abc&watch=1')).toBe(`/x?access_token=${HIDDEN}&watch=1`)
  })
  it('returns a clean URI byte for byte', () => {
    for (const uri of ['/api/v1/namespaces/a/secrets/b', '/api/v1/namespaces/a/pods/b/exec?command=ls&command=-la%20x&stdin=true', '/apis?labelSelector=a%3Db'])
      expect(redactRequestURI(uri)).toBe(uri)
  })
})
