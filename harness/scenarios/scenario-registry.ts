import { inventoryScenario } from './inventory-scenario.ts';
import type { Scenario } from './scenario.ts';
import { ticketsScenario } from './tickets-scenario.ts';

// The built-in scenarios; a strategy names one with `scenario: 'inventory'`.
// biome-ignore lint/suspicious/noExplicitAny: scenarios differ in case and request types
const scenarios = new Map<string, Scenario<any, any>>([
  [ticketsScenario.name, ticketsScenario],
  [inventoryScenario.name, inventoryScenario],
]);

/** Adds a scenario (the inventory scenario, or a user's own schema). */
// biome-ignore lint/suspicious/noExplicitAny: scenarios differ in case and request types
export function registerScenario(scenario: Scenario<any, any>): void {
  scenarios.set(scenario.name, scenario);
}

// biome-ignore lint/suspicious/noExplicitAny: scenarios differ in case and request types
export function findScenario(name: string): Scenario<any, any> | undefined {
  return scenarios.get(name);
}

export function scenarioNames(): string[] {
  return [...scenarios.keys()];
}
