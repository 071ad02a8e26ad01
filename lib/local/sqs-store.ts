/**
 * The state behind the local SQS endpoint: queues, their messages, receive counts and visibility, kept in
 * memory and made durable with an append-only journal plus a snapshot under a folder.
 *
 * Durability: every change is one `writeSync` of one JSON line to the journal before the caller sees the
 * result, so a process killed with SIGKILL loses nothing the operating system has accepted (a power cut can
 * lose what the page cache held; nothing here calls fsync). Start-up loads `snapshot.json`, replays the
 * journals written after it (ignoring a torn last line), then folds everything into a new snapshot
 * (temp file + rename) and starts a fresh journal.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from './account.ts';
import { systemClock, type LocalClock } from './clock.ts';

export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  /** Base64, as the JSON protocol carries blobs. */
  readonly BinaryValue?: string;
}

export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

export interface QueueSettings {
  readonly visibilityTimeoutSeconds: number;
  readonly delaySeconds: number;
  readonly receiveMessageWaitTimeSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly maximumMessageSize: number;
  readonly redrivePolicy?: RedrivePolicy;
  readonly createdAt: number;
  readonly lastModifiedAt: number;
}

export interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: Readonly<Record<string, MessageAttributeValue>>;
  readonly md5OfMessageAttributes?: string;
  readonly awsTraceHeader?: string;
  readonly senderId: string;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
  deadLetterQueueSourceArn?: string;
}

export interface QueueDepth {
  /** Ready to be received now. */
  readonly visible: number;
  /** Received and inside their visibility timeout. */
  readonly inFlight: number;
  /** Never received and still inside their delay. */
  readonly delayed: number;
}

interface QueueState {
  readonly name: string;
  settings: QueueSettings;
  /** Insertion order is send order, which is the order receives look at (best effort, like SQS). */
  readonly messages: Map<string, StoredMessage>;
  readonly waiters: Set<() => void>;
}

type JournalEntry =
  | { op: 'queue'; name: string; settings: QueueSettings }
  | { op: 'send'; queue: string; message: StoredMessage }
  | { op: 'receive'; queue: string; id: string; receiveCount: number; visibleAt: number; firstReceivedAt: number; receiptHandle: string }
  | { op: 'visibility'; queue: string; id: string; visibleAt: number }
  | { op: 'delete'; queue: string; id: string }
  | { op: 'move'; from: string; to: string; id: string; visibleAt: number; deadLetterQueueSourceArn: string }
  | { op: 'purge'; queue: string };

interface Snapshot {
  readonly version: 1;
  /** Every journal up to and including this generation is folded into the snapshot. */
  readonly generation: number;
  readonly queues: readonly { name: string; settings: QueueSettings; messages: StoredMessage[] }[];
}

const SNAPSHOT_FILE = 'snapshot.json';
const JOURNAL_PATTERN = /^journal-(\d+)\.ndjson$/;

export function queueArn(region: string, name: string): string {
  return `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}`;
}

/** The queue name at the end of an SQS ARN. */
export function queueNameOfArn(arn: string): string | undefined {
  const match = /^arn:aws:sqs:[^:]*:[^:]*:([^:]+)$/.exec(arn);
  return match?.[1];
}

export type DeleteOutcome = 'deleted' | 'stale' | 'gone';

export class SqsStore {
  private readonly queues = new Map<string, QueueState>();
  private journalFd: number | undefined;
  private generation = 0;
  private journalEntries = 0;
  private closed = false;

  private constructor(
    private readonly dataDir: string | undefined,
    readonly region: string,
    private readonly clock: LocalClock,
  ) {}

  /**
   * Opens the store in `dataDir` (created if missing), or in memory only when no folder is given. Visibility
   * timeouts, delays, retention and long polls go by `clock` (the system's unless given).
   */
  static open(options: { dataDir?: string; region: string; clock?: LocalClock }): SqsStore {
    const store = new SqsStore(options.dataDir, options.region, options.clock ?? systemClock);
    if (options.dataDir !== undefined) {
      // Message bodies are the gateway's work items: readable by the owner only.
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      store.recover(options.dataDir);
    }
    return store;
  }

