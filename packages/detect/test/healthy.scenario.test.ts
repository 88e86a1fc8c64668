import { describe, it } from 'vitest';
import { expectAlerts, runScenario } from './scenario.js';

describe('a healthy rack', () => {
  it('raises nothing in ten minutes of training', () => {
    expectAlerts(runScenario({ duration: '10m' }), []);
  });
});
