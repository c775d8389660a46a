import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSecretName, redactEnv, redactLogOpts, redactText, redactValues } from '../../agent/redact';

const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';

describe('redaction rules', () => {
  it('secret env names: *_KEY, *_SECRET, *_TOKEN, *PASSWORD*, AWS credentials, any case', () => {
    for (const n of ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'api_key', 'CLIENT_SECRET', 'github_token', 'DB_PASSWORD', 'PasswordFile', 'MYSQL_ROOT_PASSWD']) {
      assert.ok(isSecretName(n), n);
    }
    for (const n of ['PATH', 'HOME', 'KEYBOARD', 'TOKENIZER_MODE', 'SECRETARY', 'KEY_PATH', 'REGION']) assert.ok(!isSecretName(n), n);
  });

  it('env: NAME=*** for secret names; other values keep all but URL passwords and key material', () => {
    assert.deepEqual(redactEnv([
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG', 'db_password=hunter2', 'EMPTY_TOKEN=', 'REGION=eu=west',
      'DATABASE_URL=postgres://app:s3cret@db:5432/app', `TLS=${KEY}`, 'NOVALUE',
    ]), [
      'AWS_SECRET_ACCESS_KEY=***', 'db_password=***', 'EMPTY_TOKEN=***', 'REGION=eu=west',
      'DATABASE_URL=postgres://app:***@db:5432/app', 'TLS=***', 'NOVALUE',
    ]);
  });

  it('URL passwords: the user stays, the password (even with an @ in it) goes', () => {
    assert.equal(redactText('mongodb://user:pass@host'), 'mongodb://user:***@host');
    assert.equal(redactText('mongodb+srv://app:p@ss@h1:1,h2:2/db?tls=true'), 'mongodb+srv://app:***@h1:1,h2:2/db?tls=true');
    assert.equal(redactText('cannot reach mongodb://:pw@h and amqp://u:x@q.local:5672/'), 'cannot reach mongodb://:***@h and amqp://u:***@q.local:5672/');
    assert.equal(redactText('{"uri":"mongodb://u:p@h","x":1}'), '{"uri":"mongodb://u:***@h","x":1}');
  });

  it('leaves what holds no secret alone: hosts with ports, users without passwords, paths, plain text', () => {
    for (const t of ['tcp://127.0.0.1:514', 'mongodb://user@host/db', 'http://h:8080/a@b', 'max-size=10m', '/etc/ssl/private/client.key',
      'mongodb://h/?tlsCertificateKeyFile=/etc/ssl/c.pem', 'a=b c=d', 'user@example.com: hi']) {
      assert.equal(redactText(t), t);
    }
  });

  it('secret query parameters and mongodb\'s AWS session token, as the mongodb driver hides them', () => {
    assert.equal(redactText('mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN:abc,X:y&proxyPassword=pp'),
      'mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN:***,X:y&proxyPassword=***');
    assert.equal(redactText('https://s3/x?X-Amz-Signature=abcd&v=1'), 'https://s3/x?X-Amz-Signature=***&v=1');
    assert.equal(redactText('mongodb://h/?tlsCertificateKeyFilePassword=k&w=1'), 'mongodb://h/?tlsCertificateKeyFilePassword=***&w=1');
  });

  it('private key material never survives, whole or cut short; certificates and paths do', () => {
    assert.equal(redactText(`invalid value "${KEY}" for log opt syslog-tls-key`), 'invalid value "***" for log opt syslog-tls-key');
    assert.equal(redactText('-----BEGIN RSA PRIVATE KEY-----\nMIIEow'), '***');
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    assert.equal(redactText(cert), cert);
  });

  it('log opts: URIs lose their password (scoped keys too), secret-named keys are masked, key paths stay', () => {
    assert.deepEqual(redactLogOpts({
      'mongodb-uri': 'mongodb://app:pw@h:27017/db', 'mongodb:mongodb-uri': 'mongodb://app:pw@h', 'syslog-tls-key': '/etc/ssl/k.pem',
      'some-token': 'abc', tag: '{{.Name}}', 'max-size': '10m',
    }), {
      'mongodb-uri': 'mongodb://app:***@h:27017/db', 'mongodb:mongodb-uri': 'mongodb://app:***@h', 'syslog-tls-key': '/etc/ssl/k.pem',
      'some-token': '***', tag: '{{.Name}}', 'max-size': '10m',
    });
  });

  it('label and attribute values: only what the text rules find', () => {
    assert.deepEqual(redactValues({ team: 'core', db: 'redis://:pw@cache:6379' }), { team: 'core', db: 'redis://:***@cache:6379' });
  });
});
