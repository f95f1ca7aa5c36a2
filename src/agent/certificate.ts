// An agent's identity is its DTLS certificate: the host grants by certificate fingerprint and
// invites bind to it on first use, so the same agent must come back with the same certificate.
// It is an ECDSA P-256 self-signed certificate (what browsers make for WebRTC), built here with
// Node's own crypto and kept in one PEM file (certificate, then private key), readable by its
// owner only.
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { normalizeFingerprint } from '../crypto/command.js';
import { KibitzError } from '../errors.js';

export interface AgentCertificate {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PKCS#8 PEM. */
  key: string;
  /** SHA-256 fingerprint of the certificate, normalised (lowercase, colon-separated). */
  fingerprint: string;
}

/** Where an agent named `name` keeps its certificate unless told otherwise: `~/.kibitz-agent/<name>.pem`. */
export function defaultCertificatePath(name: string): string {
  const file = name.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^\.+/, '_') || 'agent';
  return join(homedir(), '.kibitz-agent', `${file}.pem`);
}

/**
 * The certificate in `path`, made (and saved, mode 0600) when the file does not exist yet.
 * A file that exists but holds no valid P-256 certificate and matching key is refused with
 * ERR_BAD_ATTRIBUTE rather than overwritten: it is someone's identity.
 */
export function loadOrCreateCertificate(path: string, commonName = 'kibitz-agent'): AgentCertificate {
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw bad(path, `cannot be read (${(err as Error).message})`, err);
  }
  if (text !== null) return parseCertificateFile(text, path);
  const made = createCertificate(commonName);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // `wx`: never replace a file another process wrote meanwhile; read that one instead.
    writeFileSync(path, made.cert + made.key, { flag: 'wx', mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parseCertificateFile(readFileSync(path, 'utf8'), path);
    throw bad(path, `cannot be written (${(err as Error).message})`, err);
  }
  return made;
}

/** Read a certificate file: one CERTIFICATE block and its EC P-256 PRIVATE KEY block. */
export function parseCertificateFile(text: string, path = 'the certificate file'): AgentCertificate {
  const cert = pemBlock(text, 'CERTIFICATE');
  const key = pemBlock(text, 'PRIVATE KEY') ?? pemBlock(text, 'EC PRIVATE KEY');
  if (!cert || !key) throw bad(path, 'needs a CERTIFICATE and a PRIVATE KEY block');
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(cert);
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw bad(path, `is not a certificate and key (${(err as Error).message})`, err);
  }
  if (privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw bad(path, 'must hold an ECDSA P-256 key');
  if (!x509.checkPrivateKey(privateKey)) throw bad(path, 'holds a key that does not match its certificate');
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), fingerprint: fingerprintOf(x509) };
}

/** A fresh self-signed ECDSA P-256 certificate, valid from yesterday to the end of 2049. */
export function createCertificate(commonName = 'kibitz-agent', now = Date.now()): AgentCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // A positive serial (top bit clear) of 16 random bytes, as RFC 5280 asks.
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  const name = seq(set(seq(oid(COMMON_NAME), tlv(UTF8_STRING, Buffer.from(commonName, 'utf8')))));
  const tbs = seq(
    tlv(0xa0, tlv(INTEGER, Buffer.from([2]))), // v3
    tlv(INTEGER, serial),
    ECDSA_WITH_SHA256,
    name,
    // Browsers check only the fingerprint, never the dates, but a sane window costs nothing.
    // 2049 is the last year UTCTime can write, and GeneralizedTime is not worth the code.
    seq(utcTime(new Date(now - 86_400_000)), utcTime(new Date(Date.UTC(2049, 11, 31, 23, 59, 59)))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = seq(tbs, ECDSA_WITH_SHA256, tlv(BIT_STRING, Buffer.concat([Buffer.from([0]), signature])));
  const cert = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { cert, key, fingerprint: fingerprintOf(new X509Certificate(cert)) };
}

function fingerprintOf(x509: X509Certificate): string {
  return normalizeFingerprint(x509.fingerprint256);
}

function pemBlock(text: string, label: string): string | null {
  const match = new RegExp(`-----BEGIN ${label}-----[A-Za-z0-9+/=\\s]+-----END ${label}-----`).exec(text);
  return match ? match[0] + '\n' : null;
}

function bad(path: string, message: string, cause?: unknown): KibitzError {
  return new KibitzError('ERR_BAD_ATTRIBUTE', `certificate: ${path} ${message}`, cause === undefined ? undefined : { cause });
}

// ---- the little DER this needs ------------------------------------------------------------

const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OID = 0x06;
const UTF8_STRING = 0x0c;
const UTC_TIME = 0x17;

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const oid = (bytes: number[]) => tlv(OID, Buffer.from(bytes));
/** YYMMDDHHMMSSZ */
const utcTime = (date: Date) => tlv(UTC_TIME, Buffer.from(date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z', 'ascii'));

/** 2.5.4.3, id-at-commonName */
const COMMON_NAME = [0x55, 0x04, 0x03];
/** 1.2.840.10045.4.3.2, ecdsa-with-SHA256 (no parameters) */
const ECDSA_WITH_SHA256 = seq(oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
