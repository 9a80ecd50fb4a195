/**
 * What the commands need once they run: the engine, the database, the report
 * writers. main.ts imports this module only inside an action, so `--help`,
 * `--version` and a usage error start without loading any of it.
 */
export { formatCheckReport, formatStrategyReport, formatSummary } from '../../reports/console-report.ts';
export { preflightReportFiles, reportFileLines, writeReportFiles } from '../../reports/report-files.ts';
export { renderTimeline } from '../../reports/timeline.ts';
export { recordedTrace } from '../check/recorded-trace.ts';
export { exitCodeOf } from '../check/report-model.ts';
export { runCheck } from '../check/run-check.ts';
export { runReplay } from '../check/run-replay.ts';
export { oversoldCommand } from './command-name.ts';
export { progressBar } from './progress.ts';
