import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayEvent } from '../events/types.ts';
import { fromGatewayEvent } from './from-gateway-event.ts';

function gatewayEvent(overrides: Partial<GatewayEvent> = {}): GatewayEvent {
  return {
    id: '00000000-0000-4000-8000-000000000000', time: 1_900_000_000_000, clientIp: '203.0.113.7', clientSubnet: '203.0.113.0/24', peerIp: '10.0.0.1',
    method: 'GET', host: 'api.example.com', rawPath: '/v1/users/+15551234567/status?api_key=secret', path: '/v1/users/+15551234567/status',
    upstream: 'accounts', template: '/v1/users/{phone}/status', operationId: 'getAccountStatus', class: 'documented', mode: 'enforce',
    decision: 'forwarded', code: null, status: 200, latencyMs: 12, upstreamLatencyMs: 10, bytesIn: 0, bytesOut: 512,
    userAgent: 'okhttp/4.12.0', limit: null, principal: 'apikey:app-public', auth: 'authenticated',
    ...overrides,
  };
}

describe('fromGatewayEvent', () => {
  it('carries what detection needs, with the API key id taken from the principal', () => {
    const e = fromGatewayEvent(gatewayEvent(), { fingerprint: 'abc123abc123', identifiers: ['+15551234567'], sensitiveCount: 2 });
    assert.deepEqual(e, {
      time: 1_900_000_000_000, clientIp: '203.0.113.7', subnet: '203.0.113.0/24', apiKey: 'app-public', principal: 'apikey:app-public',
      fingerprint: 'abc123abc123', method: 'GET', operation: 'getAccountStatus', class: 'documented', status: 200, bytesOut: 512,
      identifiers: ['+15551234567'], isAuthFailure: false, account: null, sensitiveCount: 2, target: '/v1/users/+15551234567/status',
    });
  });

  it("names an operation without an id by 'METHOD template', and a path without one as null", () => {
    assert.equal(fromGatewayEvent(gatewayEvent({ operationId: null }), { fingerprint: null }).operation, 'GET /v1/users/{phone}/status');
    assert.equal(fromGatewayEvent(gatewayEvent({ operationId: null, template: null, class: 'unknown' }), { fingerprint: null }).operation, null);
    assert.equal(fromGatewayEvent(gatewayEvent({ operationId: null, template: null, class: 'shadow' }), { fingerprint: null, operation: 'GET /internal/users/{id}' }).operation, 'GET /internal/users/{id}');
  });

  it('counts refusals by access control and failed logins as auth failures, not other 401s', () => {
    const denied = gatewayEvent({ decision: 'denied', status: 401, auth: 'invalid', principal: null });
    assert.equal(fromGatewayEvent(denied, { fingerprint: null }).isAuthFailure, true);
    assert.equal(fromGatewayEvent(gatewayEvent({ decision: 'denied', status: 403, auth: 'forbidden' }), { fingerprint: null }).isAuthFailure, true);
    const login = gatewayEvent({ method: 'POST', operationId: 'login', status: 401, principal: null, auth: 'public' });
    assert.equal(fromGatewayEvent(login, { fingerprint: null, isLogin: true, account: 'ann@example.com' }).isAuthFailure, true);
    assert.equal(fromGatewayEvent(login, { fingerprint: null }).isAuthFailure, false, 'a 401 from upstream on another operation');
    assert.equal(fromGatewayEvent(gatewayEvent({ decision: 'denied', status: 503, auth: 'unavailable' }), { fingerprint: null }).isAuthFailure, false);
  });

  it('never copies the query into the example target (it may hold credentials)', () => {
    assert.equal(fromGatewayEvent(gatewayEvent({ path: null, class: 'rejected' }), { fingerprint: null }).target, '/v1/users/+15551234567/status');
  });

  it('passes a body-decided miss through', () => {
    assert.equal(fromGatewayEvent(gatewayEvent(), { fingerprint: null, isMiss: true }).isMiss, true);
    assert.equal('isMiss' in fromGatewayEvent(gatewayEvent(), { fingerprint: null }), false);
  });
});
