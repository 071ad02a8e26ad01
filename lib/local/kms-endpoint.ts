/**
 * A stand-in for AWS KMS on loopback, speaking AWS JSON 1.1 as @aws-sdk/client-kms sends it, so the card
 * vault and the fingerprinter run unchanged on one machine and in the tests. It holds one symmetric key: 32
 * random bytes in `<dataDir>/kms-master.key` (mode 0600, created on first start), or in memory without a
 * folder. Its ciphertext blobs are AES-256-GCM under that key with the canonical encryption context as
 * associated data, so decrypting under another context fails with InvalidCiphertextException, as KMS does.
 *
 * Operations: GenerateDataKey, Decrypt, Encrypt, DescribeKey. It does NOT do: authentication (requests are
 * not signature-checked; it listens on loopback only), grants, key policies, aliases, rotation, multi-region
 * keys, asymmetric or HMAC keys, key states (the key is always enabled), DryRun, or a ciphertext format that
 * real KMS would accept. A key file is a secret: losing it loses every card sealed under it.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const kmsOperations = ['GenerateDataKey', 'Decrypt', 'Encrypt', 'DescribeKey'] as const;
export type KmsOperation = (typeof kmsOperations)[number];

export interface LocalKms {
  /** Base URL for the SDK's `endpoint` (or `AWS_ENDPOINT_URL_KMS`). */
  readonly url: string;
  /** The id of the one key, for `CARD_KEY_ID`; its ARN is accepted too. */
  readonly keyId: string;
  /** Requests received so far, of one operation or of all (failed ones included). */
  requestCount(operation?: KmsOperation): number;
  close(): Promise<void>;
}

const MASTER_KEY_FILE = 'kms-master.key';
const MASTER_KEY_BYTES = 32;
const BLOB_VERSION = 1;
const KEY_ID_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BLOB_HEADER_BYTES = 1 + KEY_ID_BYTES;
const MAX_BODY_BYTES = 64 * 1024;
const ACCOUNT = '000000000000';
const REGION = 'local';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** An error KMS would answer with: its `__type` (the SDK turns it into the matching exception class) and status. */
class KmsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface MasterKey {
  readonly material: Buffer;
  readonly idBytes: Buffer;
  readonly id: string;
  readonly arn: string;
  readonly createdAt: Date;
}

