export { RecentChanges, RECENT_CHANGES, type RecentChange } from './recent-changes.js';
export { uiRoutes, HISTORY_PATH, type UiContext } from './routes.js';
