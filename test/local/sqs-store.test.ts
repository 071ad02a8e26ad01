import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../lib/local/clock.ts';
import { SqsStore, type QueueSettings, type StoredMessage } from '../../lib/local/sqs-store.ts';
import { freshDir, removeFreshDirs } from './helpers.ts';

const settings: QueueSettings = {
  visibilityTimeoutSeconds: 30,
  delaySeconds: 0,
  receiveMessageWaitTimeSeconds: 0,
  messageRetentionSeconds: 345_600,
  maximumMessageSize: 1_048_576,
  createdAt: 0,
  lastModifiedAt: 0,
};

function message(id: string, sentAt = Date.now()): StoredMessage {
  return { id, body: id, md5OfBody: '', messageAttributes: {}, senderId: 'local', sentAt, visibleAt: sentAt, receiveCount: 0 };
}

afterAll(removeFreshDirs);

describe('SQS store journal', () => {
  it('folds a long journal into a snapshot as it goes, and recovers the same state from it', async () => {
    const dataDir = freshDir('sqs-compact');
    const store = SqsStore.open({ dataDir, region: 'local' });
    store.putQueue('work', settings);
    for (let index = 0; index < 6_000; index += 1) store.send('work', message(`m${index}`));
    const taken = store.take('work', 6_000, 30);
    for (const received of taken.slice(0, 5_990)) store.delete('work', received.id, received.receiptHandle ?? '');
    const depthBefore = store.depth('work');
    const journalsWhileRunning = readdirSync(dataDir).filter((file) => file.startsWith('journal-'));
    store.close();

    const reopened = SqsStore.open({ dataDir, region: 'local' });

    expect(depthBefore).toEqual({ visible: 0, inFlight: 10, delayed: 0 });
    // The first journal (generation 1) was folded away while the store ran.
    expect(journalsWhileRunning).toEqual(['journal-2.ndjson']);
    expect(reopened.depth('work')).toEqual(depthBefore);
    expect(readdirSync(dataDir).filter((file) => file.startsWith('journal-'))).toHaveLength(1);
    reopened.close();
  });

  it('drops messages older than the queue’s retention period', () => {
    const clock = new ManualClock();
    const store = SqsStore.open({ region: 'local', clock });
    store.putQueue('work', { ...settings, messageRetentionSeconds: 60 });
    store.send('work', message('old', clock.now()));
    clock.advance(30_000);
    store.send('work', message('new', clock.now()));
    clock.advance(30_001);

    const taken = store.take('work', 10, 30);

    expect(taken.map((received) => received.id)).toEqual(['new']);
    expect(store.depth('work')).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    store.close();
  });
});