export async function startKmsEndpoint(options: { dataDir?: string }): Promise<LocalKms> {
  const key = await loadMasterKey(options.dataDir);
  const counts = new Map<string, number>();
  let total = 0;

  const server = createServer((request, response) => {
    total += 1;
    const operation = operationOf(request);
    if (operation !== undefined) counts.set(operation, (counts.get(operation) ?? 0) + 1);
    serve(key, operation, request)
      .then((body) => reply(response, 200, body))
      .catch((error: unknown) => {
        const fault =
          error instanceof KmsFault ? error : new KmsFault('KMSInternalException', 'The local KMS failed.', 500);
        reply(response, fault.status, { __type: fault.type, message: fault.message });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    keyId: key.id,
    requestCount: (operation) => (operation === undefined ? total : (counts.get(operation) ?? 0)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // The SDK keeps connections alive; without this, close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

async function loadMasterKey(dataDir: string | undefined): Promise<MasterKey> {
  if (dataDir === undefined) return describeMasterKey(randomBytes(MASTER_KEY_BYTES), new Date());
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, MASTER_KEY_FILE);
  try {
    // `wx`: two processes starting on one folder cannot both create a key; the second reads the first's.
    await writeFile(path, randomBytes(MASTER_KEY_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  }
  const material = await readFile(path);
  if (material.length !== MASTER_KEY_BYTES) {
    throw new Error(`${path} is not a key file (${material.length} bytes, expected ${MASTER_KEY_BYTES}); refusing to start`);
  }
  return describeMasterKey(material, (await stat(path)).mtime);
}

function describeMasterKey(material: Buffer, createdAt: Date): MasterKey {
  // The key id is derived from the key, so it stays the same across restarts without a second file.
  const idBytes = createHmac('sha256', material).update('local-kms key id').digest().subarray(0, KEY_ID_BYTES);
  idBytes[6] = ((idBytes[6] ?? 0) & 0x0f) | 0x40;
  idBytes[8] = ((idBytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = idBytes.toString('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { material, idBytes, id, arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`, createdAt };
}

function operationOf(request: IncomingMessage): string | undefined {
  const target = request.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith('TrentService.')) return undefined;
  return target.slice('TrentService.'.length);
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}

async function serve(key: MasterKey, operation: string | undefined, request: IncomingMessage): Promise<unknown> {
  if (request.method !== 'POST' || operation === undefined) {
    throw new KmsFault('UnknownOperationException', 'Expected POST / with x-amz-target: TrentService.<Operation>.');
  }
  const input = await readJsonBody(request);
  switch (operation) {
    case 'GenerateDataKey':
      return generateDataKey(key, input);
    case 'Decrypt':
      return decrypt(key, input);
    case 'Encrypt':
      return encrypt(key, input);
    case 'DescribeKey':
      return describeKey(key, input);
    default:
      throw new KmsFault('UnknownOperationException', `The local KMS does not implement ${operation}.`);
  }
}

async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > MAX_BODY_BYTES) throw new KmsFault('ValidationException', 'The request body is too large.');
    chunks.push(bytes);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new KmsFault('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KmsFault('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

function generateDataKey(key: MasterKey, input: Record<string, unknown>): unknown {
  requireKey(key, input.KeyId, true);
  const { KeySpec: keySpec, NumberOfBytes: numberOfBytes } = input;
  if ((keySpec === undefined) === (numberOfBytes === undefined)) {
    throw new KmsFault('ValidationException', 'Please specify either number of bytes or key spec.');
  }
  let length: number;
  if (keySpec === 'AES_256') length = 32;
  else if (keySpec === 'AES_128') length = 16;
  else if (keySpec !== undefined) throw new KmsFault('ValidationException', "KeySpec must be 'AES_256' or 'AES_128'.");
  else if (typeof numberOfBytes === 'number' && Number.isInteger(numberOfBytes) && numberOfBytes >= 1 && numberOfBytes <= 1024) {
    length = numberOfBytes;
  } else throw new KmsFault('ValidationException', 'NumberOfBytes must be an integer from 1 to 1024.');
  const plaintext = randomBytes(length);
  const ciphertext = seal(key, plaintext, encryptionContextOf(input.EncryptionContext));
  return { KeyId: key.arn, CiphertextBlob: ciphertext.toString('base64'), Plaintext: plaintext.toString('base64') };
}

function encrypt(key: MasterKey, input: Record<string, unknown>): unknown {
  requireKey(key, input.KeyId, true);
  requireSymmetricAlgorithm(input.EncryptionAlgorithm);
  const plaintext = blobOf(input.Plaintext, 'Plaintext', 4096);
  const ciphertext = seal(key, plaintext, encryptionContextOf(input.EncryptionContext));
  return { KeyId: key.arn, CiphertextBlob: ciphertext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
}

function decrypt(key: MasterKey, input: Record<string, unknown>): unknown {
  requireKey(key, input.KeyId, false);
  requireSymmetricAlgorithm(input.EncryptionAlgorithm);
  const blob = blobOf(input.CiphertextBlob, 'CiphertextBlob', 6144);
  const context = encryptionContextOf(input.EncryptionContext);
  const header = blob.subarray(0, BLOB_HEADER_BYTES);
  if (blob.length < BLOB_HEADER_BYTES + IV_BYTES + TAG_BYTES || header[0] !== BLOB_VERSION) {
    throw invalidCiphertext();
  }
  if (!header.subarray(1).equals(key.idBytes)) {
    // A blob of another key: KMS names the mismatch when the caller named a key, and cannot tell it from garbage otherwise.
    if (input.KeyId !== undefined) {
      throw new KmsFault('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext.');
    }
    throw invalidCiphertext();
  }
  const iv = blob.subarray(BLOB_HEADER_BYTES, BLOB_HEADER_BYTES + IV_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const body = blob.subarray(BLOB_HEADER_BYTES + IV_BYTES, blob.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key.material, iv);
  decipher.setAAD(associatedData(header, context));
  decipher.setAuthTag(tag);
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw invalidCiphertext();
  }
  return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
}

function describeKey(key: MasterKey, input: Record<string, unknown>): unknown {
  requireKey(key, input.KeyId, true);
  return {
    KeyMetadata: {
      AWSAccountId: ACCOUNT,
      KeyId: key.id,
      Arn: key.arn,
      CreationDate: key.createdAt.getTime() / 1000,
      Enabled: true,
      Description: 'Local stand-in for the card vault key',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      KeySpec: 'SYMMETRIC_DEFAULT',
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    },
  };
}

function seal(key: MasterKey, plaintext: Buffer, context: Record<string, string>): Buffer {
  const header = Buffer.concat([Buffer.of(BLOB_VERSION), key.idBytes]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.material, iv);
  cipher.setAAD(associatedData(header, context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
}

/** The blob header and the encryption context with its keys sorted, so the order a caller lists them in does not matter. */
function associatedData(header: Buffer, context: Record<string, string>): Buffer {
  const canonical = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.concat([header, Buffer.from(JSON.stringify(canonical), 'utf8')]);
}

/** Checks that `keyId` names the one key (by id or ARN); `required` as for the operation in KMS. */
function requireKey(key: MasterKey, keyId: unknown, required: boolean): void {
  if (keyId === undefined && !required) return;
  if (typeof keyId !== 'string' || keyId.length === 0) throw new KmsFault('ValidationException', 'KeyId is required.');
  if (keyId === key.id || (keyId.startsWith('arn:aws:kms:') && keyId.endsWith(`:key/${key.id}`))) return;
  throw new KmsFault('NotFoundException', `Key '${keyId}' does not exist`);
}

function requireSymmetricAlgorithm(algorithm: unknown): void {
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
    throw new KmsFault('ValidationException', 'Only SYMMETRIC_DEFAULT is supported by this key.');
  }
}

function blobOf(value: unknown, name: string, maxBytes: number): Buffer {
  if (typeof value !== 'string' || value.length === 0) throw new KmsFault('ValidationException', `${name} is required.`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 0 || bytes.length > maxBytes) {
    throw new KmsFault('ValidationException', `${name} must be 1 to ${maxBytes} bytes.`);
  }
  return bytes;
}

function encryptionContextOf(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KmsFault('ValidationException', 'EncryptionContext must be a map of strings.');
  }
  const context: Record<string, string> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw new KmsFault('ValidationException', 'EncryptionContext must be a map of strings.');
    context[name] = entry;
  }
  return context;
}

function invalidCiphertext(): KmsFault {
  return new KmsFault('InvalidCiphertextException', 'The ciphertext is invalid, or was encrypted under another key or encryption context.');
}
