// Runs the shared WASI conformance cases against every vfs kind.
import { conformanceCases } from './conformance.case.ts';

conformanceCases('host');
conformanceCases('memory');
