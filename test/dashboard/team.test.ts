import { backends } from '../support/backends.js';
import { DashboardBrowser, newUser } from '../support/dashboard.js';
import { request, SEED_004_SAMPLE } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import type { Role } from '../../src/services/principal.js';

const MEMBERS = `{ teamMembers { id email role status } invitations { id email role } }`;
const INVITE = `mutation($email: String!, $role: Role!) { inviteTeamMember(email: $email, role: $role) {
  invitation { id email role createdAt expiresAt } url userErrors { field message code } } }`;
const UPDATE = `mutation($id: ID!, $role: Role!) { updateTeamMemberRole(id: $id, role: $role) {
  member { id role } userErrors { field message code } } }`;
const REMOVE = `mutation($id: ID!) { removeTeamMember(id: $id) { member { id status } userErrors { code } } }`;
const ACCEPT = `mutation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) {
  viewer { user { email role } role merchant { id } } userErrors { field message code } } }`;

const code = (answer: { errors?: { extensions?: Record<string, any> }[] }) =>
  answer.errors?.[0]?.extensions?.code;
const tokenOf = (url: string) => url.split('#/invite/')[1]!;

describe.each(backends)('dashboard team and roles (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;

  beforeAll(async () => {
    app = await startTill({ backend });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Team shop');
  });

  async function as(role: Role) {
    const user = await newUser(app, merchant.merchant_id, role);
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    return Object.assign(browser, { user });
  }

  it('an analyst’s forged writes are FORBIDDEN and change nothing', async () => {
    const analyst = await as('analyst');
    const payment = (
      await request(app.url, 'POST', '/v1/payments/hpp', {
        key: merchant.test_secret_key,
        body: SEED_004_SAMPLE,
      })
    ).json;
    const keysBefore = (await analyst.gql('{ payments(first: 5) { edges { node { id } } } }')).data;
    expect(keysBefore.payments.edges).toHaveLength(1);
    const forged = [
      `mutation { refundPayment(paymentId: "${payment.id}", amount: 100) { userErrors { code } } }`,
      `mutation { cancelPayment(id: "${payment.id}") { userErrors { code } } }`,
      'mutation { createApiKey(type: SECRET) { secret } }',
      'mutation { createWebhookEndpoint(input: { url: "https://hooks.example.com/x", enabledEvents: ["*"] }) { userErrors { code } } }',
      `mutation { inviteTeamMember(email: "x@example.com", role: ANALYST) { url } }`,
    ];
    for (const query of forged) {
      const answer = await analyst.gql(query);
      expect([query, code(answer)]).toEqual([query, 'FORBIDDEN']);
      expect(answer.data).toBeNull();
    }
    // Nothing changed: the payment is still pending, no key, no endpoint, no invitation.
    const owner = await as('owner');
    const after = await owner.gql(
      `{ payment(id: "${payment.id}") { status amountRefunded } apiKeys { id } webhookEndpoints { id } invitations { id } }`,
    );
    expect(after.data.payment).toEqual({ status: 'PENDING', amountRefunded: 0 });
    expect(after.data.apiKeys).toHaveLength(2);
    expect(after.data.webhookEndpoints).toEqual([]);
    expect(after.data.invitations).toEqual([]);
    // Reading is allowed.
    expect((await analyst.gql(MEMBERS)).data.teamMembers).toHaveLength(2);
  });

  it('a developer cannot invite; an admin cannot make an owner; API keys never see the team', async () => {
    const developer = await as('developer');
    expect(code(await developer.gql(INVITE, { email: 'new@example.com', role: 'ANALYST' }))).toBe(
      'FORBIDDEN',
    );
    const admin = await as('admin');
    expect(code(await admin.gql(INVITE, { email: 'boss@example.com', role: 'OWNER' }))).toBe('FORBIDDEN');
    expect(code(await admin.gql(UPDATE, { id: developer.user.id, role: 'OWNER' }))).toBe('FORBIDDEN');
    const keyed = await request(app.url, 'POST', '/graphql', {
      key: merchant.test_secret_key,
      body: { query: MEMBERS },
    });
    expect(keyed.json.errors[0].extensions.code).toBe('FORBIDDEN');
    // An admin may manage the other roles.
    expect(
      (await admin.gql(UPDATE, { id: developer.user.id, role: 'ANALYST' })).data.updateTeamMemberRole,
    ).toEqual({
      member: { id: developer.user.id, role: 'ANALYST' },
      userErrors: [],
    });
    // The demoted developer's next request carries the new role.
    expect(code(await developer.gql('mutation { createApiKey(type: SECRET) { secret } }'))).toBe('FORBIDDEN');
  });

  it('the last owner stays: cannot be demoted or removed, until there is another', async () => {
    const owner = await as('owner');
    const demote = await owner.gql(UPDATE, { id: owner.user.id, role: 'ADMIN' });
    expect(demote.data.updateTeamMemberRole.userErrors[0].code).toBe('invalid_request');
    expect((await owner.gql(REMOVE, { id: owner.user.id })).data.removeTeamMember.userErrors[0].code).toBe(
      'invalid_request',
    );
    const second = await newUser(app, merchant.merchant_id, 'admin');
    expect(
      (await owner.gql(UPDATE, { id: second.id, role: 'OWNER' })).data.updateTeamMemberRole.member.role,
    ).toBe('OWNER');
    expect(
      (await owner.gql(UPDATE, { id: owner.user.id, role: 'ADMIN' })).data.updateTeamMemberRole.member.role,
    ).toBe('ADMIN');
    const members = (await owner.gql(MEMBERS)).data.teamMembers;
    expect(members.filter((m: any) => m.role === 'OWNER').map((m: any) => m.id)).toEqual([second.id]);
  });

  it('invitations: accepted once with a password, signs the new member in; revoked or expired links refused', async () => {
    const admin = await as('admin');
    const invited = (await admin.gql(INVITE, { email: 'newbie@example.com', role: 'DEVELOPER' })).data
      .inviteTeamMember;
    expect(invited.userErrors).toEqual([]);
    expect(invited.url).toMatch(
      new RegExp(`^${app.till.config.publicUrl}/dashboard/#/invite/[A-Za-z0-9_-]{43}$`),
    );
    expect(invited.invitation.expiresAt - invited.invitation.createdAt).toBe(7 * 24 * 3600);
    const token = tokenOf(invited.url);
    // Listed without its link; the token is stored only hashed, never logged.
    expect((await admin.gql(MEMBERS)).data.invitations).toEqual([
      { id: invited.invitation.id, email: 'newbie@example.com', role: 'DEVELOPER' },
    ]);
    const stored = await app.till.db.em.fork().execute('select * from dashboard_invitation');
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(app.logs.join('\n')).not.toContain(token);

    const newbie = new DashboardBrowser(app.url);
    const short = await newbie.gql(ACCEPT, { token, password: 'short' });
    expect(short.data.acceptInvitation.userErrors[0].field).toEqual(['password']);
    const accepted = await newbie.gql(ACCEPT, { token, password: 'a long enough password' });
    expect(accepted.data.acceptInvitation).toEqual({
      viewer: {
        user: { email: 'newbie@example.com', role: 'DEVELOPER' },
        role: 'DEVELOPER',
        merchant: { id: merchant.merchant_id },
      },
      userErrors: [],
    });
    expect((await newbie.gql('{ viewer { user { email } } }')).data.viewer.user.email).toBe(
      'newbie@example.com',
    );
    const again = await new DashboardBrowser(app.url).gql(ACCEPT, {
      token,
      password: 'another long password',
    });
    expect(again.data.acceptInvitation.userErrors[0].code).toBe('invalid_request');
    expect((await admin.gql(MEMBERS)).data.invitations).toEqual([]);

    // Revoked and expired links do not work.
    const revokedUrl = (await admin.gql(INVITE, { email: 'gone@example.com', role: 'ANALYST' })).data
      .inviteTeamMember;
    const revoked = await admin.gql(
      `mutation($id: ID!) { revokeInvitation(id: $id) { invitation { id } userErrors { code } } }`,
      {
        id: revokedUrl.invitation.id,
      },
    );
    expect(revoked.data.revokeInvitation.userErrors).toEqual([]);
    const expiredUrl = (await admin.gql(INVITE, { email: 'late@example.com', role: 'ANALYST' })).data
      .inviteTeamMember;
    await app.till.db.em
      .fork()
      .execute(`update dashboard_invitation set expires_at = now() - interval '1 second' where id = ?`, [
        expiredUrl.invitation.id,
      ]);
    for (const url of [
      revokedUrl.url,
      expiredUrl.url,
      `${app.till.config.publicUrl}/dashboard/#/invite/${'A'.repeat(43)}`,
    ]) {
      const answer = await new DashboardBrowser(app.url).gql(ACCEPT, {
        token: tokenOf(url),
        password: 'a long enough password',
      });
      expect(answer.data.acceptInvitation.viewer).toBeNull();
      expect(answer.data.acceptInvitation.userErrors[0].field).toEqual(['token']);
    }
    // An email that already has a user cannot be invited again.
    const dup = await admin.gql(INVITE, { email: 'NEWBIE@example.com', role: 'ANALYST' });
    expect(dup.data.inviteTeamMember.userErrors[0].field).toEqual(['email']);
    const bad = await admin.gql(INVITE, { email: 'not an email', role: 'ANALYST' });
    expect(bad.data.inviteTeamMember.userErrors[0].field).toEqual(['email']);
  });

  it('removing a member ends their sessions at once; they no longer sign in', async () => {
    const owner = await as('owner');
    const member = await as('developer');
    expect((await member.gql('{ viewer { role } }')).data.viewer.role).toBe('DEVELOPER');
    const removed = await owner.gql(REMOVE, { id: member.user.id });
    expect(removed.data.removeTeamMember).toEqual({
      member: { id: member.user.id, status: 'disabled' },
      userErrors: [],
    });
    expect((await member.gql('{ viewer { role } }')).data.viewer).toBeNull();
    const retry = await new DashboardBrowser(app.url).signIn(member.user.email, member.user.password);
    expect(retry.data.signIn.userErrors[0].code).toBe('invalid_credentials');
    expect((await owner.gql(MEMBERS)).data.teamMembers.map((m: any) => m.id)).toEqual([owner.user.id]);
    // Another merchant's member is not found.
    const stranger = await newUser(app, (await newMerchant(app)).merchant_id, 'analyst');
    expect(code(await owner.gql(REMOVE, { id: stranger.id }))).toBe('NOT_FOUND');
    const actions = await app.till.db.em
      .fork()
      .execute(
        `select action from audit_log where merchant_id = ? and action like 'dashboard_user.%' order by seq`,
        [merchant.merchant_id],
      );
    expect(actions.map((a: any) => a.action)).toContain('dashboard_user.removed');
  });
});
