/**
 * oversold: finds overselling races in purchase code by forcing exact
 * interleavings of buyers on a real PostgreSQL.
 */

export type { BenchReport, BenchResult, LastTicketsResult } from './harness/bench/bench-report.ts';
export type { BenchSettings } from './harness/bench/bench-settings.ts';
export { BenchSettingsError, benchSettings, defaultBenchSettings } from './harness/bench/bench-settings.ts';
export type { RunBenchOptions } from './harness/bench/run-bench.ts';
export { benchOnLab, defaultBenchStrategies, runBench } from './harness/bench/run-bench.ts';
export type {
  CheckReport,
  Counterexample,
  PropertyReport,
  StrategyReport,
} from './harness/check/report-model.ts';
export type { DatabaseChoice } from './harness/database/start-database.ts';
export { startDatabase } from './harness/database/start-database.ts';
export type { DatabaseSource, StartedDatabase } from './harness/database/started-database.ts';
export { DatabaseUnavailableError } from './harness/database/started-database.ts';
export type { BuyerDb } from './harness/engine/buyer-gate.ts';
export {
  HangError,
  ScheduleError,
  StrategyError,
  StrategyLoadError,
  StrategyMistakeError,
} from './harness/engine/errors.ts';
export type { BuyerOutcome, TraceEvent } from './harness/engine/trace.ts';
export type {
  ProductCart,
  ProductStock,
  ScenarioDefinition,
} from './harness/scenarios/custom-scenario.ts';
export { defineScenario } from './harness/scenarios/custom-scenario.ts';
export type {
  InventoryCase,
  InventoryContext,
  InventoryLine,
  InventoryRequest,
} from './harness/scenarios/inventory-scenario.ts';
export { DECOY_ITEM_ID } from './harness/scenarios/inventory-scenario.ts';
export type { Measurement, Scenario, ScenarioCase } from './harness/scenarios/scenario.ts';
export { registerScenario } from './harness/scenarios/scenario-registry.ts';
export type { TicketCase, TicketRequest } from './harness/scenarios/tickets-scenario.ts';
export type {
  PostgresJsQuery,
  PostgresJsResult,
  PostgresJsSql,
  PostgresJsTransactionSql,
} from './harness/strategy/postgres-js-facade.ts';
export { PostgresError, postgresJsSql } from './harness/strategy/postgres-js-facade.ts';
export type { PostgresJsStrategy } from './harness/strategy/postgres-js-strategy.ts';
export { definePostgresJsStrategy } from './harness/strategy/postgres-js-strategy.ts';
export type { LoadedStrategy, PurchaseOutcome, SetupDb, Strategy } from './harness/strategy/strategy.ts';
export { defineStrategy } from './harness/strategy/strategy.ts';
export type {
  StrategyHoldsOptions,
  StrategyTestOptions,
} from './harness/vitest/expect-strategy.ts';
export {
  expectNoOversell,
  expectStrategyHolds,
  OversoldAssertionError,
} from './harness/vitest/expect-strategy.ts';
export type {
  CaseResult,
  StrategyRunner,
  StrategyRunnerOptions,
} from './harness/vitest/strategy-runner.ts';
export { openStrategyRunner } from './harness/vitest/strategy-runner.ts';
export type { StrategyFile } from './harness/vitest/test-strategy.ts';
export type { CaseRanges, Range } from './properties/case-arbitrary.ts';
export {
  chooserFromChoices,
  defaultCaseRanges,
  scheduleArbitrary,
  ticketCaseArbitrary,
} from './properties/case-arbitrary.ts';
export { inventoryCaseArbitrary } from './properties/inventory-arbitrary.ts';
export type { RunFacts, Verdict } from './properties/properties.ts';
export { evaluateProperty } from './properties/properties.ts';
export type { PropertyName } from './properties/property-names.ts';
export { PROPERTY_NAMES } from './properties/property-names.ts';
