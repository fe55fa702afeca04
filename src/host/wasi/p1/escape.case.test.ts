// Runs the shared escape suite against every preopen kind.
import { escapeCases, overlapEscapeCases } from './escape.case.ts';

escapeCases('host-rw');
escapeCases('host-ro');
escapeCases('memory-rw');
escapeCases('memory-ro');
overlapEscapeCases(false);
overlapEscapeCases(true);
