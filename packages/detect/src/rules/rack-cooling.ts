import { z } from 'zod';
import { rackRollupRule } from './rack-rollup.js';

/**
 * RackCoolingFailure: one rack-level alert when many GPUs of one rack heat up without a rise in power (coolant, not
 * load) or are hot (near their slowdown threshold, or thermally throttled) at the same time: a rack roll-up whose
 * condition is heating or heat.
 */
export const rackCoolingRule = rackRollupRule(8, 10_000, 300_000)
  .extend({
    rise_c: z
      .number()
      .positive()
      .max(50)
      .default(4)
      .describe('Heating: temperature up by this much over lookback_ms …'),
    lookback_ms: z
      .number()
      .int()
      .min(20_000)
      .max(1_800_000)
      .default(60_000)
      .describe('The span heating is judged over.'),
    // After a load step the die still follows its thermal lag (time constant ~25 s on a cold plate), which is not heating.
    power_tolerance_w: z
      .number()
      .positive()
      .max(2000)
      .default(100)
      .describe('… while power stayed within this over the lookback and settle_ms before it.'),
    settle_ms: z
      .number()
      .int()
      .min(0)
      .max(1_800_000)
      .default(60_000)
      .describe('How long power must have been steady before the lookback.'),
    hot_margin_c: z
      .number()
      .min(0)
      .max(50)
      .default(5)
      .describe('Hot: temp_c >= slowdown_temp_c − hot_margin_c, or a thermal clock event.'),
  })
  .strict();

export type RackCoolingRule = z.infer<typeof rackCoolingRule>;
