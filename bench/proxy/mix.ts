/**
 * The request mix of the proxy benchmark, for the open-loop generator.
 * It is the same list as mix.lua (which wrk runs): keep the two in step.
 * Every request is a documented operation of openapi.yaml: 7 GETs of
 * different shapes and one small JSON POST in 8, with varying ids.
 */

export interface MixRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  Accept: 'application/json',
  Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjdXNfMTA0MiJ9.c2lnbmF0dXJl',
  'User-Agent': 'storefront-app/5.2 (bench)',
};

export function requestMix(): MixRequest[] {
  const mix: MixRequest[] = [];
  for (let i = 1; i <= 16; i++) {
    const n = 1000 + i * 37;
    mix.push(
      { method: 'GET', path: `/api/v1/customers/cus_${n}` },
      { method: 'GET', path: `/api/v1/customers/cus_${n}/orders/ord_${n * 3}` },
      { method: 'GET', path: `/api/v1/products/SKU-${n % 500}/reviews?limit=10` },
      { method: 'GET', path: '/api/v1/orders?status=open&limit=20' },
      { method: 'GET', path: `/api/v1/orders/ord_${n}/shipments/shp_${i % 4}/tracking` },
      { method: 'GET', path: '/api/v1/customers/me' },
      { method: 'POST', path: `/api/v1/carts/cart_${n}/items`, body: `{"sku":"SKU-${n % 500}","quantity":${(i % 3) + 1}}` },
      { method: 'GET', path: `/api/v1/products/SKU-${n % 500}` },
    );
  }
  return mix;
}

/** One HTTP/1.1 request as bytes, as wrk.format would write it. */
export function formatRequest(r: MixRequest, host: string): Buffer {
  let head = `${r.method} ${r.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of Object.entries(COMMON_HEADERS)) head += `${name}: ${value}\r\n`;
  if (r.body !== undefined) {
    head += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(r.body)}\r\n`;
  }
  return Buffer.from(`${head}\r\n${r.body ?? ''}`, 'latin1');
}
