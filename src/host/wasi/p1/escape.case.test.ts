// Runs the shared escape suite against every preopen kind.
import { escapeCases } from './escape.case.ts';

escapeCases('host-rw');
escapeCases('host-ro');
escapeCases('memory-rw');
escapeCases('memory-ro');
