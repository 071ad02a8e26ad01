import * as z from 'zod';
import { env, type QueueName } from '../lib/topology.ts';

/**
 * Reads and checks a function's configuration once, at module load. A missing or malformed variable
 * fails the cold start loudly with the variable's name, instead of failing some request later.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const parsed = z.object(shape).safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** The table every repository of this function uses. */
export function tableNameFromEnv(source: NodeJS.ProcessEnv = process.env): string {
  return loadConfig({ [env.tableName]: z.string().min(1) }, source)[env.tableName] as string;
}

/**
 * URLs of the queues a function may send to (its `access.sendTo` in the topology). A function's environment
 * holds only those, so asking for one it may not use fails at start-up rather than at the first send.
 */
export function queueUrlsFromEnv(
  queues: readonly QueueName[],
  source: NodeJS.ProcessEnv = process.env,
): Record<QueueName, string | undefined> {
  const shape = Object.fromEntries(queues.map((queue) => [env.queueUrl(queue), z.url()]));
  const parsed = loadConfig(shape, source);
  return Object.fromEntries(queues.map((queue) => [queue, parsed[env.queueUrl(queue)]])) as Record<
    QueueName,
    string | undefined
  >;
}
