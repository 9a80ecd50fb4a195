import { type BuyerDb, type BuyerGate, gateOf } from '../engine/buyer-gate.ts';
import type { BuyerSite } from '../engine/run-case.ts';
import type { BuyerEndpoint } from './buyer-endpoint.ts';
import { endpointFor } from './buyer-endpoints.ts';
import { type CommandSpec, runCommandBuyer, startNextProgram } from './command-buyer.ts';

/** What a `connect: 'url'` strategy's purchase() receives beside the request. */
export interface WireConnectContext {
  /** This buyer's gate: every connection made with it is this buyer's. */
  readonly databaseUrl: string;
}

type Purchase = (db: BuyerDb, request: unknown, site?: BuyerSite) => Promise<unknown>;

/** purchase(db, request) for a `connect: 'url'` strategy: its code gets its gate's URL instead of `db`. */
export function urlPurchase(
  purchase: (request: unknown, context: WireConnectContext) => Promise<unknown>,
): Purchase {
  return (db, request, site) =>
    throughGate(db, site, (endpoint) => purchase(request, { databaseUrl: endpoint.url }), false);
}

/** purchase(db, request) for a command strategy: runs its program once for this buyer. */
export function commandPurchase(spec: CommandSpec): Purchase {
  return (db, request, site) =>
    throughGate(
      db,
      site,
      (endpoint, gate) => runCommandBuyer(spec, endpoint, gate, request),
      true,
      // The next run's program starts now, outside any run: its start-up is not scheduled.
      (endpoint) => startNextProgram(spec, endpoint),
    );
}

async function throughGate<T>(
  db: BuyerDb,
  site: BuyerSite | undefined,
  body: (endpoint: BuyerEndpoint, gate: BuyerGate) => Promise<T>,
  clientsGone: boolean,
  after?: (endpoint: BuyerEndpoint) => void,
): Promise<T> {
  const gate = gateOf(db);
  if (!gate || !site) {
    throw new Error(
      "this strategy connects through oversold's wire gate and runs only under oversold check or replay (not with --isolate: its buyers already run in their own processes)",
    );
  }
  const endpoint = await endpointFor(site);
  try {
    return await endpoint.during(gate, () => body(endpoint, gate), { clientsGone });
  } finally {
    after?.(endpoint);
  }
}
