/** The command line: the core commands plus those other modules add. */
export { main } from './main.ts';

import './bench-command.ts';
import './list-command.ts';
import '../explore/explore-command.ts';
import '../spec/spec-command.ts';
import '../grade/grade-command.ts';
import './merge-reports-command.ts';
