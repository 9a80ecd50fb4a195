import type { BuyerSite } from '../engine/run-case.ts';
import type { Workspace } from '../engine/workspace.ts';
import { BuyerEndpoint } from './buyer-endpoint.ts';
import { serverTarget } from './server-target.ts';

const byWorkspace = new WeakMap<Workspace, Map<number, Promise<BuyerEndpoint>>>();

/**
 * The gate of `site`'s buyer, opened on first use and closed with its
 * workspace: one stable URL per buyer for the whole check.
 */
export function endpointFor(site: BuyerSite): Promise<BuyerEndpoint> {
  const { workspace, buyerId } = site;
  let endpoints = byWorkspace.get(workspace);
  if (!endpoints) {
    const opened = new Map<number, Promise<BuyerEndpoint>>();
    endpoints = opened;
    byWorkspace.set(workspace, opened);
    workspace.onClose(async () => {
      const all = await Promise.allSettled(opened.values());
      await Promise.all(
        all.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)),
      );
    });
  }
  let endpoint = endpoints.get(buyerId);
  if (!endpoint) {
    const target = serverTarget(
      workspace.serverUrl,
      workspace.buyerSessionOptions(buyerId, { forced: false }),
    );
    endpoint = BuyerEndpoint.open(buyerId, target);
    endpoints.set(buyerId, endpoint);
  }
  return endpoint;
}
