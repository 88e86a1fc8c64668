// The alert path's benchmark lives with the package; the harness finds it here.
export { run } from '../../packages/alerts/test/bench/alerts.js';
