/**
 * The tab icon: a flame, red like a firing alert, so the on-call engineer finds the tab among many. Served rather
 * than left out because browsers ask for one anyway, and a 404 on every load is noise in the console.
 */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#1d2330"/>
<path d="M16 4c1 5 7 8 7 15a7 7 0 0 1-14 0c0-4 2-6 4-8 0 3 1 5 3 5-1-4 0-8 0-12z" fill="#e8473c"/>
</svg>
`;
