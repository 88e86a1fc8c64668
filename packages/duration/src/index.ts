export { DURATION_PATTERN, formatDuration, parseDuration } from './duration.js';
