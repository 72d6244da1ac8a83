// A real OpenID provider (oidc-provider, the certified Node.js implementation) on loopback for
// tests/neon_auth.rs. It stands in for https://oauth2.neon.tech: the same discovery document
// shape, authorization code + PKCE S256 for a public native client with a loopback redirect,
// refresh tokens with rotation, revocation and introspection.
//
// Configuration comes from the environment, so the Rust test decides everything:
//   OIDC_CLIENT_ID            the public client (default "neon-lsp-test")
//   OIDC_REDIRECT_URIS        comma-separated registered redirect URIs
//                             (default "http://127.0.0.1/callback"; a native client's loopback
//                             URI matches any port, RFC 8252 §7.3)
//   OIDC_INTROSPECTION_ID / OIDC_INTROSPECTION_SECRET
//                             a confidential client the Neon API mock uses to introspect tokens
//   OIDC_ACCESS_TOKEN_TTL     access token lifetime in seconds (default 3600)
//   OIDC_TOKEN_DELAY_MS       hold every token endpoint request this long (default 0), so two
//                             refreshing processes overlap for certain
//
// It listens on 127.0.0.1 and a free port, then prints one JSON line on stdout:
//   {"issuer": "http://127.0.0.1:PORT"}
// and exits when its stdin closes (the test holds it open). Test-only routes, which a real
// provider does not have:
//   GET  /__test/stats                   token requests by grant type, and how many failed
//   POST /__test/expire-refresh-tokens   makes every stored refresh token expired
//   POST /__test/drop-access-tokens      forgets every access token and nothing else, as a
//                                        provider does that revokes an access token alone
//                                        (oidc-provider's own revocation ends the whole grant)

import { createServer } from 'node:http';
import { Provider } from 'oidc-provider';

const env = process.env;
const clientId = env.OIDC_CLIENT_ID || 'neon-lsp-test';
const redirectUris = (env.OIDC_REDIRECT_URIS || 'http://127.0.0.1/callback')
  .split(',')
  .map((uri) => uri.trim())
  .filter(Boolean);
const introspectionId = env.OIDC_INTROSPECTION_ID || 'neon-api-mock';
const introspectionSecret = env.OIDC_INTROSPECTION_SECRET || 'introspection-secret-for-tests';
const accessTokenTtl = Number(env.OIDC_ACCESS_TOKEN_TTL || 3600);
const tokenDelayMs = Number(env.OIDC_TOKEN_DELAY_MS || 0);

// Storage the test can reach into (to expire refresh tokens), with the contract of the
// library's memory adapter: upsert/find/consume/destroy/revokeByGrantId and the lookups.
const stores = new Map();
class TestAdapter {
  constructor(model) {
    if (!stores.has(model)) stores.set(model, new Map());
    this.store = stores.get(model);
  }

  async upsert(id, payload) {
    this.store.set(id, { ...payload });
  }

  async find(id) {
    const payload = this.store.get(id);
    return payload ? { ...payload } : undefined;
  }

  async findByUid(uid) {
    for (const payload of this.store.values()) {
      if (payload.uid === uid) return { ...payload };
    }
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const payload of this.store.values()) {
      if (payload.userCode === userCode) return { ...payload };
    }
    return undefined;
  }

  async consume(id) {
    const payload = this.store.get(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    this.store.delete(id);
  }

  async revokeByGrantId(grantId) {
    for (const model of stores.values()) {
      for (const [id, payload] of model) {
        if (payload.grantId === grantId) model.delete(id);
      }
    }
  }
}

const stats = { token_requests: {}, token_errors: {} };
const bump = (table, key) => {
  table[key] = (table[key] || 0) + 1;
};

// Neon's scopes_supported plus its predefined project and organization scopes.
const scopes = [
  'openid',
  'offline',
  'offline_access',
  'urn:neoncloud:projects:read',
  'urn:neoncloud:orgs:read',
];

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    adapter: TestAdapter,
    clients: [
      {
        client_id: clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: redirectUris,
      },
      {
        client_id: introspectionId,
        client_secret: introspectionSecret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes,
    claims: { openid: ['sub'], email: ['email'] },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
    },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 120,
      Grant: 86400,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: 86400,
      Session: 86400,
    },
    cookies: { keys: ['neon-lsp-test-cookie-key'] },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: `${id}@example.test` };
        },
      };
    },
  });

  provider.on('grant.success', (ctx) => bump(stats.token_requests, ctx.oidc.params.grant_type));
  provider.on('grant.error', (ctx) => {
    const grantType = ctx.oidc?.params?.grant_type || 'unknown';
    bump(stats.token_requests, grantType);
    bump(stats.token_errors, grantType);
  });

  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/stats' && ctx.method === 'GET') {
      ctx.type = 'json';
      ctx.body = JSON.stringify(stats);
      return;
    }
    if (ctx.path === '/__test/expire-refresh-tokens' && ctx.method === 'POST') {
      const past = Math.floor(Date.now() / 1000) - 60;
      let expired = 0;
      for (const payload of stores.get('RefreshToken')?.values() ?? []) {
        payload.exp = past;
        expired += 1;
      }
      ctx.type = 'json';
      ctx.body = JSON.stringify({ expired });
      return;
    }
    if (ctx.path === '/__test/drop-access-tokens' && ctx.method === 'POST') {
      const tokens = stores.get('AccessToken');
      const dropped = tokens?.size ?? 0;
      tokens?.clear();
      ctx.type = 'json';
      ctx.body = JSON.stringify({ dropped });
      return;
    }
    if (tokenDelayMs > 0 && ctx.path === '/token') {
      await new Promise((resolve) => setTimeout(resolve, tokenDelayMs));
    }
    await next();
  });

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

// The test stops reading our stdout early; a later write must not crash the provider.
process.stdout.on('error', () => {});

// The test closes our stdin when it is done; exit then, so no provider outlives its test.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