  /** The store's time, in ms since the epoch: what `sentAt`, `visibleAt` and deadlines are measured in. */
  now(): number {
    return this.clock.now();
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  /** The settings of an existing queue (check with `hasQueue` first). */
  settingsOf(name: string): QueueSettings {
    return this.queueOrThrow(name).settings;
  }

  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** Creates the queue or replaces its settings. */
  putQueue(name: string, settings: QueueSettings): void {
    this.record({ op: 'queue', name, settings });
  }

  send(queue: string, message: StoredMessage): void {
    this.record({ op: 'send', queue, message });
    // Also for a delayed message: sleeping long polls recompute when the next message becomes visible.
    this.wake(queue);
  }

  /**
   * Takes up to `max` visible messages, making each invisible for `visibilityTimeoutSeconds`. A message that
   * would be received more than its queue's `maxReceiveCount` times moves to the dead-letter queue instead.
   */
  take(queue: string, max: number, visibilityTimeoutSeconds: number, now = this.clock.now()): StoredMessage[] {
    const state = this.queueOrThrow(queue);
    this.dropExpired(state, now);
    const redrive = state.settings.redrivePolicy;
    const deadLetterQueue = redrive === undefined ? undefined : queueNameOfArn(redrive.deadLetterTargetArn);
    const taken: StoredMessage[] = [];
    for (const message of state.messages.values()) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (redrive !== undefined && deadLetterQueue !== undefined && message.receiveCount >= redrive.maxReceiveCount) {
        if (this.queues.has(deadLetterQueue)) {
          this.record({
            op: 'move',
            from: queue,
            to: deadLetterQueue,
            id: message.id,
            visibleAt: now,
            deadLetterQueueSourceArn: queueArn(this.region, queue),
          });
          this.wake(deadLetterQueue);
          continue;
        }
      }
      this.record({
        op: 'receive',
        queue,
        id: message.id,
        receiveCount: message.receiveCount + 1,
        visibleAt: now + visibilityTimeoutSeconds * 1000,
        firstReceivedAt: message.firstReceivedAt ?? now,
        receiptHandle: newReceiptHandle(message.id),
      });
      taken.push(message);
    }
    return taken;
  }

  /**
   * Like `take`, but when nothing is visible waits until something may be (a send, a visibility change, a
   * delay or timeout running out) or until `deadline`, whichever is first.
   */
  async takeWaiting(
    queue: string,
    max: number,
    visibilityTimeoutSeconds: number,
    deadline: number,
    signal: AbortSignal,
  ): Promise<StoredMessage[]> {
    for (;;) {
      if (this.closed || signal.aborted) return [];
      const taken = this.take(queue, max, visibilityTimeoutSeconds);
      const now = this.clock.now();
      if (taken.length > 0 || now >= deadline) return taken;
      const nextVisibleAt = this.nextVisibleAt(queue, now);
      await this.waitForWake(queue, Math.min(deadline, nextVisibleAt ?? deadline) - now, signal);
    }
  }

  /** Finds the message a receipt handle was issued for; undefined if the handle is not one of ours. */
  messageIdOfHandle(receiptHandle: string): string | undefined {
    const decoded = Buffer.from(receiptHandle, 'base64url').toString('utf8');
    const separator = decoded.lastIndexOf(':');
    if (separator <= 0 || !/^[0-9a-f]{32}$/.test(decoded.slice(separator + 1))) return undefined;
    return decoded.slice(0, separator);
  }

  /**
   * As SQS documents: only the most recent receipt handle deletes; an older one "succeeds" without deleting,
   * and a handle of a message already gone succeeds too.
   */
  delete(queue: string, messageId: string, receiptHandle: string): DeleteOutcome {
    const message = this.queueOrThrow(queue).messages.get(messageId);
    if (message === undefined) return 'gone';
    if (message.receiptHandle !== receiptHandle) return 'stale';
    this.record({ op: 'delete', queue, id: messageId });
    return 'deleted';
  }

