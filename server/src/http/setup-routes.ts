/**
 * First run (auth/first-run.ts), over HTTP:
 * - `GET /api/setup` → `{ state: 'pending' | 'done', minPasswordLength }`: whether the server still
 *   waits for its first administrator (the sign-in page then says where the setup link is);
 * - `POST /api/setup` {token, name, email, password} → 201 `{user, csrfToken}` and the session
 *   cookie: the first administrator, signed in. 409 once an administrator exists, 403 for a bad,
 *   used or expired token, 400 naming the rule a field breaks.
 * On start the feature issues the token when no administrator exists, and prints the link once
 * the server listens. Who may call each route is in auth/http-permissions.ts (anyone).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AppDeps } from '../app';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../auth/config';
import { cookieOptions, type CookiePolicy } from '../auth/cookies';
import { FirstRun } from '../auth/first-run';
import { SESSION_COOKIE, SESSION_TTL_MS } from '../auth/sessions';

/** What `GET /api/setup` answers. */
export interface SetupStatus {
  state: 'pending' | 'done';
  minPasswordLength: number;
}

const SetupBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.String({ minLength: 1, maxLength: 254 }),
    // Longer than the policy allows, so that the policy (not the schema) names the rule.
    password: Type.String({ maxLength: MAX_PASSWORD_LENGTH * 4 }),
  },
  { additionalProperties: false },
);

async function setupFeature(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { config, logger } = deps;
  const firstRun = new FirstRun({ db: deps.db.db, logger });
  // A database that is down must not keep the server from starting (health reports it instead).
  await firstRun
    .prepare()
    .catch((err: unknown) => logger.error({ err }, 'could not check whether an administrator exists'));
  app.addHook('onListen', async () => {
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const scheme = app.initialConfig.https ? 'https' : 'http';
    firstRun.announce(config.publicOrigins[0] ?? `${scheme}://localhost:${port}`);
  });
  // The same policy the sign-in's cookie follows (auth/plugin.ts).
  const cookies: CookiePolicy = { publicOrigins: config.publicOrigins };

  app.get('/api/setup', async (_req, reply): Promise<SetupStatus> => {
    void reply.header('cache-control', 'no-store');
    return {
      state: (await firstRun.pending()) ? 'pending' : 'done',
      minPasswordLength: MIN_PASSWORD_LENGTH,
    };
  });

  app.post<{ Body: Static<typeof SetupBody> }>(
    '/api/setup',
    { schema: { body: SetupBody } },
    async (req, reply) => {
      const { token, session } = await firstRun.complete(req.body, req.ip);
      void reply.setCookie(SESSION_COOKIE, token, cookieOptions(req, cookies, SESSION_TTL_MS));
      return reply.code(201).send({ user: session.user, csrfToken: session.csrfToken });
    },
  );
}

/** The first-run feature; register it after the access feature (its guard covers these routes). */
export const setupPlugin = fp(setupFeature, { name: 'setup', dependencies: ['access'] });
