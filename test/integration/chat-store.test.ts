/**
 * The chat's storing rules, on both engines, with a database made slow or forgetful on purpose
 * (a Kysely plugin that holds or drops the answer of an insert after it committed): a line is
 * stored and returned, or refused and never seen; lines keep the order they were sent in.
 */
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DatabaseUnreachableError } from '../../server/src/db/unreachable';
import { mapError } from '../../server/src/errors';
import { Chat } from '../../server/src/sittings/chat';
import type { Identity } from '../../server/src/sittings/participant';
import { testDatabases, type TestDatabase } from '../support/databases';

/** What happens to the answer of each chat insert, after the insert committed. */
type Answer = { delayMs: number; lose?: boolean };

/** Holds (or loses) the answers of inserts into chat_messages, one Answer per insert in order. */
class Answers implements KyselyPlugin {
  readonly plan: Answer[] = [];
  readonly #inserts = new WeakSet<object>();

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'chat_messages') {
      this.#inserts.add(queryId);
    }
    return node;
  }

  async transformResult({ queryId, result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (!this.#inserts.has(queryId)) return result;
    const answer = this.plan.shift() ?? { delayMs: 0 };
    await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (answer.lose) throw new Error('Query read timeout');
    return result;
  }
}

const operator: Identity = { subject: 'operator:alfa', name: 'Ditta Alfa', role: 'operator' };

describe.each(testDatabases())('chat lines on %s', (_kind, target) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await target.open();
  });
  afterAll(() => database?.close());

  async function sittingChat(storeDeadlineMs?: number) {
    const { id } = await database.handle.db
      .insertInto('sittings')
      .values({ title: 'Seduta', kind: 'public', status: 'live', created_by: 'test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const answers = new Answers();
    const chat = new Chat(
      database.handle.db.withPlugin(answers),
      id,
      storeDeadlineMs ? { storeDeadlineMs } : {},
    );
    const stored = async () =>
      (
        await database.handle.db
          .selectFrom('chat_messages')
          .select('text')
          .where('sitting_id', '=', id)
          .orderBy('created_at')
          .execute()
      ).map((r) => r.text);
    return { chat, answers, stored };
  }

  it('keeps the order in which lines were sent, however long each insert takes', async () => {
    const { chat, answers, stored } = await sittingChat();
    answers.plan.push({ delayMs: 120 }, { delayMs: 0 }, { delayMs: 60 }, { delayMs: 0 });
    const texts = ['uno', 'due', 'tre', 'quattro'];
    const returned: string[] = [];
    await Promise.all(texts.map((t) => chat.send(operator, 'p1', t).then((m) => returned.push(m.text))));
    expect(returned).toEqual(texts);
    expect(await stored()).toEqual(texts);
    expect((await chat.history()).map((m) => m.text)).toEqual(texts);
  });

  it('refuses a line not stored by its deadline, hides it, and withdraws it once its insert is done', async () => {
    const { chat, answers, stored } = await sittingChat(200);
    answers.plan.push({ delayMs: 600 });
    const t0 = Date.now();
    const refused = await chat.send(operator, 'p1', 'troppo tardi').catch((err: unknown) => err);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(refused).toBeInstanceOf(DatabaseUnreachableError);
    expect(mapError(refused).body.error.code).toBe('unavailable');
    // Committed meanwhile, but nobody sees it, and then it is gone.
    expect(await stored()).toEqual(['troppo tardi']);
    expect(await chat.history()).toEqual([]);
    await vi.waitFor(async () => expect(await stored()).toEqual([]), { timeout: 5000, interval: 100 });
    await expect(chat.send(operator, 'p1', 'di nuovo')).resolves.toMatchObject({ text: 'di nuovo' });
    expect((await chat.history()).map((m) => m.text)).toEqual(['di nuovo']);
  });

  it('refuses at once the lines queued behind one whose answer was lost, and withdraws that one', async () => {
    const { chat, answers, stored } = await sittingChat();
    answers.plan.push({ delayMs: 300, lose: true });
    const sent = ['persa', 'in coda 1', 'in coda 2'].map((t) =>
      chat.send(operator, 'p1', t).then(
        () => 'ok',
        (err: unknown) => mapError(err).body.error.code,
      ),
    );
    expect(await Promise.all(sent)).toEqual(['unavailable', 'unavailable', 'unavailable']);
    await vi.waitFor(async () => expect(await stored()).toEqual([]), { timeout: 5000, interval: 100 });
    await expect(chat.send(operator, 'p1', 'dopo')).resolves.toMatchObject({ text: 'dopo' });
    expect(await stored()).toEqual(['dopo']);
  });
});
