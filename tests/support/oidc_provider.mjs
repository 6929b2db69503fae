// A real OpenID provider for the tests (the npm package oidc-provider), on loopback.
//
// Environment: PORT; CLIENTS (JSON list of {client_id, client_secret, redirect_uris}); ACCOUNTS (JSON object:
// subject -> claims such as {email, email_verified, settle_role}).
// The login interaction is a form for tests: POST /interaction/:uid/login with `sub`, and optionally `amr`
// (comma-separated) and `acr`; consent is granted at once for the requested scopes and claims.
// OIDC_PROVIDER_MODULE may name the package's entry file elsewhere (default: the repository's node_modules).
const { default: Provider } = await import(process.env.OIDC_PROVIDER_MODULE || 'oidc-provider');

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}${process.env.ISSUER_PATH || ''}`; // ISSUER_PATH: such as '/', as some providers write it
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');
const clients = JSON.parse(process.env.CLIENTS || '[]').map((client) => ({
  grant_types: ['authorization_code'], response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic', ...client,
}));

const provider = new Provider(issuer, {
  clients,
  pkce: { required: () => true },
  acrValues: ['urn:settle:mfa', 'urn:settle:pwd'],
  claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name', 'settle_role'] },
  conformIdTokenClaims: false, // put the requested claims into the ID token itself
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['settle-test-only-cookie-key'] },
  async findAccount(ctx, sub) {
    if (!accounts[sub]) return undefined;
    return { accountId: sub, async claims() { return { sub, ...accounts[sub] }; } };
  },
});
provider.proxy = false;

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

const callback = provider.callback();
const server = (await import('node:http')).createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'consent') {
      const grant = details.grantId ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'settle_role']);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    if (req.method === 'POST' && match[2]) {
      const form = await readForm(req);
      const login = { accountId: form.get('sub') };
      if (form.get('amr')) login.amr = form.get('amr').split(',');
      if (form.get('acr')) login.acr = form.get('acr');
      return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
    }
    res.setHeader('content-type', 'text/html');
    res.end(`<form method="post" action="/interaction/${match[1]}/login"><input name="sub"><button>Sign in</button></form>`);
  } catch (error) {
    res.statusCode = 400;
    res.end(String(error));
  }
});
server.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
