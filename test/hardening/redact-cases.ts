// Redaction cases shared by the unit tests (src/lib/redact.test.ts) and the hardening figures.
import {HIDDEN} from '../../src/lib/redact.js'

// [input, expected]: each hostile case must lose its value and keep its shape.
export const HOSTILE: [string, string][] = [
  ['password=hunter2', `password=${HIDDEN}`],
  ['env DB_PASSWORD=hunter2 is not allowed', `env DB_PASSWORD=${HIDDEN} is not allowed`],
  ['PGPASSWORD=s3cr3t psql -h db', `PGPASSWORD=${HIDDEN} psql -h db`],
  ['MYSQL_PWD=s3cr3t mysql', `MYSQL_PWD=${HIDDEN} mysql`],
  ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG', `AWS_SECRET_ACCESS_KEY=${HIDDEN}`],
  ['{"password":"hunter2","user":"bob"}', `{"password":"${HIDDEN}","user":"bob"}`],
  ['{\\"token\\":\\"abc.def\\"}', `{\\"token\\":\\"${HIDDEN}\\"}`],
  ['api_key: abcdef123', `api_key: ${HIDDEN}`],
  ['login --password hunter2 --user bob', `login --password ${HIDDEN} --user bob`],
  ['vault login -token s.abcdef', `vault login -token ${HIDDEN}`],
  ['app --db-password "two words"', `app --db-password "${HIDDEN}"`],
  ['app --token=abc123', `app --token=${HIDDEN}`],
  ['mysql -uroot -pS3cret db', `mysql -uroot -p${HIDDEN} db`],
  ['sh -c mysqldump -h db -pS3cret app', `sh -c mysqldump -h db -p${HIDDEN} app`],
  ['sshpass -p hunter2 ssh host', `sshpass -p ${HIDDEN} ssh host`],
  ['redis-cli -h r -a hunter2 get k', `redis-cli -h r -a ${HIDDEN} get k`],
  ['curl -u admin:hunter2 https://x', `curl -u admin:${HIDDEN} https://x`],
  ['Authorization: Bearer abcdef123456', `Authorization: Bearer ${HIDDEN}`],
  ['curl -H "Authorization: Basic YWRtaW46cGFzcw==" x', `curl -H "Authorization: Basic ${HIDDEN}" x`],
  ['sent bearer abcdef.ghijkl', `sent bearer ${HIDDEN}`],
  ['https://user:hunter2@git.example.com/repo', `https://user:${HIDDEN}@git.example.com/repo`],
  ['postgres://app:hunter2@db:5432/x', `postgres://app:${HIDDEN}@db:5432/x`],
  ['key AKIAIOSFODNN7EXAMPLE used', `key AKIA${HIDDEN} used`],
  ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end', `jwt eyJ${HIDDEN}.${HIDDEN}.${HIDDEN} end`],
  [
    'key -----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY----- done',
    `key -----BEGIN RSA PRIVATE KEY-----${HIDDEN}-----END RSA PRIVATE KEY----- done`,
  ],
  ['cut -----BEGIN PRIVATE KEY-----\nMIIEow', `cut -----BEGIN PRIVATE KEY-----${HIDDEN}-----END PRIVATE KEY-----`],
  ['token=abc&x=1', `token=${HIDDEN}&x=1`],
]

// Text that looks close but holds no credential: unchanged.
export const BENIGN = [
  'kubectl get secrets -n kube-system',
  'kubectl create secret generic db --from-file=./creds',
  'app --password-file /etc/app/password',
  'docker login --password-stdin registry.example.com',
  'kubectl create token builder --duration 1h',
  'app --token-ttl 1h',
  'mkdir -p /tmp/x',
  'redis-cli -p 6379 ping',
  'ssh -p 22 host',
  'tar -pxf backup.tar',
  'RBAC: allowed by ClusterRoleBinding "admins" of ClusterRole "admin" to Group "ops"',
  'secrets "db-password" is forbidden: User "bob" cannot get resource "secrets"',
  'volume uses secretName=db-creds',
  'https://example.com:8443/api',
  'the Bearer token expired',
  'cat /var/run/secrets/kubernetes.io/serviceaccount/token',
  'password-file=/run/pw',
]

