import { parseSchedule } from '../cli/options.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { type Checker, got, reason } from './assignment-checker.ts';
import type { FixedCase, TestCases } from './grade-model.ts';

// The bounds `oversold check` puts on --capacity, --buyers and --quantity.
export const bounds = { capacity: [0, 1_000_000], buyers: [1, 32], quantity: [1, 1_000_000] } as const;
export const ticketExample =
  '{ "capacity": 1, "buyers": [{ "id": 1, "quantity": 1 }, { "id": 2, "quantity": 1 }] }';

export type AnyScenario = Scenario<ScenarioCase> | undefined;

/** A test's `"fixed"` list: each case with the schedule it is run under. */
export function fixedOf(value: unknown, path: string, scenario: AnyScenario, at: Checker): FixedCase[] {
  const example = `[{ "case": ${ticketExample}, "schedule": "1 2 1 2" }]`;
  if (!Array.isArray(value) || value.length === 0) {
    at.fail(
      path,
      `must be a list of at least one case and schedule (got ${got(value)})`,
      `write e.g. "fixed": ${example}`,
    );
  }
  return (value as unknown[]).map((entry, index) => {
    const where = `${path}[${index}]`;
    const fixed = at.object(entry, where, '{ "case": { … }, "schedule": "1 2 1 2" }');
    at.onlyFields(fixed, where, ['case', 'schedule']);
    const kase = caseOf(fixed.case, `${where}.case`, scenario, at);
    return { case: kase, schedule: scheduleOf(fixed.schedule ?? '', `${where}.schedule`, kase, at) };
  });
}

/** A test's `"explore"`: one case, explored up to a preemption bound. */
export function exploreOf(value: unknown, path: string, scenario: AnyScenario, at: Checker): TestCases {
  const explore = at.object(value, path, `{ "case": ${ticketExample}, "preemptions": 2 }`);
  at.onlyFields(explore, path, ['case', 'preemptions', 'maxInterleavings']);
  const preemptions = explore.preemptions;
  return {
    kind: 'explore',
    case: caseOf(explore.case, `${path}.case`, scenario, at),
    preemptions:
      preemptions === undefined || preemptions === 'all'
        ? (preemptions ?? 2)
        : at.whole(preemptions, `${path}.preemptions`, 0, 1_000, 2, ' or "all"'),
    maxInterleavings:
      explore.maxInterleavings === undefined
        ? 10_000
        : at.whole(explore.maxInterleavings, `${path}.maxInterleavings`, 1, Number.MAX_SAFE_INTEGER, 10_000),
  };
}

/**
 * A case checked as `replay --case` checks it (the scenario's own parseCase);
 * a tickets case, which replay takes as --capacity, --buyers and --quantity,
 * is checked field by field and rebuilt with the scenario's replayCase. A
 * scenario module is not imported here: of its case only the buyer ids are checked.
 */
function caseOf(value: unknown, path: string, scenario: AnyScenario, at: Checker): ScenarioCase {
  if (scenario?.parseCase) {
    try {
      return scenario.parseCase(value);
    } catch (error) {
      return at.fail(path, reason(error).replace(/^--case /, ''), 'fix the case');
    }
  }
  if (scenario?.name === 'tickets') return ticketCaseOf(value, path, scenario, at);
  const kase = at.object(value, path, '{ "buyers": [{ "id": 1, … }, { "id": 2, … }], … }');
  const buyers = kase.buyers;
  if (
    !Array.isArray(buyers) ||
    buyers.length === 0 ||
    buyers.some((buyer) => !(Number.isSafeInteger(buyer?.id) && buyer.id >= 1))
  ) {
    at.fail(
      `${path}.buyers`,
      `must list buyers with whole ids from 1 (got ${got(buyers)})`,
      'write e.g. "buyers": [{ "id": 1, … }]',
    );
  }
  return kase as unknown as ScenarioCase;
}

function ticketCaseOf(
  value: unknown,
  path: string,
  scenario: Scenario<ScenarioCase>,
  at: Checker,
): ScenarioCase {
  const kase = at.object(value, path, ticketExample);
  at.onlyFields(kase, path, ['capacity', 'buyers']);
  const capacity = at.whole(kase.capacity, `${path}.capacity`, bounds.capacity[0], bounds.capacity[1], 1);
  const buyers = kase.buyers;
  if (!Array.isArray(buyers) || buyers.length === 0 || buyers.length > bounds.buyers[1]) {
    at.fail(
      `${path}.buyers`,
      `must list 1 to ${bounds.buyers[1]} buyers (got ${got(buyers)})`,
      `write e.g. "case": ${ticketExample}`,
    );
  }
  const quantities = (buyers as unknown[]).map((entry, index) => {
    const where = `${path}.buyers[${index}]`;
    const buyer = at.object(entry, where, '{ "id": 1, "quantity": 1 }');
    at.onlyFields(buyer, where, ['id', 'quantity']);
    // replay numbers a tickets case's buyers 1, 2, …: other ids could not be replayed.
    if (buyer.id !== index + 1) {
      at.fail(
        `${where}.id`,
        `must be ${index + 1}, as buyers are numbered 1, 2, … in order (got ${got(buyer.id)})`,
        `write "id": ${index + 1}`,
      );
    }
    return at.whole(buyer.quantity, `${where}.quantity`, bounds.quantity[0], bounds.quantity[1], 1);
  });
  return scenario.replayCase({ capacity, buyers: quantities.length, quantities });
}

function scheduleOf(value: unknown, path: string, kase: ScenarioCase, at: Checker): string {
  const fix = 'write the buyer ids in release order, e.g. "schedule": "1 2 1 2", or "" for id order';
  let ids: number[] = [];
  try {
    ids = parseSchedule(value as string);
  } catch {
    at.fail(path, `must list buyer ids separated by spaces (got ${got(value)})`, fix);
  }
  const known = kase.buyers.map((buyer) => buyer.id);
  const stranger = ids.find((id) => !known.includes(id));
  if (stranger !== undefined) {
    at.fail(
      path,
      `names buyer ${stranger}, but the case has buyers ${known.join(', ')}`,
      'fix the schedule or add that buyer',
    );
  }
  return ids.join(' ');
}