  /** False when the message is not in flight under this handle (SQS's MessageNotInflight). */
  changeVisibility(queue: string, messageId: string, receiptHandle: string, timeoutSeconds: number): boolean {
    const message = this.queueOrThrow(queue).messages.get(messageId);
    const now = this.clock.now();
    if (message === undefined || message.receiptHandle !== receiptHandle || message.visibleAt <= now) return false;
    this.record({ op: 'visibility', queue, id: messageId, visibleAt: now + timeoutSeconds * 1000 });
    this.wake(queue);
    return true;
  }

  purge(queue: string): void {
    this.queueOrThrow(queue);
    this.record({ op: 'purge', queue });
  }

  depth(queue: string, now = this.clock.now()): QueueDepth {
    const state = this.queueOrThrow(queue);
    this.dropExpired(state, now);
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of state.messages.values()) {
      if (message.visibleAt <= now) visible += 1;
      else if (message.receiveCount > 0) inFlight += 1;
      else delayed += 1;
    }
    return { visible, inFlight, delayed };
  }

  /** Ends every long poll at once and closes the journal. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const state of this.queues.values()) for (const wake of state.waiters) wake();
    if (this.journalFd !== undefined) closeSync(this.journalFd);
    this.journalFd = undefined;
  }

  private queueOrThrow(name: string): QueueState {
    const state = this.queues.get(name);
    if (state === undefined) throw new Error(`No queue named ${name}`);
    return state;
  }

  private dropExpired(state: QueueState, now: number): void {
    const oldest = now - state.settings.messageRetentionSeconds * 1000;
    for (const message of state.messages.values()) {
      if (message.sentAt <= oldest) this.record({ op: 'delete', queue: state.name, id: message.id });
    }
  }

  private nextVisibleAt(queue: string, now: number): number | undefined {
    let next: number | undefined;
    for (const message of this.queueOrThrow(queue).messages.values()) {
      if (message.visibleAt > now && (next === undefined || message.visibleAt < next)) next = message.visibleAt;
    }
    return next;
  }

  private waitForWake(queue: string, ms: number, signal: AbortSignal): Promise<void> {
    const waiters = this.queueOrThrow(queue).waiters;
    return new Promise((resolve) => {
      const wake = (): void => {
        cancelTimer();
        waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const cancelTimer = this.clock.after(ms, wake);
      waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  private wake(queue: string): void {
    const state = this.queues.get(queue);
    if (state === undefined) return;
    for (const wake of [...state.waiters]) wake();
  }

  /** Applies a change to memory and appends it to the journal, so that replay repeats it exactly. */
  private record(entry: JournalEntry): void {
    if (this.closed) throw new Error('The SQS store is closed');
    this.apply(entry);
    if (this.journalFd === undefined) return;
    writeSync(this.journalFd, `${JSON.stringify(entry)}\n`);
    this.journalEntries += 1;
    if (this.journalEntries > 10_000 + 2 * this.messageCount()) this.compact();
  }

  private apply(entry: JournalEntry): void {
    switch (entry.op) {
      case 'queue': {
        const existing = this.queues.get(entry.name);
        if (existing === undefined) {
          this.queues.set(entry.name, { name: entry.name, settings: entry.settings, messages: new Map(), waiters: new Set() });
        } else {
          existing.settings = entry.settings;
        }
        return;
      }
      case 'send':
        this.queues.get(entry.queue)?.messages.set(entry.message.id, { ...entry.message });
        return;
      case 'receive': {
        const message = this.queues.get(entry.queue)?.messages.get(entry.id);
        if (message === undefined) return;
        message.receiveCount = entry.receiveCount;
        message.visibleAt = entry.visibleAt;
        message.firstReceivedAt = entry.firstReceivedAt;
        message.receiptHandle = entry.receiptHandle;
        return;
      }
      case 'visibility': {
        const message = this.queues.get(entry.queue)?.messages.get(entry.id);
        if (message !== undefined) message.visibleAt = entry.visibleAt;
        return;
      }
      case 'delete':
        this.queues.get(entry.queue)?.messages.delete(entry.id);
        return;
      case 'move': {
        const source = this.queues.get(entry.from);
        const target = this.queues.get(entry.to);
        const message = source?.messages.get(entry.id);
        if (source === undefined || target === undefined || message === undefined) return;
        source.messages.delete(entry.id);
        message.visibleAt = entry.visibleAt;
        message.deadLetterQueueSourceArn = entry.deadLetterQueueSourceArn;
        delete message.receiptHandle;
        target.messages.set(entry.id, message);
        return;
      }
      case 'purge':
        this.queues.get(entry.queue)?.messages.clear();
        return;
    }
  }

  private messageCount(): number {
    let count = 0;
    for (const state of this.queues.values()) count += state.messages.size;
    return count;
  }

  private recover(dataDir: string): void {
    const snapshotPath = join(dataDir, SNAPSHOT_FILE);
    let folded = 0;
    if (existsSync(snapshotPath)) {
      const snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8')) as Snapshot;
      if (snapshot.version !== 1) throw new Error(`${snapshotPath}: unknown snapshot version ${String(snapshot.version)}`);
      folded = snapshot.generation;
      for (const queue of snapshot.queues) {
        this.queues.set(queue.name, {
          name: queue.name,
          settings: queue.settings,
          messages: new Map(queue.messages.map((message) => [message.id, message])),
          waiters: new Set(),
        });
      }
    }
    const journals = journalGenerations(dataDir);
    for (const generation of journals) {
      if (generation <= folded) continue;
      const lines = readFileSync(journalPath(dataDir, generation), 'utf8').split('\n');
      for (const [index, line] of lines.entries()) {
        if (line === '') continue;
        let entry: JournalEntry;
        try {
          entry = JSON.parse(line) as JournalEntry;
        } catch (error) {
          // Only the very last line can be torn by a kill in the middle of a write.
          if (index === lines.length - 1) break;
          throw new Error(`${journalPath(dataDir, generation)}: line ${index + 1} is corrupt`, { cause: error });
        }
        this.apply(entry);
      }
    }
    this.generation = Math.max(folded, ...journals);
    this.compact();
  }

  /** Folds the state into a new snapshot and starts the next journal. */
  private compact(): void {
    const dataDir = this.dataDir;
    if (dataDir === undefined) return;
    const snapshot: Snapshot = {
      version: 1,
      generation: this.generation,
      queues: [...this.queues.values()].map((state) => ({
        name: state.name,
        settings: state.settings,
        messages: [...state.messages.values()],
      })),
    };
    const snapshotPath = join(dataDir, SNAPSHOT_FILE);
    const temporaryPath = `${snapshotPath}.${process.pid}.tmp`;
    writeFileSync(temporaryPath, JSON.stringify(snapshot), { mode: 0o600 });
    renameSync(temporaryPath, snapshotPath);
    if (this.journalFd !== undefined) closeSync(this.journalFd);
    for (const generation of journalGenerations(dataDir)) {
      if (generation <= this.generation) rmSync(journalPath(dataDir, generation), { force: true });
    }
    this.generation += 1;
    this.journalFd = openSync(journalPath(dataDir, this.generation), 'a', 0o600);
    this.journalEntries = 0;
  }
}

function journalPath(dataDir: string, generation: number): string {
  return join(dataDir, `journal-${generation}.ndjson`);
}

function journalGenerations(dataDir: string): number[] {
  return readdirSync(dataDir)
    .map((file) => JOURNAL_PATTERN.exec(file)?.[1])
    .filter((generation): generation is string => generation !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

function newReceiptHandle(messageId: string): string {
  return Buffer.from(`${messageId}:${randomBytes(16).toString('hex')}`, 'utf8').toString('base64url');
}
